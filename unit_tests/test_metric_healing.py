"""Metrics TikTok refuses (40002) are dropped for the advertiser that refused them and named, instead of
failing the stream."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests_mock
from airbyte_cdk.models import FailureType, Level, SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read

from source_tiktok_ads import SourceTiktokAds
from source_tiktok_ads.reports.healing import named_metrics

from .conftest import BASE_URL, envelope, freeze_report_today, raw_config
from .test_report_streams import query_of

TODAY = datetime.now(UTC).date()


@pytest.fixture(autouse=True)
def report_today(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze_report_today(monkeypatch, TODAY)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Invalid metric fields: ['placement']", ["placement"]),
        ("Invalid metric field(s): reach, frequency.", ["reach", "frequency"]),
        ("metrics: billed_cost is not supported when data_level is AUCTION_AD.", ["billed_cost"]),
        ("engaged_view is only supported when report_type is BASIC.", ["engaged_view"]),
        # Whole words only: refusing conversion_rate says nothing about conversion.
        ("Invalid metric fields: ['conversion_rate']", ["conversion_rate"]),
        # A request parameter named like a metric ("advertiser_id: …") is not a refused metric.
        ("advertiser_id: Missing data for required field.", []),
        ("page_size: Must be between 1 and 1000.", []),
    ],
)
def test_refused_metrics_are_found_in_every_message_form(message: str, expected: list[str]) -> None:
    asked = ["spend", "conversion", "conversion_rate", "reach", "frequency", "placement"]
    asked += ["billed_cost", "engaged_view", "advertiser_id"]
    assert named_metrics(message, asked) == expected


class RefusingReports:
    """A TikTok that refuses `refused` metrics, naming one per answer (or all at once), in `form`."""

    def __init__(
        self,
        refused: set[str],
        all_at_once: bool = False,
        message: str | None = None,
        refusing: set[str] | None = None,
    ) -> None:
        self.refused = refused
        self.all_at_once = all_at_once
        self.message = message
        # The advertisers that refuse them (None: every advertiser).
        self.refusing = refusing
        self.queries: list[dict[str, str]] = []

    def __call__(self, request: Any, context: Any) -> dict[str, Any]:
        query = query_of(request)
        self.queries.append(query)
        metrics = json.loads(query["metrics"])
        if self.message:
            return envelope(code=40002, message=self.message)
        refuses = self.refusing is None or query["advertiser_id"] in self.refusing
        refused = [name for name in metrics if name in self.refused] if refuses else []
        if refused:
            if self.all_at_once:
                return envelope(code=40002, message=f"Invalid metric fields: {refused}")
            return envelope(
                code=40002,
                message=f"metrics: {refused[0]} is not supported when data_level is {query['data_level']}.",
            )
        dimensions = json.loads(query["dimensions"])
        rows = [
            {
                "dimensions": {dimensions[0]: "9", "stat_time_day": f"{query['start_date']} 00:00:00"},
                "metrics": {name: "1" for name in metrics},
            }
        ]
        page_info = {"page": 1, "page_size": 1000, "total_number": 1, "total_page": 1}
        return envelope({"list": rows, "page_info": page_info})


def read_refusing(stream: str, fake: RefusingReports, advertisers: tuple[str, ...] = ("111",), **config: Any):
    catalog = CatalogBuilder().with_stream(stream, SyncMode.full_refresh).build()
    infos = [{"advertiser_id": a, "timezone": "UTC", "currency": "USD", "name": a} for a in advertisers]
    with requests_mock.Mocker() as mock:
        mock.get(BASE_URL + "advertiser/info/", json=envelope({"list": infos}))
        mock.get(BASE_URL + "report/integrated/get/", json=fake)
        page_info = {"page": 1, "page_size": 1, "total_number": 0, "total_page": 0}
        mock.get(BASE_URL + "campaign/get/", json=envelope({"list": [], "page_info": page_info}))
        return read(SourceTiktokAds(), raw_config(advertiser_ids=list(advertisers), **config), catalog)


def warnings_of(output: Any) -> list[str]:
    return [log.log.message for log in output.logs if log.log.level == Level.WARN]


@pytest.mark.parametrize("all_at_once", [False, True])
def test_a_refused_metric_is_dropped_for_the_advertiser_that_refused_it_and_named_once(
    all_at_once: bool,
) -> None:
    refused = {"billed_cost", "engaged_view", "advertiser_id"}
    fake = RefusingReports(refused, all_at_once=all_at_once)
    # Two advertisers, two windows each: only each advertiser's first window pays for the refusals.
    start = (TODAY - timedelta(days=40)).isoformat()
    # One worker: windows are fetched one after another, so the count of requests is exact.
    output = read_refusing("ads_reports_daily", fake, ("111", "222"), start_date=start, num_workers=1)

    assert not output.errors
    records = [message.record.data for message in output.records]
    assert {record["advertiser_id"] for record in records} == {"111", "222"}
    assert len(records) == 4
    for record in records:
        assert record["metrics"]["spend"] == 1.0
        assert all(record["metrics"][name] is None for name in refused - {"advertiser_id"})
    answered = [query for query in fake.queries if not refused & set(json.loads(query["metrics"]))]
    assert len(answered) == 4
    assert len(fake.queries) == 4 + 2 * (1 if all_at_once else len(refused))

    stream_warnings = [message for message in warnings_of(output) if message.startswith("ads_reports_daily:")]
    assert len(stream_warnings) == 2
    assert all(name in warning for name in refused for warning in stream_warnings)
    assert {"for advertiser 111" in warning for warning in stream_warnings} == {True, False}
    assert all(
        "not supported when data_level is AUCTION_AD" in warning or "Invalid metric fields" in warning
        for warning in stream_warnings
    )
    summary = [message for message in warnings_of(output) if message.startswith("Metrics TikTok refused")]
    assert len(summary) == 1 and "ads_reports_daily: " in summary[0]
    assert all(name in summary[0] for name in refused)
    assert "(advertiser 111)" in summary[0] and "(advertiser 222)" in summary[0]


@pytest.mark.parametrize("num_workers", [1, 6])
def test_a_metric_one_advertiser_refuses_stays_in_the_others_records_whatever_the_workers(
    num_workers: int,
) -> None:
    fake = RefusingReports({"billed_cost"}, refusing={"111"})
    start = (TODAY - timedelta(days=95)).isoformat()
    output = read_refusing(
        "ads_reports_daily", fake, ("111", "222"), start_date=start, num_workers=num_workers
    )

    assert not output.errors
    records = [message.record.data for message in output.records]
    by_advertiser = {
        advertiser_id: [
            record["metrics"]["billed_cost"] for record in records if record["advertiser_id"] == advertiser_id
        ]
        for advertiser_id in ("111", "222")
    }
    assert len(by_advertiser["111"]) == len(by_advertiser["222"]) == 4
    assert by_advertiser["111"] == [None] * 4 and by_advertiser["222"] == [1.0] * 4
    # The advertiser that accepts it is never asked without it.
    assert all("billed_cost" in query["metrics"] for query in fake.queries if query["advertiser_id"] == "222")


def test_a_custom_report_heals_the_same_way() -> None:
    custom = {
        "name": "my_campaigns",
        "data_level": "AUCTION_CAMPAIGN",
        "dimensions": ["campaign_id"],
        "metrics": ["spend", "clicks", "brand_new_metric"],
    }
    fake = RefusingReports({"brand_new_metric"})
    output = read_refusing("my_campaigns", fake, custom_reports=[custom])
    assert not output.errors
    records = [message.record.data for message in output.records]
    assert records and all(record["metrics"]["brand_new_metric"] is None for record in records)
    assert all(record["metrics"]["clicks"] == 1 for record in records)
    assert any(
        "my_campaigns: TikTok refused metric(s) brand_new_metric" in message
        for message in warnings_of(output)
    )


def test_a_rejection_naming_no_requested_metric_fails_the_stream_as_before() -> None:
    fake = RefusingReports(set(), message="filtering: field_name campaign_status does not match data_level.")
    output = read_refusing("ads_reports_daily", fake, start_date=(TODAY - timedelta(days=3)).isoformat())
    assert not output.records
    errors = [error.trace.error for error in output.errors]
    assert any(
        "TikTok rejected a parameter of report/integrated/get/ for advertiser 111: filtering"
        in (error.message or "")
        and error.failure_type == FailureType.config_error
        for error in errors
    )
    # Nothing to drop, so the window is not asked for a second time.
    assert len(fake.queries) == 1
