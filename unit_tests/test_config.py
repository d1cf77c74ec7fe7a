from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import jsonschema
import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_tiktok_ads.config import (
    PRODUCTION_BASE_URL,
    SANDBOX_BASE_URL,
    OAuthCredentials,
    connection_specification,
    parse_config,
)

from .conftest import APP_SECRET, TOKEN, raw_config


def config_error_message(raw: object) -> str:
    with pytest.raises(AirbyteTracedException) as caught:
        parse_config(raw)
    assert caught.value.failure_type == FailureType.config_error
    return caught.value.message


def test_anchor_config_is_accepted_unchanged() -> None:
    # The shape Airbyte's source-tiktok-marketing stores, including its optional keys.
    anchor = {
        "credentials": {
            "auth_type": "oauth2.0",
            "app_id": "7001",
            "secret": APP_SECRET,
            "access_token": TOKEN,
            "advertiser_id": "7002238017842757633",
        },
        "start_date": "2024-01-01",
        "end_date": "2024-03-01",
        "attribution_window": 7,
        "include_deleted": True,
    }
    config = parse_config(anchor)
    assert isinstance(config.credentials, OAuthCredentials)
    assert config.start_date == date(2024, 1, 1) and config.end_date == date(2024, 3, 1)
    assert config.attribution_window == 7 and config.include_deleted
    assert config.configured_advertiser_ids == ["7002238017842757633"]
    assert config.api_base_url == PRODUCTION_BASE_URL
    jsonschema.validate(anchor, connection_specification())


def test_defaults() -> None:
    config = parse_config({"credentials": raw_config()["credentials"]})
    assert config.start_date == date(2016, 9, 1)
    assert config.end_date is None
    assert config.attribution_window == 3
    assert config.include_deleted is False
    assert config.advertiser_ids == [] and config.custom_reports == []


def test_sandbox_credentials_use_the_sandbox_host() -> None:
    config = parse_config(
        raw_config(
            credentials={"auth_type": "sandbox_access_token", "access_token": TOKEN, "advertiser_id": "42"}
        )
    )
    assert config.credentials.is_sandbox
    assert config.api_base_url == SANDBOX_BASE_URL
    assert config.configured_advertiser_ids == ["42"]


def test_missing_auth_type_is_inferred() -> None:
    config = parse_config(raw_config(credentials={"access_token": TOKEN, "advertiser_id": "42"}))
    assert config.credentials.is_sandbox
    config = parse_config(
        raw_config(credentials={"app_id": "1", "secret": APP_SECRET, "access_token": TOKEN})
    )
    assert not config.credentials.is_sandbox


def test_base_url_override_gets_a_trailing_slash() -> None:
    config = parse_config(raw_config(base_url="http://127.0.0.1:8000/open_api/v1.3"))
    assert config.api_base_url == "http://127.0.0.1:8000/open_api/v1.3/"


def test_advertiser_ids_are_merged_deduplicated_and_stringified() -> None:
    raw = raw_config(advertiser_ids=[111, "222", "111"])
    raw["credentials"]["advertiser_id"] = "333"
    assert parse_config(raw).configured_advertiser_ids == ["111", "222", "333"]


@pytest.mark.parametrize(
    ("overrides", "field", "hint"),
    [
        ({"start_date": "2026-13-01"}, "start_date", "date"),
        ({"start_date": "2011-12-31"}, "start_date", "2012-01-01"),
        ({"start_date": "2030-01-01"}, "start_date", "future"),
        ({"start_date": "2026-10-10", "end_date": "2026-10-01"}, "end_date", "before start_date"),
        ({"attribution_window": 365}, "attribution_window", "364"),
        ({"attribution_window": -1}, "attribution_window", "0"),
        ({"advertiser_ids": ["12a"]}, "advertiser_ids", "digits"),
        (
            {"credentials": {"auth_type": "oauth2.0", "app_id": "1", "secret": "s", "access_token": ""}},
            "access_token",
            "at least 1",
        ),
        (
            {"credentials": {"auth_type": "oauth2.0", "app_id": "1", "access_token": "t"}},
            "credentials.secret",
            "required",
        ),
        (
            {"credentials": {"auth_type": "sandbox_access_token", "access_token": "t"}},
            "advertiser_id",
            "required",
        ),
        ({"credentials": {"auth_type": "password"}}, "credentials", "auth_type"),
    ],
)
def test_invalid_configs_name_the_field(overrides: dict, field: str, hint: str) -> None:
    message = config_error_message(raw_config(**overrides))
    assert f"{field}'" in message
    assert hint in message
    assert "Value error" not in message


def test_credentials_without_auth_type_say_what_was_inferred_and_what_to_add() -> None:
    message = config_error_message(raw_config(credentials={"access_token": TOKEN}))
    assert message.startswith("Invalid configuration. 'credentials.advertiser_id': Field required.")
    assert 'taken as a sandbox token (auth_type "sandbox_access_token")' in message
    assert 'add auth_type "oauth2.0", app_id and secret' in message and "add advertiser_id" in message
    message = config_error_message(raw_config(credentials={"app_id": "1", "access_token": TOKEN}))
    assert "'credentials.secret': Field required." in message
    assert 'taken as a production token (auth_type "oauth2.0")' in message
    # Named auth_type: nothing was inferred, nothing to explain.
    message = config_error_message(
        raw_config(credentials={"auth_type": "sandbox_access_token", "access_token": TOKEN})
    )
    assert "inferred" not in message and "taken as" not in message


@pytest.mark.parametrize("field", ["start_date", "end_date"])
@pytest.mark.parametrize("value", ["15/11/2026", "2026/11/20", "Nov 15 2026"])
def test_a_date_in_another_form_names_the_expected_one(field: str, value: str) -> None:
    message = config_error_message(raw_config(**{"start_date": "2026-01-01", field: value}))
    assert message == (
        f"Invalid configuration. '{field}': \"{value}\" is not a date; write it as YYYY-MM-DD, e.g. 2026-11-15."
    )


def test_the_spec_accepts_the_legacy_keys_as_airbyte_validates_and_the_parser_ignores_them() -> None:
    legacy = {
        **raw_config(start_date="2026-01-01"),
        "concurrency_level": 3,
        "report_granularity": "DAY",
        "environment": "prod",
    }
    spec = connection_specification()
    # What Airbyte runs before the connector sees a config (and the CDK, in check_config_against_spec).
    jsonschema.Draft7Validator(spec).validate(legacy)
    assert parse_config(legacy).start_date == date(2026, 1, 1)
    for key in ("concurrency_level", "report_granularity", "environment"):
        assert spec["properties"][key]["airbyte_hidden"] is True
        assert spec["properties"][key]["deprecated"] is True
    # Any other unknown key is still refused, by the spec as by the parser.
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(spec).validate({**legacy, "attribution_windows": 7})


def test_an_end_date_before_the_start_date_is_an_error_of_end_date() -> None:
    message = config_error_message(raw_config(start_date="2026-10-10", end_date="2026-10-01"))
    assert message == (
        "Invalid configuration. 'end_date': 2026-10-01 is before start_date (2026-10-10); set a later "
        "end_date or leave it empty."
    )


def test_non_object_config_is_a_config_error() -> None:
    assert "JSON object" in config_error_message(["not", "an", "object"])


def test_secrets_never_appear_in_repr_or_errors() -> None:
    config = parse_config(raw_config())
    assert TOKEN not in repr(config) and APP_SECRET not in repr(config)
    message = config_error_message(raw_config(start_date="bad"))
    assert TOKEN not in message and APP_SECRET not in message
    assert set(config.secrets) == {TOKEN, APP_SECRET}


def test_start_date_may_be_tomorrow_in_utc_terms() -> None:
    # An advertiser east of UTC may already be on tomorrow's date.
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    assert parse_config(raw_config(start_date=tomorrow)).start_date.isoformat() == tomorrow


def test_spec_shape_for_airbyte_ui() -> None:
    spec = connection_specification()
    assert spec["required"] == ["credentials"]
    credentials = spec["properties"]["credentials"]
    assert [option["properties"]["auth_type"]["const"] for option in credentials["oneOf"]] == [
        "oauth2.0",
        "sandbox_access_token",
    ]
    oauth = credentials["oneOf"][0]["properties"]
    assert oauth["secret"]["airbyte_secret"] and oauth["access_token"]["airbyte_secret"]
    assert credentials["oneOf"][1]["properties"]["access_token"]["airbyte_secret"]
    assert spec["properties"]["base_url"]["airbyte_hidden"] is True
    assert spec["properties"]["start_date"]["pattern"] == "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
    assert spec["properties"]["attribution_window"]["maximum"] == 364
    # No $ref/$defs left, no anyOf: Airbyte's form renderer supports neither.
    text = str(spec)
    assert "$ref" not in text and "$defs" not in text and "anyOf" not in text
    report_item = spec["properties"]["custom_reports"]["items"]
    assert set(report_item["required"]) == {"name", "data_level", "dimensions", "metrics"}
    assert report_item["properties"]["time_granularity"]["enum"] == ["HOUR", "DAY", "LIFETIME"]


@pytest.mark.parametrize("field", ["secret", "access_token"])
def test_a_secret_too_short_to_mask_is_refused_naming_the_field_and_the_fix(field: str) -> None:
    credentials = {"app_id": "1", "secret": APP_SECRET, "access_token": TOKEN, field: "t"}
    with pytest.raises(AirbyteTracedException) as refused:
        parse_config(raw_config(credentials=credentials))
    assert f"'credentials.{field}': 1 character(s) is too short" in refused.value.message
    assert "paste the whole value" in refused.value.message
