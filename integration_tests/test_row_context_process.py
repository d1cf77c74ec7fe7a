"""Run as a process against the emulator: the fields each report record gains, the provisional flag over
two incremental syncs in a row, and the plan and progress lines of the log against what the read did."""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from harness import ConnectorRun, configured_catalog, emulator_config, run_connector
from tiktok_emulator import Dataset, DatasetSpec, Emulator

from source_tiktok_ads.pipeline.progress import INTERVAL_ENV
from source_tiktok_ads.reports.row_context import utc_instant, zone_of

TODAY_UTC = datetime.now(UTC).date()
STREAMS = ["advertisers", "ads_reports_daily", "campaigns_reports_hourly", "ads_reports_lifetime"]
ATTRIBUTION_WINDOW = 2


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    # Data up to tomorrow in UTC, so that every advertiser's local today has rows, whatever its zone.
    dataset = Dataset.generate(
        DatasetSpec(
            advertisers=2,
            campaigns_per_advertiser=2,
            adgroups_per_campaign=1,
            ads_per_adgroup=2,
            days=9,
            end_date=TODAY_UTC + timedelta(days=1),
            seed=5,
        )
    )
    with Emulator(dataset) as running:
        yield running


@pytest.fixture(scope="module")
def config(emulator: Emulator) -> dict[str, Any]:
    return emulator_config(
        emulator.base_url,
        start_date=(TODAY_UTC - timedelta(days=6)).isoformat(),
        attribution_window=ATTRIBUTION_WINDOW,
    )


@pytest.fixture(scope="module")
def catalog(config: dict[str, Any]) -> dict[str, Any]:
    return configured_catalog(run_connector("discover", config).catalog, STREAMS, incremental=True)


@pytest.fixture(scope="module")
def two_syncs(
    emulator: Emulator, config: dict[str, Any], catalog: dict[str, Any]
) -> tuple[ConnectorRun, ConnectorRun, int]:
    os.environ[INTERVAL_ENV] = "0.2"
    try:
        emulator.reset_counters()
        first = run_connector("read", config, catalog)
        requests = emulator.request_count()
        second = run_connector("read", config, catalog, state=list(first.stream_states().values()))
    finally:
        del os.environ[INTERVAL_ENV]
    assert first.returncode == 0 and second.returncode == 0, (first.stderr[-2000:], second.stderr[-2000:])
    assert not first.errors() and not second.errors()
    return first, second, requests


def days_by_flag(run: ConnectorRun, stream: str, time_field: str) -> dict[tuple[str, bool], set[str]]:
    days: dict[tuple[str, bool], set[str]] = defaultdict(set)
    for record in run.records(stream):
        days[(record["advertiser_id"], record["is_provisional"])].add(record[time_field][:10])
    return days


@pytest.mark.parametrize(
    ("stream", "time_field"),
    [("ads_reports_daily", "stat_time_day"), ("campaigns_reports_hourly", "stat_time_hour")],
)
def test_what_one_sync_calls_provisional_is_what_the_next_reads_again(
    two_syncs: tuple[ConnectorRun, ConnectorRun, int], stream: str, time_field: str
) -> None:
    first, second, _ = two_syncs
    before, after = days_by_flag(first, stream, time_field), days_by_flag(second, stream, time_field)
    advertisers = {advertiser for advertiser, _ in before}
    assert len(advertisers) == 2
    for advertiser in advertisers:
        provisional, final = before[(advertiser, True)], before[(advertiser, False)]
        reread = after[(advertiser, True)] | after[(advertiser, False)]
        # The look-back: the cursor's day and the attribution window's days before it.
        assert len(provisional) == ATTRIBUTION_WINDOW + 1 and final
        assert reread == provisional and not reread & final
        # Read again on the same day, they are still provisional: the next sync will read them again too.
        assert after[(advertiser, False)] == set()


def test_report_records_say_their_currency_zone_and_utc_instant(
    two_syncs: tuple[ConnectorRun, ConnectorRun, int],
) -> None:
    first, _, _ = two_syncs
    advertisers = {record["advertiser_id"]: record for record in first.records("advertisers")}
    for stream, time_field in (
        ("ads_reports_daily", "stat_time_day"),
        ("campaigns_reports_hourly", "stat_time_hour"),
    ):
        records = first.records(stream)
        assert records
        for record in records:
            advertiser = advertisers[record["advertiser_id"]]
            assert record["currency"] == advertiser["currency"]
            assert record["timezone"] == advertiser["timezone"]
            zone = zone_of(advertiser["timezone"])
            assert zone is not None
            assert record["stat_time_utc"] == utc_instant(record[time_field], zone)
    lifetime = first.records("ads_reports_lifetime")
    assert lifetime and all(
        record["is_provisional"] is True and "stat_time_utc" not in record for record in lifetime
    )
    # Etc/GMT+8 is UTC-8: its days start at 08:00 UTC.
    pacific = [r for r in first.records("ads_reports_daily") if r["timezone"] == "Etc/GMT+8"]
    assert pacific and all(record["stat_time_utc"].endswith("T08:00:00Z") for record in pacific)


def test_plan_and_progress_lines_add_up_to_the_read(
    two_syncs: tuple[ConnectorRun, ConnectorRun, int],
) -> None:
    first, _, requests = two_syncs
    logs = [message["log"]["message"] for message in first.of_type("LOG")]
    [plan] = [line for line in logs if line.startswith("Plan: ")]
    match = re.fullmatch(
        r"Plan: 4 streams, 2 advertisers, ([\d,]+) slices, at least ([\d,]+) requests, .*", plan
    )
    assert match is not None, plan
    slices, least = (int(group.replace(",", "")) for group in match.groups())
    [done] = [line for line in logs if line.startswith("Read done: ")]
    assert done.startswith(
        f"Read done: {slices}/{slices} slices, {len(first.records())} records, {requests} requests in "
    )
    assert least <= requests
    assert [line for line in logs if line.startswith("Progress: ")], "a read of a few seconds logs progress"


def test_zones_named_by_a_bare_offset_give_the_same_instants(config: dict[str, Any]) -> None:
    # Whether TikTok ever names a zone `UTC-08:00` instead of `Etc/GMT+8` is not known: read both alike.
    dataset = Dataset.generate(
        DatasetSpec(
            advertisers=1,
            campaigns_per_advertiser=1,
            adgroups_per_campaign=1,
            ads_per_adgroup=1,
            days=9,
            end_date=TODAY_UTC + timedelta(days=1),
            seed=5,
            offset_timezone_names=True,
        )
    )
    with Emulator(dataset) as offsets:
        run = run_connector(
            "read",
            {**config, "base_url": offsets.base_url},
            configured_catalog(
                run_connector("discover", {**config, "base_url": offsets.base_url}).catalog,
                ["ads_reports_daily"],
            ),
        )
    records = run.records("ads_reports_daily")
    assert records and {record["timezone"] for record in records} == {"UTC-08:00"}
    assert all(record["stat_time_utc"].endswith("T08:00:00Z") for record in records)
    # "Today" is the advertiser's too: the last day read is today at UTC-8.
    today_there = (datetime.now(UTC) - timedelta(hours=8)).date().isoformat()
    assert max(record["stat_time_day"][:10] for record in records) == today_there
