"""The emulator's clock (no delivery in hours that have not begun in the advertiser's zone) and its
`divergent` profile (a TikTok that differs from the connector's catalog)."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

import pytest
from tiktok_emulator import Dataset, DatasetSpec, Emulator, credentials
from tiktok_emulator.divergent import EXTRA_ITEM_FIELD

DAY = date(2026, 11, 25)
# 10:30 UTC: 02:30 in Etc/GMT+8 (advertiser 1), 13:30 in Europe/Moscow (advertiser 2).
NOW = datetime(2026, 11, 25, 10, 30, tzinfo=UTC)
SPEC = DatasetSpec(advertisers=2, days=3, end_date=DAY, now=NOW)


def call(emulator: Emulator, path: str, **params: Any) -> dict[str, Any]:
    encoded = {key: value if isinstance(value, str) else json.dumps(value) for key, value in params.items()}
    _, _, body = emulator.handle_api(path, encoded, credentials.ACCESS_TOKEN)
    return json.loads(body)


def report(emulator: Emulator, advertiser_id: str, dimensions: list[str], metrics: list[str], **extra: Any):
    return call(
        emulator,
        "report/integrated/get/",
        advertiser_id=advertiser_id,
        report_type="BASIC",
        data_level="AUCTION_AD",
        dimensions=dimensions,
        metrics=metrics,
        start_date=DAY.isoformat(),
        end_date=DAY.isoformat(),
        page_size="1000",
        **extra,
    )


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return Dataset.generate(SPEC)


@pytest.mark.parametrize(("index", "last_hour"), [(0, 2), (1, 13)])
def test_no_hour_is_served_before_it_begins_in_the_advertisers_zone(
    dataset: Dataset, index: int, last_hour: int
) -> None:
    advertiser_id = dataset.advertisers[index]["advertiser_id"]
    with Emulator(dataset) as emulator:
        hourly = report(emulator, advertiser_id, ["ad_id", "stat_time_hour"], ["spend"])["data"]["list"]
        daily = report(emulator, advertiser_id, ["ad_id", "stat_time_day"], ["spend"])["data"]["list"]
    hours = {int(row["dimensions"]["stat_time_hour"][11:13]) for row in hourly}
    assert hours and max(hours) <= last_hour
    # The day so far is the sum of the hours so far.
    by_ad: dict[str, float] = defaultdict(float)
    for row in hourly:
        by_ad[row["dimensions"]["ad_id"]] += float(row["metrics"]["spend"])
    for row in daily:
        assert float(row["metrics"]["spend"]) == pytest.approx(by_ad[row["dimensions"]["ad_id"]], abs=0.01)


@pytest.mark.parametrize(
    ("metrics", "message"),
    [
        (["spend", "gross_impressions"], "Invalid metric fields: ['gross_impressions']."),
        (["engaged_view", "engaged_view_15s"], "Invalid metric field(s): engaged_view, engaged_view_15s."),
        (
            ["billed_cost", "advertiser_id"],
            "metrics: billed_cost is not supported when data_level is AUCTION_AD.",
        ),
        (["cost_per_1000_reached"], "cost_per_1000_reached is only supported when"),
    ],
)
def test_the_divergent_profile_refuses_metrics_in_each_message_form(
    dataset: Dataset, metrics: list[str], message: str
) -> None:
    advertiser_id = dataset.advertisers[0]["advertiser_id"]
    with Emulator(dataset, profile="divergent") as emulator:
        answer = report(emulator, advertiser_id, ["ad_id", "stat_time_day"], metrics)
    assert answer["code"] == 40002 and message in answer["message"]


def test_the_divergent_profile_sends_numeric_ids_extra_fields_and_no_page_info_when_empty(
    dataset: Dataset,
) -> None:
    advertiser_id = dataset.advertisers[0]["advertiser_id"]
    with Emulator(dataset, profile="divergent", keyless_rows=True) as emulator:
        campaigns = call(emulator, "campaign/get/", advertiser_id=advertiser_id, page_size="100")["data"]
        empty = call(
            emulator,
            "campaign/get/",
            advertiser_id=advertiser_id,
            filtering={"campaign_ids": ["1"]},
            page_size="100",
        )["data"]
        rows = report(emulator, advertiser_id, ["ad_id", "stat_time_day"], ["spend"])["data"]["list"]
    assert campaigns["list"] and all(isinstance(item["campaign_id"], int) for item in campaigns["list"])
    assert all(isinstance(item["advertiser_id"], int) for item in campaigns["list"])
    assert all(item[EXTRA_ITEM_FIELD[0]] == EXTRA_ITEM_FIELD[1] for item in campaigns["list"])
    assert "page_info" in campaigns and empty == {"list": []}
    assert "ad_id" not in rows[0]["dimensions"] and all("ad_id" in row["dimensions"] for row in rows[1:])


def test_the_standard_profile_is_unchanged(dataset: Dataset) -> None:
    advertiser_id = dataset.advertisers[0]["advertiser_id"]
    with Emulator(dataset) as emulator:
        campaigns = call(emulator, "campaign/get/", advertiser_id=advertiser_id, page_size="100")["data"]
        accepted = report(emulator, advertiser_id, ["ad_id", "stat_time_day"], ["spend", "gross_impressions"])
    assert all(isinstance(item["campaign_id"], str) for item in campaigns["list"])
    assert accepted["code"] == 0
