"""Run as a process against the emulator: the fields each report record gains, the provisional flag over
two incremental syncs in a row, and the plan and progress lines of the log against what the read did."""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from harness import ConnectorRun, configured_catalog, discovered_catalog, emulator_config, run_connector
from tiktok_emulator import Dataset, DatasetSpec, Emulator
from tiktok_emulator.server import RecordedRequest

from source_tiktok_ads.config import TikTokAdsConfig
from source_tiktok_ads.pipeline.progress import INTERVAL_ENV
from source_tiktok_ads.reports.definitions import BUILTIN_REPORTS
from source_tiktok_ads.reports.row_context import utc_instant, zone_of
from source_tiktok_ads.reports.stream import REPORT_PATH

# The instant the emulator sees its data from, fixed for the module: what it serves does not change while
# the tests run, whatever the hour. The connector reads the real clock, which can only be later; every
# expectation below is worked out from the days the connector asked for and what the emulator served.
NOW = datetime.now(UTC)
TODAY_UTC = NOW.date()
STREAMS = ["advertisers", "ads_reports_daily", "campaigns_reports_hourly", "ads_reports_lifetime"]
DATED = [("ads_reports_daily", "stat_time_day"), ("campaigns_reports_hourly", "stat_time_hour")]
REPORTS = {definition.name: definition for definition in BUILTIN_REPORTS}
ATTRIBUTION_WINDOW = 2
PACED_RATE = 10
PROGRESS_SECONDS = 0.2


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
            now=NOW,
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
        # Paced, unlike most process tests: the progress lines need a read that lasts several intervals.
        requests_per_second=PACED_RATE,
    )


@pytest.fixture(scope="module")
def catalog(config: dict[str, Any]) -> dict[str, Any]:
    return configured_catalog(discovered_catalog(config), STREAMS, incremental=True)


@dataclass(frozen=True)
class Sync:
    run: ConnectorRun
    requests: list[RecordedRequest]
    # Instants either side of the run: the connector's "now" lies between them.
    began: datetime
    ended: datetime


@pytest.fixture(scope="module")
def two_syncs(emulator: Emulator, config: dict[str, Any], catalog: dict[str, Any]) -> tuple[Sync, Sync]:
    os.environ[INTERVAL_ENV] = str(PROGRESS_SECONDS)
    try:
        emulator.reset_counters()
        first = timed_sync(emulator, lambda: run_connector("read", config, catalog))
        state = list(first.run.stream_states().values())
        second = timed_sync(emulator, lambda: run_connector("read", config, catalog, state=state))
    finally:
        del os.environ[INTERVAL_ENV]
    assert first.run.returncode == 0 and second.run.returncode == 0, (
        first.run.stderr[-2000:],
        second.run.stderr[-2000:],
    )
    assert not first.run.errors() and not second.run.errors()
    return first, second


def timed_sync(emulator: Emulator, read: Any) -> Sync:
    already = len(emulator.requests)
    began = datetime.now(UTC)
    run = read()
    return Sync(run, emulator.requests[already:], began, datetime.now(UTC))


def last_day_asked(requests: Sequence[RecordedRequest], advertiser_id: str, time_field: str) -> date:
    """The last day of the report windows the connector asked for with `time_field`: its "today"."""
    days = [
        date.fromisoformat(request.params["end_date"])
        for request in requests
        if request.path == REPORT_PATH
        and request.params.get("advertiser_id") == advertiser_id
        and time_field in json.loads(request.params.get("dimensions", "[]"))
    ]
    assert days, (advertiser_id, time_field)
    return max(days)


def local_days_of(sync: Sync, zone: str) -> set[date]:
    """The local today in the IANA `zone` at the start and at the end of the run."""
    return {sync.began.astimezone(ZoneInfo(zone)).date(), sync.ended.astimezone(ZoneInfo(zone)).date()}


def days_served(dataset: Dataset, stream: str, advertiser_id: str, start: date, end: date) -> set[date]:
    """The days the emulator has rows for in the stream's report over start..end."""
    definition = REPORTS[stream]
    rows = dataset.report_rows(
        definition.report_type.value,
        definition.data_level.value,
        list(definition.dimensions),
        start,
        end,
        False,
        advertiser_id=advertiser_id,
        metrics=["spend"],
    )
    return {date.fromisoformat(row["dimensions"][definition.time_dimension][:10]) for row in rows}


def days_by_flag(run: ConnectorRun, stream: str, time_field: str) -> dict[tuple[str, bool], set[date]]:
    days: dict[tuple[str, bool], set[date]] = defaultdict(set)
    for record in run.records(stream):
        days[(record["advertiser_id"], record["is_provisional"])].add(
            date.fromisoformat(record[time_field][:10])
        )
    return days


@pytest.mark.parametrize(("stream", "time_field"), DATED)
def test_what_one_sync_calls_provisional_is_what_the_next_reads_again(
    emulator: Emulator, config: dict[str, Any], two_syncs: tuple[Sync, Sync], stream: str, time_field: str
) -> None:
    first, second = two_syncs
    before, after = days_by_flag(first.run, stream, time_field), days_by_flag(second.run, stream, time_field)
    zones = {record["advertiser_id"]: record["timezone"] for record in first.run.records("advertisers")}
    assert len(zones) == 2 and {advertiser for advertiser, _ in before} == set(zones)
    start = date.fromisoformat(config["start_date"])
    for advertiser, zone in zones.items():
        # Each sync reads up to the advertiser's own today, as it was when the sync ran.
        today, next_today = (last_day_asked(sync.requests, advertiser, time_field) for sync in two_syncs)
        assert today in local_days_of(first, zone) and next_today in local_days_of(second, zone)
        served = days_served(emulator.dataset, stream, advertiser, start, next_today)
        # The look-back: the cursor's day (today) and the attribution window's days before it.
        first_reread = today - timedelta(days=ATTRIBUTION_WINDOW)
        provisional = {day for day in served if first_reread <= day <= today}
        assert before[(advertiser, True)] == provisional and provisional
        assert before[(advertiser, False)] == {day for day in served if day < first_reread}
        assert before[(advertiser, False)]
        # The next sync reads those days again, and the days since.
        assert after[(advertiser, True)] | after[(advertiser, False)] == {
            day for day in served if first_reread <= day <= next_today
        }
        # Read again on the same day, they are still provisional: the next sync will read them again too.
        # Only a day that has passed beyond the window since (the sync ran after local midnight) is final.
        next_reread = next_today - timedelta(days=ATTRIBUTION_WINDOW)
        assert after[(advertiser, False)] == {day for day in served if first_reread <= day < next_reread}


def test_report_records_say_their_currency_zone_and_utc_instant(two_syncs: tuple[Sync, Sync]) -> None:
    first = two_syncs[0].run
    advertisers = {record["advertiser_id"]: record for record in first.records("advertisers")}
    for stream, time_field in DATED:
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
    config: dict[str, Any], two_syncs: tuple[Sync, Sync]
) -> None:
    first, requests = two_syncs[0].run, len(two_syncs[0].requests)
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
    # The budget spaces requests evenly, so the read lasts many progress intervals whatever the machine.
    rate = config.get("requests_per_second", TikTokAdsConfig.model_fields["requests_per_second"].default)
    assert (requests - 1) / rate > 5 * PROGRESS_SECONDS
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
            now=NOW,
        )
    )
    with Emulator(dataset) as offsets:
        discovered = discovered_catalog({**config, "base_url": offsets.base_url})
        began = datetime.now(UTC)
        run = run_connector(
            "read",
            {**config, "base_url": offsets.base_url},
            configured_catalog(discovered, ["ads_reports_daily"]),
        )
        sync = Sync(run, list(offsets.requests), began, datetime.now(UTC))
    records = run.records("ads_reports_daily")
    assert records and {record["timezone"] for record in records} == {"UTC-08:00"}
    assert all(record["stat_time_utc"].endswith("T08:00:00Z") for record in records)
    # "Today" is the advertiser's too: the read ends on today at UTC-8, and its last day with rows is the
    # last day up to then on which the ad delivered.
    [advertiser] = dataset.advertisers
    today = last_day_asked(sync.requests, advertiser["advertiser_id"], "stat_time_day")
    assert today in local_days_of(sync, "Etc/GMT+8")
    start = date.fromisoformat(config["start_date"])
    served = days_served(dataset, "ads_reports_daily", advertiser["advertiser_id"], start, today)
    assert {date.fromisoformat(record["stat_time_day"][:10]) for record in records} == served
