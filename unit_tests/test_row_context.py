"""currency, timezone, stat_time_utc and is_provisional on report records, and the provisional flag over
simulated sequences of incremental syncs under append + dedup."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests_mock
from airbyte_cdk.models import AirbyteStateMessage, SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read

from source_tiktok_ads import SourceTiktokAds
from source_tiktok_ads.advertisers import Advertiser
from source_tiktok_ads.reports import stream as report_stream_module
from source_tiktok_ads.reports.definitions import BUILTIN_REPORTS
from source_tiktok_ads.reports.records import report_json_schema
from source_tiktok_ads.reports.row_context import RowStamp, utc_instant, zone_of

from .conftest import BASE_URL, envelope, raw_config
from .test_report_streams import query_of

REPORTS = {definition.name: definition for definition in BUILTIN_REPORTS}
HOURS = (0, 1, 2, 3, 23)


# --- the UTC instant ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "local", "expected"),
    [
        # POSIX names invert the sign: Etc/GMT+8 is UTC-8.
        ("Etc/GMT+8", "2026-10-25 00:00:00", "2026-10-25T08:00:00Z"),
        ("Etc/GMT-3", "2026-10-25 00:00:00", "2026-10-24T21:00:00Z"),
        ("Europe/Moscow", "2026-10-25 00:00:00", "2026-10-24T21:00:00Z"),
        # Los Angeles goes to daylight time on 2026-03-08 at 02:00: the day starts at PST, the next at PDT.
        ("America/Los_Angeles", "2026-03-08 00:00:00", "2026-03-08T08:00:00Z"),
        ("America/Los_Angeles", "2026-03-09 00:00:00", "2026-03-09T07:00:00Z"),
        ("America/Los_Angeles", "2026-03-08 01:00:00", "2026-03-08T09:00:00Z"),
        ("America/Los_Angeles", "2026-03-08 03:00:00", "2026-03-08T10:00:00Z"),
        # 02:00 does not exist that day: it is the instant the clocks jump, the same as 03:00 PDT.
        ("America/Los_Angeles", "2026-03-08 02:00:00", "2026-03-08T10:00:00Z"),
        # And back on 2026-11-01: that day has 25 hours.
        ("America/Los_Angeles", "2026-11-01 00:00:00", "2026-11-01T07:00:00Z"),
        ("America/Los_Angeles", "2026-11-02 00:00:00", "2026-11-02T08:00:00Z"),
        # Berlin's change is on 2026-03-29 and 2026-10-25.
        ("Europe/Berlin", "2026-03-29 00:00:00", "2026-03-28T23:00:00Z"),
        ("Europe/Berlin", "2026-03-30 00:00:00", "2026-03-29T22:00:00Z"),
        ("Europe/Berlin", "2026-10-25 23:00:00", "2026-10-25T22:00:00Z"),
        # A bare offset, should TikTok send one, reads with its usual sign.
        ("UTC+08:00", "2026-10-25 00:00:00", "2026-10-24T16:00:00Z"),
        ("GMT-5", "2026-10-25 00:00:00", "2026-10-25T05:00:00Z"),
        ("UTC", "2026-10-25 13:00:00", "2026-10-25T13:00:00Z"),
    ],
)
def test_local_times_become_the_utc_instant_they_start_at(zone: str, local: str, expected: str) -> None:
    tz = zone_of(zone)
    assert tz is not None
    assert utc_instant(local, tz) == expected


@pytest.mark.parametrize("name", [None, "", "Not/AZone", "UTC+99:00", "../etc/passwd"])
def test_unknown_zone_names_are_not_guessed(name: str | None) -> None:
    assert zone_of(name) is None
    stamp = RowStamp(Advertiser("1", timezone=name, currency="EUR"), "stat_time_day", date(2026, 1, 1))
    record = stamp.apply({"stat_time_day": "2026-10-25 00:00:00"})
    assert record["stat_time_utc"] is None and record["timezone"] == (name or None)
    assert record["currency"] == "EUR"


def test_a_time_that_is_not_a_time_has_no_instant() -> None:
    assert utc_instant("yesterday", zone_of("UTC")) is None  # type: ignore[arg-type]
    assert utc_instant("2026-10-25T00:00:00+02:00", zone_of("UTC")) is None  # type: ignore[arg-type]


# --- the stamp -----------------------------------------------------------------------------------------


def test_stamp_adds_the_advertisers_currency_zone_and_the_provisional_flag() -> None:
    stamp = RowStamp(
        Advertiser("1", timezone="Asia/Tokyo", currency="JPY"), "stat_time_hour", date(2026, 10, 22)
    )
    old = stamp.apply({"stat_time_hour": "2026-10-21 23:00:00"})
    new = stamp.apply({"stat_time_hour": "2026-10-22 00:00:00"})
    assert old == {
        "stat_time_hour": "2026-10-21 23:00:00",
        "currency": "JPY",
        "timezone": "Asia/Tokyo",
        "stat_time_utc": "2026-10-21T14:00:00Z",
        "is_provisional": False,
    }
    assert new["is_provisional"] is True and new["stat_time_utc"] == "2026-10-21T15:00:00Z"
    # A row without its time is never called final.
    assert stamp.apply({})["is_provisional"] is True


def test_undated_rows_are_always_provisional() -> None:
    record = RowStamp(Advertiser("1", timezone="UTC", currency="USD"), None, None).apply({"ad_id": "9"})
    assert record == {"ad_id": "9", "currency": "USD", "timezone": "UTC", "is_provisional": True}


def test_report_schemas_declare_the_added_fields() -> None:
    daily = report_json_schema(REPORTS["ads_reports_daily"])["properties"]
    lifetime = report_json_schema(REPORTS["ads_reports_lifetime"])["properties"]
    assert daily["stat_time_utc"] == {
        "type": ["null", "string"],
        "format": "date-time",
        "airbyte_type": "timestamp_with_timezone",
    }
    for properties in (daily, lifetime):
        assert properties["currency"] == properties["timezone"] == {"type": ["null", "string"]}
        assert properties["is_provisional"] == {"type": ["null", "boolean"]}
    assert "stat_time_utc" not in lifetime


# --- through a read ------------------------------------------------------------------------------------


class DailyRows:
    """One row per ad and local day (per hour for hourly queries), spend growing with each read: TikTok
    revising a day is what the re-read is for."""

    def __init__(self) -> None:
        self.reads = 0
        self.days_asked: list[list[str]] = []

    def __call__(self, request: Any, context: Any) -> dict[str, Any]:
        query = query_of(request)
        self.reads += 1
        if "query_lifetime" in query:
            rows = [{"dimensions": {"ad_id": "9"}, "metrics": {"spend": "1"}}]
        else:
            start, end = date.fromisoformat(query["start_date"]), date.fromisoformat(query["end_date"])
            days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
            self.days_asked.append([day.isoformat() for day in days])
            time_dimension = json.loads(query["dimensions"])[1]
            hours = HOURS if time_dimension == "stat_time_hour" else (0,)
            rows = [
                {
                    "dimensions": {"ad_id": "9", time_dimension: f"{day} {hour:02d}:00:00"},
                    "metrics": {"spend": str(self.reads)},
                }
                for day in days
                for hour in hours
            ]
        page_info = {"page": 1, "page_size": 1000, "total_number": len(rows), "total_page": 1}
        return envelope({"list": rows, "page_info": page_info})


class Clock:
    """Stands in for `datetime` in the report stream module: `now()` is the simulated sync's time."""

    now_utc = datetime(2026, 3, 1, tzinfo=UTC)

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        clock = self

        class Frozen(datetime):
            @classmethod
            def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
                return clock.now_utc if tz is None else clock.now_utc.astimezone(tz)

        monkeypatch.setattr(report_stream_module, "datetime", Frozen)


def sync(
    stream: str,
    fake: DailyRows,
    state: list[AirbyteStateMessage] | None,
    timezone: str = "America/Los_Angeles",
    **config: Any,
) -> tuple[list[dict[str, Any]], list[AirbyteStateMessage]]:
    catalog = CatalogBuilder().with_stream(stream, SyncMode.incremental).build()
    with requests_mock.Mocker() as mock:
        info = {"advertiser_id": "111", "timezone": timezone, "currency": "EUR", "name": "A"}
        mock.get(BASE_URL + "advertiser/info/", json=envelope({"list": [info]}))
        mock.get(BASE_URL + "report/integrated/get/", json=fake)
        mock.get(BASE_URL + "campaign/get/", json=envelope({"list": [], "page_info": {"total_number": 0}}))
        output = read(SourceTiktokAds(), raw_config(advertiser_ids=["111"], **config), catalog, state)
    assert not output.errors, output.errors
    records = [message.record.data for message in output.records]
    return records, [output.state_messages[-1].state] if output.state_messages else state or []


def test_records_carry_the_fields_through_a_read(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(monkeypatch)
    clock.now_utc = datetime(2026, 3, 10, 20, tzinfo=UTC)  # 13:00 on 2026-03-10 in Los Angeles
    records, _ = sync("ads_reports_daily", DailyRows(), None, start_date="2026-03-01", attribution_window=3)
    by_day = {record["stat_time_day"][:10]: record for record in records}
    assert sorted(by_day) == [f"2026-03-{day:02d}" for day in range(1, 11)]
    assert {record["currency"] for record in records} == {"EUR"}
    assert {record["timezone"] for record in records} == {"America/Los_Angeles"}
    assert by_day["2026-03-08"]["stat_time_utc"] == "2026-03-08T08:00:00Z"  # the DST day starts at PST
    assert by_day["2026-03-09"]["stat_time_utc"] == "2026-03-09T07:00:00Z"
    # The cursor ends at 03-10; the next sync re-reads the 3 days before it, and the 10th itself.
    assert [day for day, record in sorted(by_day.items()) if record["is_provisional"]] == [
        "2026-03-07",
        "2026-03-08",
        "2026-03-09",
        "2026-03-10",
    ]


def test_custom_and_lifetime_reports_get_the_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    Clock(monkeypatch).now_utc = datetime(2026, 3, 10, 20, tzinfo=UTC)
    custom = {
        "name": "my_ads_by_day",
        "data_level": "AUCTION_AD",
        "dimensions": ["ad_id"],
        "metrics": ["spend"],
    }
    records, _ = sync("my_ads_by_day", DailyRows(), None, start_date="2026-03-09", custom_reports=[custom])
    assert [(r["stat_time_utc"], r["is_provisional"], r["currency"]) for r in records] == [
        ("2026-03-09T07:00:00Z", True, "EUR"),
        ("2026-03-10T07:00:00Z", True, "EUR"),
    ]
    lifetime, _ = sync("ads_reports_lifetime", DailyRows(), None, start_date="2026-03-09")
    assert [(r["currency"], r["timezone"], r["is_provisional"]) for r in lifetime] == [
        ("EUR", "America/Los_Angeles", True)
    ]
    assert "stat_time_utc" not in lifetime[0]


# --- the provisional flag over sequences of syncs -----------------------------------------------------


def simulate(
    monkeypatch: pytest.MonkeyPatch, stream: str, sync_times: list[datetime], attribution_window: int
) -> tuple[dict[tuple[str, str], dict[str, Any]], list[list[str]], DailyRows]:
    """Runs incremental syncs at the given times, each from the state the one before left, and keeps
    what a destination in append + dedup mode keeps: the last version of each (ad_id, time).

    After every sync, each kept version that says provisional must be read again by the next sync, and
    each that says final must not be."""
    clock = Clock(monkeypatch)
    fake = DailyRows()
    kept: dict[tuple[str, str], dict[str, Any]] = {}
    state: list[AirbyteStateMessage] | None = None
    time_field = REPORTS[stream].time_dimension
    for sync_time in sync_times:
        clock.now_utc = sync_time
        reads_before = len(fake.days_asked)
        records, state = sync(
            stream, fake, state, start_date="2026-02-20", attribution_window=attribution_window
        )
        reread = {day for days in fake.days_asked[reads_before:] for day in days}
        provisional_kept = {key[1][:10] for key, record in kept.items() if record["is_provisional"]}
        final_kept = {key[1][:10] for key, record in kept.items() if not record["is_provisional"]}
        # What the previous sync called provisional is what this one read again, and nothing final was.
        assert provisional_kept <= reread, (sync_time, sorted(provisional_kept - reread))
        assert final_kept.isdisjoint(reread), (sync_time, sorted(final_kept & reread))
        for record in records:
            kept[(record["ad_id"], record[time_field])] = record
    return kept, fake.days_asked, fake


def los_angeles(day: str, hour: int) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(f"{day} {hour:02d}:00:00").replace(tzinfo=ZoneInfo("America/Los_Angeles"))


# Daily syncs across the DST change of 2026-03-08, at changing hours, one day skipped (03-06), two syncs
# on one day (03-09), then one long after: by then every row kept must be final.
SYNC_TIMES = [
    los_angeles("2026-03-01", 6),
    los_angeles("2026-03-02", 6),
    los_angeles("2026-03-03", 23),
    los_angeles("2026-03-04", 0),
    los_angeles("2026-03-05", 12),
    los_angeles("2026-03-07", 12),
    los_angeles("2026-03-08", 1),
    los_angeles("2026-03-08", 22),
    los_angeles("2026-03-09", 3),
    los_angeles("2026-03-09", 18),
    los_angeles("2026-03-10", 6),
]


@pytest.mark.parametrize("attribution_window", [0, 3])
def test_daily_syncs_leave_every_row_final_once_its_window_has_passed(
    monkeypatch: pytest.MonkeyPatch, attribution_window: int
) -> None:
    kept, _, _ = simulate(monkeypatch, "ads_reports_daily", SYNC_TIMES, attribution_window)
    assert len(kept) == 19  # 2026-02-20 .. 2026-03-10, one row a day
    last_day = date(2026, 3, 10)
    for (_, day), record in kept.items():
        expected = date.fromisoformat(day[:10]) >= last_day - timedelta(days=attribution_window)
        assert record["is_provisional"] is expected, day
    # Whatever a later sync re-reads of those days ends false: sync once more, a week later.
    later, _, _ = simulate(
        monkeypatch, "ads_reports_daily", [*SYNC_TIMES, los_angeles("2026-03-17", 9)], attribution_window
    )
    assert len(later) == len(kept) + 7
    assert [day for (_, day), record in later.items() if record["is_provisional"]] == [
        f"2026-03-{day} 00:00:00" for day in range(17 - attribution_window, 18)
    ]


def test_hourly_syncs_leave_every_hour_final_once_its_window_has_passed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    times = [*SYNC_TIMES[5:], los_angeles("2026-03-20", 9)]
    kept, _, _ = simulate(monkeypatch, "ads_reports_hourly", times, attribution_window=2)
    assert {day[11:] for (_, day) in kept} == {f"{hour:02d}:00:00" for hour in HOURS}
    provisional = sorted({day[:10] for (_, day), record in kept.items() if record["is_provisional"]})
    assert provisional == ["2026-03-18", "2026-03-19", "2026-03-20"]
    # The hours of the DST day are each their own instant.
    dst_day = sorted(
        record["stat_time_utc"] for (_, day), record in kept.items() if day.startswith("2026-03-08")
    )
    assert dst_day == [
        "2026-03-08T08:00:00Z",
        "2026-03-08T09:00:00Z",
        "2026-03-08T10:00:00Z",  # 02:00 does not exist that day; 03:00 PDT is the same instant
        "2026-03-08T10:00:00Z",
        "2026-03-09T06:00:00Z",
    ]
