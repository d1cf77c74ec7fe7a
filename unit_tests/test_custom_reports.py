"""Custom reports: every invalid definition is refused before any request, with a precise message."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_tiktok_ads import SourceTiktokAds
from source_tiktok_ads.config import CustomReport, DataLevel, ReportType, TimeGranularity
from source_tiktok_ads.reports.catalog import accepted_metrics, metric_json_schema
from source_tiktok_ads.reports.custom import custom_definitions, definition_of, validate_custom_reports

from .conftest import raw_config

BUILTINS = ["ads_reports_daily", "campaigns"]
LOGGER = logging.getLogger("test")


def report(**overrides: Any) -> CustomReport:
    fields: dict[str, Any] = {
        "name": "my_report",
        "report_type": "BASIC",
        "data_level": "AUCTION_AD",
        "dimensions": ["ad_id"],
        "time_granularity": "DAY",
        "metrics": ["spend", "impressions", "campaign_id", "adgroup_name"],
    }
    fields.update(overrides)
    return CustomReport.model_validate(fields)


def problems(*reports: CustomReport) -> list[str]:
    return validate_custom_reports(reports, BUILTINS).problems


def test_a_valid_report_becomes_a_definition() -> None:
    custom = report(
        dimensions=["ad_id", "country_code"],
        filters=[{"field_name": "ad_status", "filter_value": '["STATUS_ALL"]'}],
    )
    assert problems(custom) == []
    definition = definition_of(custom)
    assert definition.dimensions == ("ad_id", "stat_time_day", "country_code")
    assert definition.primary_key == ["ad_id", "stat_time_day", "country_code"]
    assert definition.metrics == ("spend", "impressions", "campaign_id", "adgroup_name")
    assert definition.filters == (
        {"field_name": "ad_status", "filter_type": "IN", "filter_value": '["STATUS_ALL"]'},
    )


AUDIENCE_AD = {"report_type": "AUDIENCE", "dimensions": ["ad_id", "gender"], "metrics": ["spend"]}
ADVERTISER_LEVEL = {"data_level": "AUCTION_ADVERTISER", "dimensions": ["advertiser_id"]}
CAMPAIGN_LEVEL = {"data_level": "AUCTION_CAMPAIGN", "dimensions": ["campaign_id"]}
STATUS_ALL = '["STATUS_ALL"]'

# (overrides of the valid base report, the field and value the message must name, the rule or fix it
# must state). Each row breaks exactly one rule, so each must yield exactly one problem.
INVALID_REPORTS = [
    ({"name": "my report!"}, "name 'my report!'", "use e.g. 'my_report'"),
    ({"name": "1report"}, "name '1report'", "must not start with a digit"),
    ({"name": "ads_reports_daily"}, "name 'ads_reports_daily'", "e.g. 'custom_ads_reports_daily'"),
    (
        {"dimensions": ["ad_id", "campaign_id"]},
        "dimension 'campaign_id'",
        "cannot be used at data_level AUCTION_AD; the ID dimension of AUCTION_AD is 'ad_id'; request it as a "
        "metric",
    ),
    (
        {"data_level": "AUCTION_CAMPAIGN", "dimensions": ["campaign_id", "ad_id"]},
        "dimension 'ad_id'",
        "cannot be used at data_level AUCTION_CAMPAIGN; the ID dimension of AUCTION_CAMPAIGN is "
        "'campaign_id'; use 'campaign_id'",
    ),
    ({"dimensions": ["country_code"]}, "dimensions must include 'ad_id'", "the ID dimension of AUCTION_AD"),
    ({"dimensions": ["ad_id", "ad_id_v2"]}, "dimension 'ad_id_v2'", "cannot be combined with 'ad_id'"),
    (
        {"dimensions": ["ad_id", "stat_time_hour"]},
        "dimension 'stat_time_hour'",
        "does not match time_granularity DAY; use 'stat_time_day'",
    ),
    (
        {"time_granularity": "HOUR", "dimensions": ["ad_id", "stat_time_day"]},
        "dimension 'stat_time_day'",
        "does not match time_granularity HOUR; use 'stat_time_hour'",
    ),
    (
        {"time_granularity": "LIFETIME", "dimensions": ["ad_id", "stat_time_day"]},
        "dimension 'stat_time_day'",
        "does not match time_granularity LIFETIME; remove it",
    ),
    (
        {**AUDIENCE_AD, "time_granularity": "LIFETIME", "dimensions": ["ad_id", "gender", "stat_time_day"]},
        "dimension 'stat_time_day'",
        "does not match time_granularity LIFETIME; remove it",
    ),
    (
        {**AUDIENCE_AD, "time_granularity": "HOUR"},
        "time_granularity HOUR",
        "no hourly AUDIENCE reports; use time_granularity DAY",
    ),
    (
        {**AUDIENCE_AD, "dimensions": ["ad_id"]},
        "report_type AUDIENCE",
        "needs an audience dimension in dimensions, one of ac, age, country_code, gender",
    ),
    (
        {"dimensions": ["ad_id", "gender"]},
        "dimension 'gender'",
        "exists only in AUDIENCE reports, not in BASIC; set report_type to AUDIENCE",
    ),
    (
        {"dimensions": ["ad_id", "platform"]},
        "dimension 'platform'",
        "exists only in AUDIENCE reports, not in BASIC",
    ),
    (
        {"time_granularity": "LIFETIME", "dimensions": ["ad_id", "country_code"]},
        "time_granularity LIFETIME",
        "cannot be broken down by country_code; use time_granularity DAY",
    ),
    (
        {**AUDIENCE_AD, "dimensions": ["ad_id", "gender", "age", "platform"]},
        "dimensions ad_id, gender, age, platform",
        "make 5 dimensions (time included), more than the 4",
    ),
    (
        {"dimensions": ["ad_id", "country_code", "ad_type", "custom_event_type"]},
        "dimensions ad_id, country_code, ad_type, custom_event_type",
        "make 5 dimensions (time included), more than the 4",
    ),
    ({"dimensions": ["ad_id", "ad_id"]}, "dimension 'ad_id'", "is listed 2 times; list it once"),
    ({"metrics": ["spend", "clicks", "spend"]}, "metric 'spend'", "is listed 2 times; list it once"),
    ({"metrics": ["placement"]}, "'placement'", "is a dimension, not a metric; move it to dimensions"),
    ({"metrics": ["stat_time_day"]}, "'stat_time_day'", "is a dimension, not a metric"),
    (
        {"filters": [{"field_name": "campaign_status", "filter_value": STATUS_ALL}]},
        "filter on 'campaign_status'",
        "does not match data_level AUCTION_AD; filter on 'ad_status'",
    ),
    (
        {**ADVERTISER_LEVEL, "filters": [{"field_name": "adgroup_status", "filter_value": STATUS_ALL}]},
        "filter on 'adgroup_status'",
        "does not match data_level AUCTION_ADVERTISER; drop it",
    ),
    (
        {"filters": [{"field_name": "ad_status", "filter_value": "STATUS_ALL"}]},
        "filter_value 'STATUS_ALL' of 'ad_status'",
        "is not JSON",
    ),
]


# Which metrics a level, type or granularity accepts is the catalog's belief: a warning, TikTok decides.
ADVISED_REPORTS = [
    (
        {**CAMPAIGN_LEVEL, "metrics": ["adgroup_name"]},
        "metric 'adgroup_name'",
        "is not available at data_level AUCTION_CAMPAIGN; it is available at AUCTION_AD or AUCTION_ADGROUP",
    ),
    (
        {**ADVERTISER_LEVEL, "metrics": ["campaign_name"]},
        "metric 'campaign_name'",
        "is not available at data_level AUCTION_ADVERTISER",
    ),
    (
        {"metrics": ["cash_spend"]},
        "metric 'cash_spend'",
        "is not available at data_level AUCTION_AD; it is available at AUCTION_ADVERTISER",
    ),
    (
        {**ADVERTISER_LEVEL, "time_granularity": "HOUR", "metrics": ["voucher_spend"]},
        "metric 'voucher_spend'",
        "is not available with time_granularity HOUR; it needs DAY",
    ),
    (
        {**ADVERTISER_LEVEL, "time_granularity": "LIFETIME", "metrics": ["cash_spend"]},
        "metric 'cash_spend'",
        "is not available with time_granularity LIFETIME; it needs DAY",
    ),
    (
        {
            **AUDIENCE_AD,
            "data_level": "AUCTION_ADVERTISER",
            "dimensions": ["advertiser_id", "gender"],
            "metrics": ["cash_spend"],
        },
        "metric 'cash_spend'",
        "is not available in AUDIENCE reports; use a BASIC report",
    ),
    (
        {**ADVERTISER_LEVEL, "metrics": ["conversion"]},
        "metric 'conversion'",
        "is not available at data_level AUCTION_ADVERTISER; it is available at AUCTION_AD or AUCTION_ADGROUP "
        "or AUCTION_CAMPAIGN",
    ),
    ({**AUDIENCE_AD, "metrics": ["reach"]}, "metric 'reach'", "is not available in AUDIENCE reports"),
    (
        {**AUDIENCE_AD, "metrics": ["video_play_actions"]},
        "metric 'video_play_actions'",
        "is not available in AUDIENCE reports; use a BASIC report",
    ),
    (
        {**AUDIENCE_AD, "metrics": ["total_pageview"]},
        "metric 'total_pageview'",
        "is not available in AUDIENCE reports",
    ),
    (
        {"time_granularity": "HOUR", "metrics": ["billed_cost"]},
        "metric 'billed_cost'",
        "is not available with time_granularity HOUR; it needs DAY",
    ),
    (
        {"time_granularity": "HOUR", "metrics": ["paid_engaged_view"]},
        "metric 'paid_engaged_view'",
        "is not available with time_granularity HOUR; it needs DAY or LIFETIME",
    ),
    (
        {"dimensions": ["ad_id", "country_code"], "metrics": ["paid_engaged_view_15s"]},
        "metric 'paid_engaged_view_15s'",
        "cannot be combined with the breakdown country_code; drop the breakdown or the metric",
    ),
    (
        {"dimensions": ["ad_id", "country_code"], "metrics": ["purchase"]},
        "metric 'purchase'",
        "cannot be combined with the breakdown country_code",
    ),
]


@pytest.mark.parametrize(
    ("overrides", "named", "rule"),
    INVALID_REPORTS,
    ids=[f"{index:02d}-{row[1]}" for index, row in enumerate(INVALID_REPORTS)],
)
def test_invalid_reports_are_refused_naming_field_value_and_rule(
    overrides: dict[str, Any], named: str, rule: str
) -> None:
    base = {"metrics": ["spend", "impressions"]} if "metrics" not in overrides else {}
    found = problems(report(**base, **overrides))
    assert len(found) == 1, found
    name = overrides.get("name", "my_report")
    assert found[0].startswith(f"Custom report '{name}': {named}"), found[0]
    assert rule in found[0], found[0]


def test_the_invalid_and_advised_tables_cover_at_least_25_rules() -> None:
    assert len(INVALID_REPORTS) >= 12 and len(INVALID_REPORTS) + len(ADVISED_REPORTS) >= 25


@pytest.mark.parametrize(
    ("overrides", "named", "rule"),
    ADVISED_REPORTS,
    ids=[f"{index:02d}-{row[1]}" for index, row in enumerate(ADVISED_REPORTS)],
)
def test_metric_availability_is_a_warning_that_leaves_the_decision_to_tiktok(
    overrides: dict[str, Any], named: str, rule: str
) -> None:
    validation = validate_custom_reports([report(**overrides)], BUILTINS)
    assert validation.ok, validation.problems
    assert len(validation.warnings) == 1, validation.warnings
    assert validation.warnings[0].startswith(f"Custom report 'my_report': {named}")
    assert rule in validation.warnings[0] and "TikTok decides" in validation.warnings[0]


def test_both_time_dimensions_break_two_rules_and_both_are_named() -> None:
    # Whatever the granularity, one of the two time dimensions also contradicts it.
    found = problems(report(dimensions=["ad_id", "stat_time_day", "stat_time_hour"]))
    assert found == [
        "Custom report 'my_report': dimensions 'stat_time_day' and 'stat_time_hour' cannot be combined; "
        "keep one.",
        "Custom report 'my_report': dimension 'stat_time_hour' does not match time_granularity DAY; use "
        "'stat_time_day', or leave the time dimension out: it is added from time_granularity.",
    ]


def test_duplicate_names_are_refused_case_insensitively() -> None:
    assert any(
        "more than one custom report" in problem
        for problem in problems(report(name="Spend"), report(name="spend"))
    )


def test_unknown_names_are_warnings_not_errors() -> None:
    validation = validate_custom_reports(
        [report(metrics=["spend", "brand_new_metric"], dimensions=["ad_id", "new_dim"])], BUILTINS
    )
    assert validation.ok
    assert any("brand_new_metric" in warning for warning in validation.warnings)
    assert any("new_dim" in warning for warning in validation.warnings)


def test_audience_lifetime_is_a_dated_range_without_time_dimension() -> None:
    custom = report(
        report_type="AUDIENCE",
        time_granularity="LIFETIME",
        dimensions=["advertiser_id", "gender", "age"],
        data_level="AUCTION_ADVERTISER",
        metrics=["spend"],
    )
    assert problems(custom) == []
    definition = definition_of(custom)
    assert definition.dimensions == ("advertiser_id", "gender", "age") and not definition.uses_query_lifetime
    assert (definition.report_type, definition.data_level, definition.granularity) == (
        ReportType.AUDIENCE,
        DataLevel.AUCTION_ADVERTISER,
        TimeGranularity.LIFETIME,
    )


def test_config_error_lists_every_problem() -> None:
    with pytest.raises(AirbyteTracedException) as caught:
        custom_definitions(
            [report(name="a", metrics=["placement"]), report(name="b", dimensions=["campaign_id"])],
            BUILTINS,
            LOGGER,
        )
    assert caught.value.failure_type == FailureType.config_error
    assert "Custom report 'a'" in caught.value.message and "Custom report 'b'" in caught.value.message


def test_custom_reports_become_streams_with_generated_schemas() -> None:
    custom = {
        "name": "spend_by_country",
        "data_level": "AUCTION_ADGROUP",
        "dimensions": ["adgroup_id", "country_code"],
        "metrics": ["spend", "clicks", "brand_new_metric"],
        "time_granularity": "HOUR",
    }
    streams = {
        stream.name: stream
        for stream in SourceTiktokAds().streams(raw_config(advertiser_ids=["1"], custom_reports=[custom]))
    }
    stream = streams["spend_by_country"]
    assert stream.primary_key == ["adgroup_id", "stat_time_hour", "country_code"]
    assert stream.cursor_field == "stat_time_hour"
    metrics = stream.get_json_schema()["properties"]["metrics"]["properties"]
    assert metrics["clicks"] == {"type": ["null", "integer"]} and metrics["brand_new_metric"] == {
        "type": ["null", "string"]
    }
    json.dumps(stream.get_json_schema())


def test_an_invalid_custom_report_stops_discover_before_any_request() -> None:
    bad = {"name": "bad", "data_level": "AUCTION_AD", "dimensions": ["campaign_id"], "metrics": ["spend"]}
    with pytest.raises(AirbyteTracedException) as caught:
        SourceTiktokAds().streams(raw_config(advertiser_ids=["1"], custom_reports=[bad]))
    assert "must include 'ad_id'" in caught.value.message


# Every report type x level x granularity the rules allow: BASIC at any granularity, AUDIENCE daily or
# lifetime (never hourly). Breakdowns vary so that both plain and broken-down shapes are covered.
LEVEL_IDS = {
    "AUCTION_ADVERTISER": "advertiser_id",
    "AUCTION_CAMPAIGN": "campaign_id",
    "AUCTION_ADGROUP": "adgroup_id",
    "AUCTION_AD": "ad_id",
}
BREAKDOWNS = {
    ("BASIC", "DAY"): (),
    ("BASIC", "HOUR"): ("country_code",),
    ("BASIC", "LIFETIME"): (),
    ("AUDIENCE", "DAY"): ("gender", "age"),
    ("AUDIENCE", "LIFETIME"): ("country_code",),
}
TIME = {"DAY": "stat_time_day", "HOUR": "stat_time_hour", "LIFETIME": None}
VALID_SHAPES = [
    (report_type, level, granularity) for report_type, granularity in BREAKDOWNS for level in LEVEL_IDS
]


def valid_report(report_type: str, level: str, granularity: str) -> dict[str, Any]:
    breakdowns = BREAKDOWNS[(report_type, granularity)]
    # The widest metric set the catalog offers for the shape must itself pass validation.
    metrics = accepted_metrics(
        ReportType(report_type), DataLevel(level), TimeGranularity(granularity), breakdowns
    )
    return {
        "name": f"custom_{report_type}_{level}_{granularity}".lower(),
        "report_type": report_type,
        "data_level": level,
        "dimensions": [LEVEL_IDS[level], *breakdowns],
        "time_granularity": granularity,
        "metrics": list(metrics),
    }


@pytest.fixture(scope="module")
def custom_streams() -> dict[str, Any]:
    reports = [valid_report(*shape) for shape in VALID_SHAPES]
    streams = SourceTiktokAds().streams(raw_config(advertiser_ids=["1"], custom_reports=reports))
    return {stream.name: stream for stream in streams}


@pytest.mark.parametrize(("report_type", "level", "granularity"), VALID_SHAPES)
def test_every_allowed_shape_becomes_a_definition_and_a_stream(
    custom_streams: dict[str, Any], report_type: str, level: str, granularity: str
) -> None:
    raw = valid_report(report_type, level, granularity)
    custom = CustomReport.model_validate(raw)
    validation = validate_custom_reports([custom], BUILTINS)
    assert validation.problems == [] and validation.warnings == []
    assert raw["metrics"], "the catalog offers no metric for an allowed shape"

    time = TIME[granularity]
    breakdowns = BREAKDOWNS[(report_type, granularity)]
    expected_key = [LEVEL_IDS[level], *([time] if time else []), *breakdowns]
    definition = definition_of(custom)
    assert definition.dimensions == tuple(expected_key)
    assert definition.primary_key == expected_key
    assert definition.breakdowns == breakdowns
    assert definition.metrics == tuple(raw["metrics"])
    # Only BASIC has TikTok's lifetime flag; an AUDIENCE lifetime report is a dated range.
    assert definition.uses_query_lifetime == (granularity == "LIFETIME" and report_type == "BASIC")

    stream = custom_streams[raw["name"]]
    assert stream.primary_key == expected_key
    assert (stream.cursor_field or None) == time
    modes = {mode.value for mode in stream.as_airbyte_stream().supported_sync_modes}
    assert modes == ({"full_refresh", "incremental"} if time else {"full_refresh"})
    schema = stream.get_json_schema()
    assert set(expected_key) | {"advertiser_id", "metrics"} <= set(schema["properties"])
    metric_schemas = schema["properties"]["metrics"]["properties"]
    assert metric_schemas == {name: metric_json_schema(name) for name in raw["metrics"]}
