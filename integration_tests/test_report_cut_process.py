"""TikTok's id cut of synchronous reports, split away: a read of an account past a (lowered) cut size
delivers every row the uncut read delivers, whichever signal TikTok gives, and a part still cut at the
finest split fails its window by name instead of coming back short."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fault_support import FAST_BACKOFF, canonical, patched_command, read
from harness import ConnectorRun, configured_catalog, discovered_catalog, emulator_config
from tiktok_emulator import Dataset, DatasetSpec, Emulator, FaultPlan

DAYS = 4
END = datetime.now(UTC).date() - timedelta(days=2)
START = END - timedelta(days=DAYS - 1)
# Six ad groups and eighteen ads per advertiser, six ads per campaign: past a cut of four, ad-level
# windows split by date, then campaign, then ad group; ad-group-level ones by date, then campaign.
CUT = 4
# A cut size no listing reaches: the connector sees a cut by its header only.
BLIND = 10**9
STREAMS = [
    "ads_reports_daily",
    "ads_reports_hourly",
    "ads_reports_lifetime",
    "ads_audience_reports_daily",
    "ads_reports_by_country_daily",
    "ad_groups_reports_daily",
    "ad_groups_reports_hourly",
    "ad_groups_reports_lifetime",
    "ad_group_audience_reports_daily",
    "ad_groups_reports_by_country_daily",
]


def cut_size(size: int) -> str:
    return f"import source_tiktok_ads.reports.report_cut as report_cut\nreport_cut.CUT_SIZE = {size}\n"


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return Dataset.generate(
        DatasetSpec(
            advertisers=2,
            campaigns_per_advertiser=3,
            adgroups_per_campaign=2,
            ads_per_adgroup=3,
            days=DAYS,
            end_date=END,
            seed=31,
            deleted_every=4,
        )
    )


@pytest.fixture(scope="module")
def emulator(dataset: Dataset) -> Iterator[Emulator]:
    with Emulator(dataset) as running:
        yield running


@pytest.fixture(scope="module")
def catalog(emulator: Emulator) -> dict[str, Any]:
    discovered = discovered_catalog(emulator_config(emulator.base_url))
    return configured_catalog(discovered, STREAMS, incremental=True)


def config(emulator: Emulator) -> dict[str, Any]:
    return emulator_config(
        emulator.base_url,
        start_date=START.isoformat(),
        end_date=END.isoformat(),
        include_deleted=True,
        requests_per_second=500,
        requests_per_minute=60000,
    )


def sync(emulator: Emulator, catalog: dict[str, Any], plan: FaultPlan, size: int) -> tuple[ConnectorRun, int]:
    emulator.faults = plan
    emulator.reset_counters()
    run = read(config(emulator), catalog, command=patched_command(FAST_BACKOFF, cut_size(size))).run
    return run, emulator.request_count("report/integrated/get/")


def rows_by_stream(run: ConnectorRun) -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {name: [] for name in STREAMS}
    for message in run.of_type("RECORD"):
        rows[message["record"]["stream"]].append(canonical(message["record"]["data"]))
    return rows


@pytest.fixture(scope="module")
def uncut(emulator: Emulator, catalog: dict[str, Any]) -> tuple[dict[str, list[str]], int]:
    run, requests = sync(emulator, catalog, FaultPlan(report_cut_ids=0), BLIND)
    assert run.returncode == 0, run.stderr[-2000:]
    return rows_by_stream(run), requests


@pytest.fixture(scope="module")
def shortfall(emulator: Emulator, catalog: dict[str, Any]) -> dict[str, int]:
    """What a connector blind to the cut would lose: rows per stream past a cut it cannot see."""
    run, _ = sync(emulator, catalog, FaultPlan(report_cut_ids=CUT, cut_header=False), BLIND)
    return {stream: len(rows) for stream, rows in rows_by_stream(run).items()}


@pytest.mark.parametrize(("counts", "header"), [("after", True), ("before", True), ("after", False)], ids=str)
def test_a_cut_read_delivers_every_row_of_the_uncut_read(
    emulator: Emulator,
    catalog: dict[str, Any],
    uncut: tuple[dict[str, list[str]], int],
    shortfall: dict[str, int],
    counts: str,
    header: bool,
) -> None:
    clean, clean_requests = uncut
    run, requests = sync(
        emulator, catalog, FaultPlan(report_cut_ids=CUT, cut_total_counts=counts, cut_header=header), CUT
    )
    assert run.returncode == 0, run.stderr[-2000:]
    rows = rows_by_stream(run)
    for stream in STREAMS:
        assert shortfall[stream] < len(clean[stream]), f"{stream}: the dataset is not past the cut"
        assert sorted(rows[stream]) == sorted(clean[stream]), stream
    assert requests > clean_requests
    logs = [m["log"]["message"] for m in run.of_type("LOG")]
    # One line per stream that was split, at the end of the run, not one per window.
    for stream in ("ads_reports_daily", "ads_reports_lifetime"):
        summaries = [line for line in logs if line.startswith(f"{stream}: TikTok cut (or found too large)")]
        assert len(summaries) == 1 and "every row read" in summaries[0], stream


def test_a_part_still_cut_at_the_finest_split_fails_its_window_by_name(catalog: dict[str, Any]) -> None:
    # One ad group of three ads: past a cut of two, it is as fine as the split goes.
    small = Dataset.generate(
        DatasetSpec(
            advertisers=1,
            campaigns_per_advertiser=1,
            adgroups_per_campaign=1,
            ads_per_adgroup=3,
            days=DAYS,
            end_date=END,
            seed=32,
            deleted_every=0,
        )
    )
    advertiser, adgroup = small.advertisers[0]["advertiser_id"], small.adgroups[0]["adgroup_id"]
    with Emulator(small) as emulator:
        run, _ = sync(emulator, catalog, FaultPlan(report_cut_ids=2), 2)
    assert run.returncode != 0
    traces = [m["trace"]["error"]["message"] for m in run.of_type("TRACE") if m["trace"].get("error")]
    failed = "\n".join(traces)
    for stream in ("ads_reports_daily", "ads_reports_lifetime"):
        assert f"Stream {stream} left 1 advertiser unread" in failed
    assert (
        f"advertiser {advertiser} for {START.isoformat()} is cut even for adgroup_ids ['{adgroup}']" in failed
    )
    assert f"advertiser {advertiser} for lifetime is cut even for adgroup_ids" in failed
    # One ad group is never past a cut of two: ad-group-level reports are read whole.
    assert "Stream ad_groups_reports_daily" not in failed
    assert rows_by_stream(run)["ad_groups_reports_daily"]
    # The daily stream's cursor stays where it was (none): the next sync reads the window again.
    final = {}
    for message in run.of_type("STATE"):
        stream_state = message["state"].get("stream") or {}
        final[stream_state.get("stream_descriptor", {}).get("name")] = stream_state.get("stream_state")
    assert advertiser not in json.dumps(final.get("ads_reports_daily") or {})


def test_a_lifetime_report_too_large_is_read_whole_in_parts_by_id(
    emulator: Emulator, catalog: dict[str, Any], uncut: tuple[dict[str, list[str]], int]
) -> None:
    # Eighteen ads a lifetime query: past ten rows TikTok answers 40067, and a lifetime query cannot be
    # split by date; one campaign's six ads fit.
    lifetime = ["ads_reports_lifetime", "ad_groups_reports_lifetime"]
    only = {"streams": [entry for entry in catalog["streams"] if entry["stream"]["name"] in lifetime]}
    run, _ = sync(emulator, only, FaultPlan(report_cut_ids=0, query_too_large_rows=10), BLIND)
    assert run.returncode == 0, run.stderr[-2000:]
    clean, _ = uncut
    rows = rows_by_stream(run)
    for stream in lifetime:
        assert sorted(rows[stream]) == sorted(clean[stream]), stream
    logs = [m["log"]["message"] for m in run.of_type("LOG")]
    assert any(line.startswith("ads_reports_lifetime: TikTok cut (or found too large)") for line in logs)
