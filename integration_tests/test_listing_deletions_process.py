"""Objects deleted while an object listing is paged through: TikTok's offset paging then never serves the
objects that moved onto pages already read. The connector sees the listing come short of its first
page's `total_number` while its count changes, reads it once more and emits what it missed; if the
listing is still short and changing, that advertiser is left unread, named, its cursor not moved, and the
next sync reads it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from harness import ConnectorRun, configured_catalog, discovered_catalog, emulator_config, run_connector
from tiktok_emulator import Dataset, DatasetSpec, Emulator, FaultPlan

END = datetime.now(UTC).date() - timedelta(days=2)
STREAM = "ads"
LIST_PATH = "ad/get/"
DELETED = 3


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    # One advertiser with more ads than one page of 1000 holds, none deleted beforehand.
    return Dataset.generate(
        DatasetSpec(
            advertisers=1,
            campaigns_per_advertiser=4,
            adgroups_per_campaign=15,
            ads_per_adgroup=20,
            days=1,
            end_date=END,
            seed=23,
            deleted_every=0,
            topview_every=0,
        )
    )


@pytest.fixture(scope="module")
def emulator(dataset: Dataset) -> Iterator[Emulator]:
    with Emulator(dataset) as running:
        yield running


@pytest.fixture(scope="module")
def discovered(emulator: Emulator) -> dict[str, Any]:
    return discovered_catalog(emulator_config(emulator.base_url))


def sync(
    emulator: Emulator,
    discovered: dict[str, Any],
    faults: FaultPlan | None = None,
    state: list[dict[str, Any]] | None = None,
) -> ConnectorRun:
    config = emulator_config(
        emulator.base_url, start_date=END.isoformat(), requests_per_second=500, requests_per_minute=60000
    )
    emulator.faults = faults or FaultPlan()
    emulator.reset_counters()
    try:
        return run_connector(
            "read", config, configured_catalog(discovered, [STREAM], incremental=True), state=state
        )
    finally:
        emulator.faults = FaultPlan()


def ad_ids(run: ConnectorRun) -> list[str]:
    return [record["ad_id"] for record in run.records(STREAM)]


@pytest.fixture(scope="module")
def clean(emulator: Emulator, discovered: dict[str, Any]) -> ConnectorRun:
    run = sync(emulator, discovered)
    assert run.returncode == 0, run.stderr[-2000:]
    assert len(ad_ids(run)) > 1000, "the listing needs a second page"
    return run


def test_a_listing_shifted_by_a_deletion_is_read_once_more_and_nothing_is_lost(
    emulator: Emulator, discovered: dict[str, Any], clean: ConnectorRun
) -> None:
    run = sync(emulator, discovered, FaultPlan(rows_deleted_between_pages=DELETED, listings_with_deletions=1))
    assert run.returncode == 0, run.stderr[-2000:]
    ids = ad_ids(run)
    # Every ad once: those deleted after page 1 were read before, the ones the shift hid came on the re-read.
    assert sorted(ids) == sorted(ad_ids(clean)) and len(ids) == len(set(ids))
    pages = [request.params.get("page") for request in emulator.requests if request.path == LIST_PATH]
    assert pages.count("2") == 2, "the shifted listing was read twice"
    assert any("changed while it was paged through" in line for line in run.stdout.splitlines())


def test_a_listing_that_keeps_changing_leaves_its_advertiser_unread_until_the_next_sync(
    emulator: Emulator, discovered: dict[str, Any], clean: ConnectorRun, dataset: Dataset
) -> None:
    advertiser_id = dataset.advertisers[0]["advertiser_id"]
    one = sync(emulator, discovered, FaultPlan(rows_deleted_between_pages=DELETED, listings_with_deletions=2))
    assert one.returncode != 0
    text = " | ".join(str(error.get("message")) for error in one.errors())
    assert f"Stream {STREAM} left 1 advertiser unread" in text
    assert (
        f"TikTok's listing of advertiser {advertiser_id} changed while it was paged through, 2 times" in text
    )
    # The advertiser's cursor was not set: the next sync reads all its ads.
    states = one.stream_states()[STREAM]["stream"]["stream_state"]["states"]
    assert advertiser_id not in {entry["partition"]["advertiser_id"] for entry in states}
    two = sync(emulator, discovered, state=list(one.stream_states().values()))
    assert two.returncode == 0, two.stderr[-2000:]
    assert set(ad_ids(one)) | set(ad_ids(two)) == set(ad_ids(clean))
    assert [
        entry["partition"]["advertiser_id"]
        for entry in two.stream_states()[STREAM]["stream"]["stream_state"]["states"]
    ] == [advertiser_id]
