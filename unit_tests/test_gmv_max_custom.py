"""GMV Max custom reports: checked before any request, then read by the GMV Max report stream."""

from __future__ import annotations

import pytest
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_tiktok_ads.config import GmvMaxCustomReport, GmvMaxLevel
from source_tiktok_ads.reports.gmv_max import GmvMaxReportStream
from source_tiktok_ads.reports.gmv_max_custom import definition_of, validate_gmv_max_reports
from source_tiktok_ads.source import SourceTiktokAds

from .conftest import raw_config


def report(
    level: str, metrics: list[str], dimensions: list[str] | None = None, name: str = "shop"
) -> GmvMaxCustomReport:
    return GmvMaxCustomReport(
        name=name, level=GmvMaxLevel(level), metrics=metrics, dimensions=dimensions or []
    )


@pytest.mark.parametrize(
    "custom, expected",
    [
        (report("ACCOUNT", ["spend"]), "GMV Max reports call it 'cost'"),
        (
            report("ACCOUNT", ["live_views"]),
            "metric 'live_views' is not available at level ACCOUNT; it is at LIVE_CAMPAIGN",
        ),
        (report("PRODUCT_CREATIVE", ["cost"], ["item_id"]), "are not a grouping this connector reads"),
        (report("ACCOUNT", ["cost"], name="gmv_max_stores"), "is already a stream"),
        (report("ACCOUNT", ["cost"], name="9 shops"), "may only contain letters"),
    ],
)
def test_problems_name_the_fix(custom: GmvMaxCustomReport, expected: str) -> None:
    validation = validate_gmv_max_reports([custom], ["gmv_max_stores"])
    assert not validation.ok and any(expected in problem for problem in validation.problems), (
        validation.problems
    )


def test_unknown_metrics_are_left_to_tiktok_with_a_warning() -> None:
    validation = validate_gmv_max_reports([report("PRODUCT_CAMPAIGN", ["cost", "brand_new_metric"])], [])
    assert validation.ok and "brand_new_metric" in validation.warnings[0]


def test_levels_below_campaign_carry_their_parent_filters() -> None:
    spu = definition_of(report("PRODUCT_SPU", ["cost", "orders"]))
    assert spu.dimensions == ("campaign_id", "item_group_id", "stat_time_day")
    assert spu.parent_filters == ("campaign_ids",) and spu.filtering() == {}
    live = definition_of(report("LIVE_CAMPAIGN", ["cost", "live_views"]))
    assert live.filtering() == {"gmv_max_promotion_types": ["LIVE"]}


def test_a_gmv_max_custom_report_becomes_a_stream_and_a_bad_one_a_config_error() -> None:
    custom = {"name": "shop_daily", "level": "PRODUCT_CAMPAIGN", "metrics": ["cost", "roi"]}
    streams = SourceTiktokAds().streams(raw_config(advertiser_ids=["1"], gmv_max_custom_reports=[custom]))
    stream = next(s for s in streams if s.name == "shop_daily")
    assert isinstance(stream, GmvMaxReportStream) and stream.definition.metrics == ("cost", "roi")
    assert stream.primary_key == ["advertiser_id", "store_id", "campaign_id", "stat_time_day"]
    bad = {**custom, "metrics": ["impressions"]}
    with pytest.raises(AirbyteTracedException, match=r"Invalid gmv_max_custom_reports.*product_impressions"):
        SourceTiktokAds().streams(raw_config(advertiser_ids=["1"], gmv_max_custom_reports=[bad]))
