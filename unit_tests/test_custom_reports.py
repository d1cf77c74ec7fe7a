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


@pytest.mark.parametrize(
    ("overrides", "fragments"),
    [
        ({"name": "my report!"}, ["name 'my report!'", "letters, digits and underscores", "'my_report'"]),
        ({"name": "ads_reports_daily"}, ["already a built-in stream", "custom_ads_reports_daily"]),
        (
            {"dimensions": ["ad_id", "campaign_id"]},
            ["dimension 'campaign_id' cannot be used at data_level AUCTION_AD", "request it as a metric"],
        ),
        ({"dimensions": ["campaign_id"]}, ["must include 'ad_id'"]),
        ({"dimensions": ["ad_id", "stat_time_day", "stat_time_hour"]}, ["cannot be combined"]),
        (
            {"dimensions": ["ad_id", "stat_time_hour"]},
            ["does not match time_granularity DAY", "use 'stat_time_day'"],
        ),
        (
            {
                "report_type": "AUDIENCE",
                "time_granularity": "HOUR",
                "dimensions": ["ad_id", "gender"],
                "metrics": ["spend"],
            },
            ["no hourly AUDIENCE reports"],
        ),
        (
            {"report_type": "AUDIENCE", "dimensions": ["ad_id"], "metrics": ["spend"]},
            ["needs an audience dimension", "gender"],
        ),
        (
            {"dimensions": ["ad_id", "gender"]},
            ["'gender' exists only in AUDIENCE reports", "set report_type to AUDIENCE"],
        ),
        (
            {"time_granularity": "LIFETIME", "dimensions": ["ad_id", "country_code"]},
            ["lifetime BASIC report cannot be broken down by country_code"],
        ),
        ({"time_granularity": "LIFETIME", "dimensions": ["ad_id", "stat_time_day"]}, ["remove it"]),
        (
            {"data_level": "AUCTION_CAMPAIGN", "dimensions": ["campaign_id"], "metrics": ["adgroup_name"]},
            ["metric 'adgroup_name' is not available at data_level AUCTION_CAMPAIGN", "AUCTION_AD"],
        ),
        (
            {"metrics": ["cash_spend"]},
            ["metric 'cash_spend' is not available at data_level AUCTION_AD", "AUCTION_ADVERTISER"],
        ),
        (
            {
                "data_level": "AUCTION_ADVERTISER",
                "dimensions": ["advertiser_id"],
                "time_granularity": "HOUR",
                "metrics": ["cash_spend"],
            },
            ["time_granularity HOUR", "DAY"],
        ),
        (
            {"report_type": "AUDIENCE", "dimensions": ["ad_id", "gender"], "metrics": ["reach"]},
            ["metric 'reach' is not available in AUDIENCE reports", "BASIC"],
        ),
        ({"metrics": ["spend", "spend"]}, ["metric 'spend' is listed 2 times"]),
        ({"dimensions": ["ad_id", "ad_id"]}, ["dimension 'ad_id' is listed 2 times"]),
        ({"metrics": ["placement"]}, ["'placement' is a dimension, not a metric"]),
        (
            {
                "report_type": "AUDIENCE",
                "dimensions": ["ad_id", "gender", "age", "platform"],
                "metrics": ["spend"],
            },
            ["5 dimensions", "more than the 4"],
        ),
        (
            {"filters": [{"field_name": "campaign_status", "filter_value": '["STATUS_ALL"]'}]},
            ["'campaign_status' does not match data_level AUCTION_AD", "'ad_status'"],
        ),
        ({"filters": [{"field_name": "ad_status", "filter_value": "STATUS_ALL"}]}, ["is not JSON"]),
        ({"dimensions": ["ad_id", "ad_id_v2"]}, ["ad_id_v2"]),
    ],
)
def test_invalid_reports_are_refused_with_the_rule_and_the_fix(
    overrides: dict[str, Any], fragments: list[str]
) -> None:
    found = problems(report(**overrides))
    assert found, "expected a problem"
    text = " ".join(found)
    assert f"Custom report '{overrides.get('name', 'my_report')}'" in text
    for fragment in fragments:
        assert fragment in text


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
            [report(name="a", metrics=["cash_spend"]), report(name="b", dimensions=["campaign_id"])],
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
