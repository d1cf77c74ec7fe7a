"""A table of invalid configs: each is refused before any request with a config error naming the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests_mock
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_tiktok_ads import SourceTiktokAds
from source_tiktok_ads.run import TikTokAdsEntrypoint

from .conftest import APP_SECRET, TOKEN, raw_config

FUTURE = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
OAUTH = {"auth_type": "oauth2.0", "app_id": "7001", "secret": APP_SECRET, "access_token": TOKEN}


def without(mapping: dict, key: str) -> dict:
    return {k: v for k, v in mapping.items() if k != key}


def custom(**overrides: Any) -> dict:
    report = {"name": "r", "data_level": "AUCTION_AD", "dimensions": ["ad_id"], "metrics": ["spend"]}
    report.update(overrides)
    return report


CASES: list[tuple[str, Any, str]] = [
    ("config is a list", ["credentials"], "JSON object"),
    ("credentials missing", without(raw_config(), "credentials"), "'credentials'"),
    ("credentials not an object", raw_config(credentials="token"), "'credentials'"),
    (
        "access token missing",
        raw_config(credentials=without(OAUTH, "access_token")),
        "credentials.access_token",
    ),
    ("access token empty", raw_config(credentials={**OAUTH, "access_token": ""}), "credentials.access_token"),
    (
        "access token not a string",
        raw_config(credentials={**OAUTH, "access_token": 12345}),
        "credentials.access_token",
    ),
    ("app id missing", raw_config(credentials=without(OAUTH, "app_id")), "credentials.app_id"),
    ("secret empty", raw_config(credentials={**OAUTH, "secret": ""}), "credentials.secret"),
    ("unknown auth type", raw_config(credentials={**OAUTH, "auth_type": "password"}), "credentials"),
    (
        "sandbox without advertiser",
        raw_config(credentials={"auth_type": "sandbox_access_token", "access_token": TOKEN}),
        "credentials.advertiser_id",
    ),
    ("start date wrong format", raw_config(start_date="2020/01/01"), "start_date"),
    ("start date impossible day", raw_config(start_date="2026-02-30"), "start_date"),
    ("start date before 2012", raw_config(start_date="2011-06-01"), "start_date"),
    ("start date in the future", raw_config(start_date=FUTURE), "start_date"),
    ("start date not a string", raw_config(start_date=20200101), "start_date"),
    ("end date wrong format", raw_config(end_date="yesterday"), "end_date"),
    ("end date before start date", raw_config(start_date="2026-10-10", end_date="2026-10-01"), "end_date"),
    ("attribution window too big", raw_config(attribution_window=365), "attribution_window"),
    ("attribution window negative", raw_config(attribution_window=-1), "attribution_window"),
    ("attribution window not a number", raw_config(attribution_window="three"), "attribution_window"),
    ("include_deleted not a boolean", raw_config(include_deleted="maybe"), "include_deleted"),
    ("advertiser ids not a list", raw_config(advertiser_ids="123"), "advertiser_ids"),
    ("advertiser id not numeric", raw_config(advertiser_ids=["12ab"]), "advertiser_ids"),
    ("advertiser id null", raw_config(advertiser_ids=[None]), "advertiser_ids"),
    ("custom reports not a list", raw_config(custom_reports={"name": "r"}), "custom_reports"),
    (
        "custom report without metrics",
        raw_config(custom_reports=[without(custom(), "metrics")]),
        "custom_reports.0.metrics",
    ),
    (
        "custom report bad data level",
        raw_config(custom_reports=[custom(data_level="AD")]),
        "custom_reports.0.data_level",
    ),
    (
        "custom report unknown key",
        raw_config(custom_reports=[custom(granularity="DAY")]),
        "custom_reports.0.granularity",
    ),
    (
        "custom report empty dimensions",
        raw_config(custom_reports=[custom(dimensions=[])]),
        "custom_reports.0.dimensions",
    ),
    ("num_workers zero", raw_config(num_workers=0), "num_workers"),
    ("requests_per_second zero", raw_config(requests_per_second=0), "requests_per_second"),
    ("requests_per_minute not a number", raw_config(requests_per_minute="many"), "requests_per_minute"),
    ("misspelt key", raw_config(attribution_windows=7), "attribution_windows"),
]


@pytest.mark.parametrize(
    ("raw", "field"), [(raw, field) for _, raw, field in CASES], ids=[name for name, _, _ in CASES]
)
def test_invalid_config_is_a_config_error_naming_the_field(raw: Any, field: str) -> None:
    with requests_mock.Mocker() as mock:  # no request may be made for an invalid config
        with pytest.raises(AirbyteTracedException) as caught:
            TikTokAdsEntrypoint.validate_connection(SourceTiktokAds().spec(None), raw)
        assert mock.call_count == 0
    assert caught.value.failure_type == FailureType.config_error
    assert field in caught.value.message
    assert TOKEN not in caught.value.message and APP_SECRET not in caught.value.message


def test_the_table_is_long_enough() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize(
    ("report", "fragment"),
    [
        (custom(dimensions=["campaign_id"]), "must include 'ad_id'"),
        # Metric availability is only advice (TikTok decides); a dimension among the metrics is a rule.
        (custom(metrics=["placement"]), "'placement' is a dimension, not a metric"),
        (custom(name="ads"), "already a built-in stream"),
    ],
)
def test_custom_report_rules_fail_discover_before_any_request(report: dict, fragment: str) -> None:
    with requests_mock.Mocker() as mock, pytest.raises(AirbyteTracedException) as caught:
        SourceTiktokAds().streams(raw_config(advertiser_ids=["1"], custom_reports=[report]))
    assert mock.call_count == 0
    assert caught.value.failure_type == FailureType.config_error and fragment in caught.value.message


def test_original_connector_keys_are_accepted() -> None:
    SourceTiktokAds().streams(raw_config(advertiser_ids=["1"], concurrency_level=3, report_granularity="DAY"))
