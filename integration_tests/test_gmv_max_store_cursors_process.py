"""GMV Max report cursors are kept per store: a store listed for the first time (here: one whose
authorization to the ad account was suspended during the first sync) is read from the start date in the
next sync while the other store continues from its own cursor, and state saved per advertiser (the
format before stores had cursors) carries over to every store of the advertiser, without re-reading
from the start date and without a gap."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from harness import ConnectorRun, configured_catalog, discovered_catalog, emulator_config, run_connector
from tiktok_emulator import Dataset, DatasetSpec, Emulator, FaultPlan

DAYS = 12
END = datetime.now(UTC).date() - timedelta(days=2)
START = END - timedelta(days=DAYS - 1)
# Where the first sync ends: the second one goes on to END.
FIRST_END = END - timedelta(days=5)
ATTRIBUTION_WINDOW = 1
STREAM = "gmv_max_product_campaigns_reports_daily"
REPORT_PATH = "gmv_max/report/get/"


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return Dataset.generate(
        DatasetSpec(
            advertisers=1,
            campaigns_per_advertiser=1,
            adgroups_per_campaign=1,
            ads_per_adgroup=1,
            days=DAYS,
            end_date=END,
            seed=17,
            gmv_max_stores=2,
            gmv_max_active_stores=2,
        )
    )


@pytest.fixture(scope="module")
def emulator(dataset: Dataset) -> Iterator[Emulator]:
    with Emulator(dataset) as running:
        yield running


@pytest.fixture(scope="module")
def discovered(emulator: Emulator) -> dict[str, Any]:
    return discovered_catalog(emulator_config(emulator.base_url))


@pytest.fixture(scope="module")
def stores(dataset: Dataset) -> tuple[str, str, str]:
    advertiser_id = dataset.advertisers[0]["advertiser_id"]
    assert dataset.gmv_max is not None
    old, new = dataset.gmv_max.store_ids(advertiser_id)
    return advertiser_id, old, new


def sync(
    emulator: Emulator,
    discovered: dict[str, Any],
    end: str,
    faults: FaultPlan | None = None,
    state: list[dict[str, Any]] | None = None,
) -> ConnectorRun:
    config = emulator_config(
        emulator.base_url,
        start_date=START.isoformat(),
        end_date=end,
        attribution_window=ATTRIBUTION_WINDOW,
        requests_per_second=500,
        requests_per_minute=60000,
    )
    emulator.faults = faults or FaultPlan()
    emulator.reset_counters()
    try:
        catalog = configured_catalog(discovered, [STREAM], incremental=True)
        return run_connector("read", config, catalog, state=state)
    finally:
        emulator.faults = FaultPlan()


def last_cursors(run: ConnectorRun) -> dict[tuple[str, ...], str]:
    """The run's last state of the stream: {(advertiser, store): cursor}."""
    stream_state = run.stream_states()[STREAM]["stream"]["stream_state"]
    return {
        tuple(entry["partition"].values()): entry["cursor"]["stat_time_day"]
        for entry in stream_state["states"]
    }


def first_day_asked(emulator: Emulator) -> dict[str, str]:
    """Per store: the earliest start_date the run's report requests asked for."""
    earliest: dict[str, str] = {}
    for request in emulator.requests:
        if request.path == REPORT_PATH:
            (store,) = json.loads(request.params["store_ids"])
            earliest[store] = min(earliest.get(store, "9999"), request.params["start_date"])
    return earliest


def keyed(runs: list[ConnectorRun]) -> dict[tuple[Any, ...], str]:
    """Every record of the runs by primary key, the last one winning, as append + dedup keeps them."""
    latest: dict[tuple[Any, ...], str] = {}
    for run in runs:
        for record in run.records(STREAM):
            key = (
                record["advertiser_id"],
                record["store_id"],
                record["campaign_id"],
                record["stat_time_day"],
            )
            latest[key] = json.dumps(record, sort_keys=True)
    return latest


def state_message(stream_state: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"type": "STREAM", "stream": {"stream_descriptor": {"name": STREAM}, "stream_state": stream_state}}
    ]


def test_a_store_listed_later_is_read_from_the_start_date_and_the_other_continues(
    emulator: Emulator, discovered: dict[str, Any], stores: tuple[str, str, str]
) -> None:
    advertiser_id, old, new = stores
    clean = sync(emulator, discovered, END.isoformat())
    assert clean.returncode == 0, clean.stderr[-2000:]
    assert {record["store_id"] for record in clean.records(STREAM)} == {old, new}

    one = sync(
        emulator,
        discovered,
        FIRST_END.isoformat(),
        FaultPlan(unlisted_stores=frozenset({(advertiser_id, new)})),
    )
    assert one.returncode == 0, one.stderr[-2000:]
    assert {record["store_id"] for record in one.records(STREAM)} == {old}
    assert last_cursors(one) == {(advertiser_id, old): FIRST_END.isoformat()}

    two = sync(emulator, discovered, END.isoformat(), state=list(one.stream_states().values()))
    assert two.returncode == 0, two.stderr[-2000:]
    resume = (FIRST_END - timedelta(days=ATTRIBUTION_WINDOW)).isoformat()
    assert first_day_asked(emulator) == {new: START.isoformat(), old: resume}
    new_days = {record["stat_time_day"][:10] for record in two.records(STREAM) if record["store_id"] == new}
    assert START.isoformat() in new_days
    assert last_cursors(two) == {(advertiser_id, old): END.isoformat(), (advertiser_id, new): END.isoformat()}
    # Together the two syncs hold exactly what one clean read holds.
    assert keyed([one, two]) == keyed([clean])


def test_state_saved_per_advertiser_carries_over_to_each_of_its_stores(
    emulator: Emulator, discovered: dict[str, Any], stores: tuple[str, str, str]
) -> None:
    advertiser_id, old, new = stores
    saved = {
        "states": [
            {
                "partition": {"advertiser_id": advertiser_id},
                "cursor": {"stat_time_day": FIRST_END.isoformat()},
            }
        ]
    }
    run = sync(emulator, discovered, END.isoformat(), state=state_message(saved))
    assert run.returncode == 0, run.stderr[-2000:]
    resume = (FIRST_END - timedelta(days=ATTRIBUTION_WINDOW)).isoformat()
    assert first_day_asked(emulator) == {old: resume, new: resume}
    assert {record["stat_time_day"][:10] for record in run.records(STREAM)} == {
        (FIRST_END + timedelta(days=offset)).isoformat() for offset in range(-ATTRIBUTION_WINDOW, 6)
    }
    # The advertiser-wide entry is replaced by one per store.
    assert last_cursors(run) == {(advertiser_id, old): END.isoformat(), (advertiser_id, new): END.isoformat()}
