"""Report streams against a mocked TikTok: windows, typed records, 40067 splitting, filters, cursors."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests_mock
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read
from airbyte_cdk.test.state_builder import StateBuilder

from source_tiktok_ads import SourceTiktokAds
from source_tiktok_ads.advertisers import AdvertiserDirectory
from source_tiktok_ads.api.envelope import Envelope
from source_tiktok_ads.config import ReportType, parse_config
from source_tiktok_ads.reports.catalog import METRICS, ValueType
from source_tiktok_ads.reports.definitions import BUILTIN_REPORTS
from source_tiktok_ads.reports.records import RecordBuilder, report_json_schema

from .conftest import BASE_URL, envelope, freeze_report_today, raw_config

REPORTS = {definition.name: definition for definition in BUILTIN_REPORTS}
TODAY = datetime.now(UTC).date()


@pytest.fixture(autouse=True)
def report_today(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze_report_today(monkeypatch, TODAY)


def query_of(request: Any) -> dict[str, str]:
    return {key: value[0] for key, value in parse_qs(urlsplit(request.url).query).items()}


class FakeReports:
    """One row per day in the window; says "too large" for windows longer than `max_days`."""

    def __init__(self, max_days: int = 366) -> None:
        self.max_days = max_days
        self.queries: list[dict[str, str]] = []
        self.answered_spans: list[int] = []

    def __call__(self, request: Any, context: Any) -> dict[str, Any]:
        query = query_of(request)
        self.queries.append(query)
        if "query_lifetime" in query:
            rows = [{"dimensions": {"ad_id": "9"}, "metrics": {"spend": "1.500", "impressions": "10"}}]
            return envelope(
                {
                    "list": rows,
                    "page_info": {"page": 1, "page_size": 1000, "total_number": 1, "total_page": 1},
                }
            )
        start, end = date.fromisoformat(query["start_date"]), date.fromisoformat(query["end_date"])
        if (end - start).days + 1 > self.max_days:
            return envelope(code=40067, message="Your query is too large, please reduce the query size")
        self.answered_spans.append((end - start).days + 1)
        time_dimension = json.loads(query["dimensions"])[1]
        rows = [
            {
                "dimensions": {"ad_id": "9", time_dimension: f"{start + timedelta(days=offset)} 00:00:00"},
                "metrics": {
                    "spend": "20.000",
                    "impressions": "4787",
                    "ctr": "1.18",
                    "ad_name": "An ad",
                    "frequency": "-",
                },
            }
            for offset in range((end - start).days + 1)
        ]
        return envelope(
            {
                "list": rows,
                "page_info": {"page": 1, "page_size": 1000, "total_number": len(rows), "total_page": 1},
            }
        )


def read_report(
    stream: str,
    fake: FakeReports,
    sync_mode: SyncMode = SyncMode.full_refresh,
    state: list | None = None,
    topview_campaigns: int = 0,
    rf_campaigns: int = 0,
    **config: Any,
):
    catalog = CatalogBuilder().with_stream(stream, sync_mode).build()
    with requests_mock.Mocker() as mock:
        mock.get(
            BASE_URL + "advertiser/info/",
            json=envelope(
                {"list": [{"advertiser_id": "111", "timezone": "UTC", "currency": "USD", "name": "A"}]}
            ),
        )
        if getattr(fake, "answers_raw_bodies", False):
            mock.get(BASE_URL + "report/integrated/get/", content=fake)
        else:
            mock.get(BASE_URL + "report/integrated/get/", json=fake)

        def probe(request: Any, context: Any) -> dict[str, Any]:
            # The TopView and the Reach & Frequency look-ups: one campaign of each kind, or none.
            count = rf_campaigns if "%5B%22RESERVATION_RF%22%5D" in request.url else topview_campaigns
            page_info = {"page": 1, "page_size": 1, "total_number": count, "total_page": count}
            return envelope({"list": [{"campaign_id": "1"}] if count else [], "page_info": page_info})

        mock.get(BASE_URL + "campaign/get/", json=probe)
        return read(SourceTiktokAds(), raw_config(advertiser_ids=["111"], **config), catalog, state)


def test_every_builtin_report_has_a_sound_shape() -> None:
    assert len(REPORTS) == 30
    for definition in BUILTIN_REPORTS:
        assert definition.metrics and len(set(definition.metrics)) == len(definition.metrics)
        assert len(set(definition.dimensions)) == len(definition.dimensions)
        if definition.report_type == ReportType.AUDIENCE:
            assert {"gender", "age", "country_code", "platform", "province_id"} & set(definition.breakdowns)
        schema = report_json_schema(definition)
        assert set(definition.metrics) == set(schema["properties"]["metrics"]["properties"])


def test_records_are_typed_with_dimensions_on_top() -> None:
    definition = REPORTS["ads_reports_daily"]
    row = {
        "dimensions": {"ad_id": "1714125051115569", "stat_time_day": "2026-10-25 00:00:00"},
        "metrics": {
            "spend": "20.000",
            "impressions": "4787",
            "ctr": "1.18",
            "frequency": "-",
            "ad_name": "x",
            "clicks": "",
        },
    }
    record = RecordBuilder(definition).build(row, "111")
    assert record["ad_id"] == "1714125051115569" and record["stat_time_day"] == "2026-10-25 00:00:00"
    assert record["advertiser_id"] == "111"
    metrics = record["metrics"]
    assert metrics["spend"] == 20.0 and metrics["impressions"] == 4787 and metrics["ctr"] == 1.18
    assert metrics["frequency"] is None and metrics["clicks"] is None and metrics["ad_name"] == "x"
    assert isinstance(metrics["impressions"], int)
    assert set(metrics) == set(definition.metrics)  # missing metrics are present as null
    assert record["dimensions"] == row["dimensions"]


@pytest.mark.parametrize(
    ("raw", "value_type", "expected"),
    [
        ("12", ValueType.COUNT, 12),
        ("12.0", ValueType.COUNT, 12),
        ("1e3", ValueType.MONEY, 1000.0),
        ("nan", ValueType.MONEY, None),
        ("abc", ValueType.COUNT, None),
        (None, ValueType.RATE, None),
        ("123456789012345678901", ValueType.COUNT, 123456789012345678901),
        (7, ValueType.MONEY, 7.0),
        ("7", ValueType.STRING, "7"),
        # json.loads reads 1e999 as infinity; a count cannot hold it.
        (float("inf"), ValueType.COUNT, None),
        (float("-inf"), ValueType.MONEY, None),
    ],
)
def test_metric_conversion_edge_cases(raw: Any, value_type: ValueType, expected: Any) -> None:
    name = next(metric.name for metric in METRICS.values() if metric.value_type == value_type)
    definition = REPORTS["ads_reports_daily"]
    assert name in definition.metrics
    assert RecordBuilder(definition).build({"metrics": {name: raw}}, "1")["metrics"][name] == expected


def test_daily_report_reads_30_day_windows_up_to_local_today() -> None:
    fake = FakeReports()
    start = TODAY - timedelta(days=44)
    output = read_report("ads_reports_daily", fake, start_date=start.isoformat())
    # Windows are fetched concurrently: compare as a sorted list.
    windows = sorted((query["start_date"], query["end_date"]) for query in fake.queries)
    assert windows == [
        (start.isoformat(), (start + timedelta(days=29)).isoformat()),
        ((start + timedelta(days=30)).isoformat(), TODAY.isoformat()),
    ]
    assert len(output.records) == 45
    query = fake.queries[0]
    assert (
        query["report_type"] == "BASIC"
        and query["data_level"] == "AUCTION_AD"
        and query["service_type"] == "AUCTION"
    )
    assert json.loads(query["dimensions"]) == ["ad_id", "stat_time_day"]
    assert json.loads(query["metrics"]) == list(REPORTS["ads_reports_daily"].metrics)
    assert query["page_size"] == "1000" and "filtering" not in query and "filters" not in query


def test_hourly_report_asks_one_day_at_a_time() -> None:
    fake = FakeReports()
    read_report("ads_reports_hourly", fake, start_date=(TODAY - timedelta(days=2)).isoformat())
    assert sorted((query["start_date"], query["end_date"]) for query in fake.queries) == [
        ((TODAY - timedelta(days=n)).isoformat(),) * 2 for n in (2, 1, 0)
    ]


def test_query_too_large_splits_the_window_until_it_fits() -> None:
    fake = FakeReports(max_days=8)
    start = TODAY - timedelta(days=29)
    output = read_report("ads_reports_daily", fake, start_date=start.isoformat())
    assert len(output.records) == 30
    days = sorted(record.record.data["stat_time_day"] for record in output.records)
    assert len(set(days)) == 30  # no gap, no duplicate
    first_span = max(
        (date.fromisoformat(q["end_date"]) - date.fromisoformat(q["start_date"])).days + 1
        for q in fake.queries
    )
    assert first_span == 30
    assert sum(fake.answered_spans) == 30 and max(fake.answered_spans) <= 8


def test_include_deleted_filters_on_the_status_of_the_level() -> None:
    fake = FakeReports()
    read_report("ads_reports_daily", fake, start_date=TODAY.isoformat(), include_deleted=True)
    assert json.loads(fake.queries[0]["filtering"]) == [
        {"field_name": "ad_status", "filter_type": "IN", "filter_value": '["STATUS_ALL"]'}
    ]
    fake = FakeReports()
    read_report("advertisers_reports_daily", fake, start_date=TODAY.isoformat(), include_deleted=True)
    assert "filtering" not in fake.queries[0]


def test_lifetime_uses_query_lifetime_without_dates() -> None:
    fake = FakeReports()
    output = read_report("ads_reports_lifetime", fake)
    assert fake.queries[0]["query_lifetime"] == "true"
    assert "start_date" not in fake.queries[0]
    assert output.records[0].record.data["metrics"]["spend"] == 1.5


def test_incremental_resumes_attribution_window_days_before_the_cursor() -> None:
    fake = FakeReports()
    cursor = TODAY - timedelta(days=5)
    state = (
        StateBuilder()
        .with_stream_state(
            "ads_reports_daily",
            {
                "states": [
                    {"partition": {"advertiser_id": "111"}, "cursor": {"stat_time_day": cursor.isoformat()}}
                ]
            },
        )
        .build()
    )
    output = read_report(
        "ads_reports_daily", fake, SyncMode.incremental, state, start_date="2026-01-01", attribution_window=2
    )
    assert min(query["start_date"] for query in fake.queries) == (cursor - timedelta(days=2)).isoformat()
    assert output.most_recent_state.stream_state.__dict__["states"] == [
        {"partition": {"advertiser_id": "111"}, "cursor": {"stat_time_day": TODAY.isoformat()}}
    ]


def test_future_cursor_reads_nothing() -> None:
    fake = FakeReports()
    state = (
        StateBuilder()
        .with_stream_state(
            "ads_reports_daily",
            {"states": [{"partition": {"advertiser_id": "111"}, "cursor": {"stat_time_day": "2099-01-01"}}]},
        )
        .build()
    )
    output = read_report("ads_reports_daily", fake, SyncMode.incremental, state)
    assert output.records == [] and fake.queries == []


def test_topview_rows_are_asked_for_separately_below_advertiser_level() -> None:
    fake = FakeReports()
    read_report("ads_reports_daily", fake, start_date=TODAY.isoformat(), topview_campaigns=1)
    filters = sorted(query.get("filtering", "") for query in fake.queries)
    assert filters == [
        "",
        '[{"field_name":"buying_type","filter_type":"IN","filter_value":"[\\"RESERVATION_TOP_VIEW\\"]"}]',
    ]
    fake = FakeReports()
    read_report("advertisers_reports_daily", fake, start_date=TODAY.isoformat(), topview_campaigns=1)
    assert len(fake.queries) == 1  # the advertiser level already includes TopView delivery


def test_reach_and_frequency_rows_are_asked_for_by_buying_type_and_never_emitted_twice() -> None:
    fake = FakeReports()
    output = read_report("ads_reports_daily", fake, start_date=TODAY.isoformat(), rf_campaigns=1)
    filters = sorted(query.get("filtering", "") for query in fake.queries)
    assert filters == [
        "",
        '[{"field_name":"buying_type","filter_type":"IN","filter_value":"[\\"RESERVATION_RF\\"]"}]',
    ]
    # The fake answers both requests with the same rows (TikTok may include R&F rows unfiltered [?]).
    keys = [(record.record.data["ad_id"], record.record.data["stat_time_day"]) for record in output.records]
    assert keys and len(keys) == len(set(keys))
    fake = FakeReports()
    read_report("advertisers_reports_daily", fake, start_date=TODAY.isoformat(), rf_campaigns=1)
    assert len(fake.queries) == 1


def test_workers_starting_together_ask_about_topview_once_per_advertiser() -> None:
    calls: list[str] = []

    class SlowApi:
        def get(self, path: str, params: dict[str, Any]) -> Envelope:
            calls.append(params["advertiser_id"])
            time.sleep(0.05)  # long enough for every thread to arrive while the first asks
            return Envelope(0, "OK", "", {"list": [], "page_info": {"total_number": 0}})

    directory = AdvertiserDirectory(parse_config(raw_config()), SlowApi(), logging.getLogger("test"))  # type: ignore[arg-type]
    threads = [threading.Thread(target=directory.has_topview, args=(str(n % 2),)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(calls) == ["0", "1"]
    assert directory.has_topview("0") is False and len(calls) == 2


class ShiftingPages:
    """Two pages whose total grows between them, as when rows appear during a read."""

    def __init__(self, settle_after: int) -> None:
        self.calls = 0
        self.settle_after = settle_after

    @staticmethod
    def row(ad: int) -> dict[str, Any]:
        return {
            "dimensions": {"ad_id": str(ad), "stat_time_day": f"{TODAY} 00:00:00"},
            "metrics": {"spend": "1"},
        }

    def __call__(self, request: Any, context: Any) -> dict[str, Any]:
        self.calls += 1
        page = int(query_of(request)["page"])
        attempt = (self.calls + 1) // 2
        if attempt <= self.settle_after:
            # Page 1 says 2 rows; by page 2 a third row exists and pushed a row onto page 2.
            rows = [self.row(1)] if page == 1 else [self.row(2)]
            total = 2 if page == 1 else 3
        else:
            rows = [self.row(1), self.row(2)] if page == 1 else [self.row(3)]
            total = 3
        return envelope(
            {
                "list": rows,
                "page_info": {"page": page, "page_size": 2, "total_number": total, "total_page": 2},
            }
        )


def test_a_window_whose_rows_do_not_add_up_is_read_again_without_duplicates() -> None:
    fake = ShiftingPages(settle_after=1)
    output = read_report("ads_reports_daily", fake, start_date=TODAY.isoformat())  # type: ignore[arg-type]
    assert sorted(record.record.data["ad_id"] for record in output.records) == ["1", "2", "3"]
    assert fake.calls == 4
    assert not output.errors


def test_a_row_pushed_onto_the_next_page_is_emitted_once() -> None:
    """A row created ahead of the offset between two page requests pushes the last row of page 1
    onto page 2: the window check alone must keep it from being emitted twice."""
    pages = {
        1: [ShiftingPages.row(1), ShiftingPages.row(2)],
        2: [ShiftingPages.row(2), ShiftingPages.row(3)],
    }

    def shifted(request: Any, context: Any) -> dict[str, Any]:
        page = int(query_of(request)["page"])
        info = {"page": page, "page_size": 2, "total_number": 4, "total_page": 2}
        return envelope({"list": pages[page], "page_info": info})

    output = read_report("ads_reports_daily", shifted, start_date=TODAY.isoformat())  # type: ignore[arg-type]
    assert [record.record.data["ad_id"] for record in output.records] == ["1", "2", "3"]
    assert not output.errors


def test_a_window_that_never_adds_up_fails_instead_of_passing_short() -> None:
    fake = ShiftingPages(settle_after=99)
    output = read_report("ads_reports_daily", fake, start_date=TODAY.isoformat())  # type: ignore[arg-type]
    assert any("kept changing" in error.trace.error.message for error in output.errors)
    # The cursor did not move past the window: no state claims it.
    assert all(
        not message.state.stream.stream_state.__dict__.get("states") for message in output.state_messages
    )


def test_a_row_without_its_key_fails_the_stream() -> None:
    def broken(request: Any, context: Any) -> dict[str, Any]:
        row = {"dimensions": {"ad_id": None, "stat_time_day": f"{TODAY} 00:00:00"}, "metrics": {"spend": "1"}}
        return envelope(
            {"list": [row], "page_info": {"page": 1, "page_size": 1000, "total_number": 1, "total_page": 1}}
        )

    output = read_report("ads_reports_daily", broken, start_date=TODAY.isoformat())  # type: ignore[arg-type]
    assert output.records == []
    assert any(
        "without" in error.trace.error.message and "primary key" in error.trace.error.message
        for error in output.errors
    )


class BrokenOnce:
    """A large page whose first answer has one row garbled half-way; the page asked for again is whole."""

    answers_raw_bodies = True

    def __init__(self, rows: int = 1500) -> None:
        self.calls = 0
        self.rows = rows

    def body(self, page: int) -> bytes:
        first = (page - 1) * 1000
        rows = [
            {
                "dimensions": {"ad_id": str(ad), "stat_time_day": f"{TODAY} 00:00:00"},
                "metrics": {"spend": "1.5", "ad_name": f"ad {ad}"},
            }
            for ad in range(first, min(first + 1000, self.rows))
        ]
        info = {"page": page, "page_size": 1000, "total_number": self.rows, "total_page": 2}
        return json.dumps(envelope({"list": rows, "page_info": info})).encode()

    def __call__(self, request: Any, context: Any) -> bytes:
        self.calls += 1
        body = self.body(int(query_of(request)["page"]))
        if self.calls == 1:
            middle = body.index(b'"ad 500"')
            body = body[:middle] + b"\x00" + body[middle + 1 :]
        return body


def test_a_page_whose_rows_break_half_way_is_read_again_and_loses_nothing() -> None:
    """Rows of a large page stream through as they are parsed: a row that does not parse half-way must
    not leave the rows before it counted as emitted (they would be skipped on the second reading)."""
    fake = BrokenOnce()
    output = read_report("ads_reports_daily", fake, start_date=TODAY.isoformat())  # type: ignore[arg-type]
    assert not output.errors
    assert sorted(int(record.record.data["ad_id"]) for record in output.records) == list(range(1500))
    assert fake.calls == 3  # page 1 twice, page 2 once


class UnsplittableRows(BrokenOnce):
    """Large pages whose rows carry a list of objects: the rows cannot be cut apart in the body."""

    def body(self, page: int) -> bytes:
        document = json.loads(super().body(page))
        for row in document["data"]["list"]:
            row["extra"] = [{"a": 1}, {"b": [2, {"c": 3}]}]
        return json.dumps(document).encode()

    def __call__(self, request: Any, context: Any) -> bytes:
        self.calls += 1
        return self.body(int(query_of(request)["page"]))


def test_rows_that_cannot_be_cut_apart_are_read_from_the_whole_page_once_each() -> None:
    fake = UnsplittableRows()
    output = read_report("ads_reports_daily", fake, start_date=TODAY.isoformat())  # type: ignore[arg-type]
    assert not output.errors
    assert sorted(int(record.record.data["ad_id"]) for record in output.records) == list(range(1500))
    assert fake.calls == 2  # the fallback parses the page already fetched: no request repeated
