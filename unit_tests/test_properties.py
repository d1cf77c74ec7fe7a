"""Property-based tests: the config parser and the report record builder, fed arbitrary JSON-like input,
fail only in the documented way and never leak a secret or emit a value of the wrong type; and the
page de-duplication gives every row of an offset-paged listing exactly once when rows are inserted
mid-read."""

from __future__ import annotations

import json
import string
from typing import Any

import jsonschema
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from source_tiktok_ads.config import TikTokAdsConfig, parse_config
from source_tiktok_ads.reports.definitions import BUILTIN_REPORTS
from source_tiktok_ads.reports.records import RecordBuilder, report_json_schema
from source_tiktok_ads.streams.base import drop_repeats, primary_key_getter

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**300, max_value=10**4000)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
    | st.sampled_from(
        ["-", "", "N/A", "1,234.5", "1e400", "-0", "²", "٣", "9" * 5000, "12.0", " 7 ", "nan", "inf"]
    )
)
json_like = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=12,
)
# Secrets are random but recognisable, so finding one in a message cannot be a coincidence.
secrets = st.text(alphabet=string.ascii_letters + string.digits, min_size=8, max_size=24).map(
    lambda s: f"SeCrEt-{s}"
)


def valid_config(token: str, app_secret: str) -> dict[str, Any]:
    return {
        "credentials": {
            "auth_type": "oauth2.0",
            "app_id": "7001",
            "secret": app_secret,
            "access_token": token,
        },
        "start_date": "2026-01-01",
        "end_date": "2026-01-31",
        "attribution_window": 3,
        "advertiser_ids": ["7000000000000000001"],
    }


CONFIG_KEYS = [*TikTokAdsConfig.model_fields, "concurrency_level", "unknown_key"]
CREDENTIAL_KEYS = ["auth_type", "app_id", "secret", "access_token", "advertiser_id", "bogus"]


@st.composite
def mutated_configs(draw: st.DrawFn) -> tuple[Any, list[str]]:
    """A valid config with some keys (top level and credentials) replaced, removed or added with junk:
    deeper into validation than random JSON gets, with the secrets still in place."""
    token, app_secret = draw(secrets), draw(secrets)
    config: dict[str, Any] = valid_config(token, app_secret)
    for key in draw(st.lists(st.sampled_from(CONFIG_KEYS), max_size=4)):
        if draw(st.booleans()):
            config[key] = draw(json_like)
        else:
            config.pop(key, None)
    credentials = config.get("credentials")
    if isinstance(credentials, dict):
        for key in draw(st.lists(st.sampled_from(CREDENTIAL_KEYS), max_size=3)):
            if key in ("secret", "access_token"):
                continue  # the secrets stay, to be looked for in the messages
            if draw(st.booleans()):
                credentials[key] = draw(json_like)
            else:
                credentials.pop(key, None)
    return config, [token, app_secret]


def assert_parses_or_config_error(raw: Any, hidden: list[str]) -> None:
    try:
        parsed = parse_config(raw)
    except AirbyteTracedException as error:
        assert error.failure_type == FailureType.config_error
        assert error.message and error.message.startswith(("Invalid configuration.", "The config must be"))
        for text in (error.message, error.internal_message or "", str(error)):
            for secret in hidden:
                assert secret not in text
        return
    assert isinstance(parsed, TikTokAdsConfig)
    for text in (repr(parsed), str(parsed)):
        for secret in hidden:
            assert secret not in text


@SETTINGS
@given(json_like)
def test_any_json_value_is_a_config_or_a_config_error(raw: Any) -> None:
    assert_parses_or_config_error(raw, [])


@SETTINGS
@given(mutated_configs())
def test_a_damaged_config_fails_as_a_config_error_without_echoing_secrets(
    case: tuple[Any, list[str]],
) -> None:
    raw, hidden = case
    assert_parses_or_config_error(raw, hidden)


def test_the_mutation_base_config_is_valid() -> None:
    """Otherwise the property above would only ever see errors."""
    assert parse_config(valid_config("SeCrEt-aaaaaaaa", "SeCrEt-bbbbbbbb")).attribution_window == 3


# --- report records ---------------------------------------------------------------------------------

REPORTS = {definition.name: definition for definition in BUILTIN_REPORTS}
BUILDERS = {name: RecordBuilder(definition) for name, definition in REPORTS.items()}
VALIDATORS = {
    name: jsonschema.Draft7Validator(report_json_schema(definition)) for name, definition in REPORTS.items()
}


@st.composite
def report_rows(draw: st.DrawFn) -> tuple[str, Any]:
    name = draw(st.sampled_from(sorted(REPORTS)))
    definition = REPORTS[name]
    values = scalars | json_like

    def section(names: tuple[str, ...] | list[str]) -> Any:
        if draw(st.integers(0, 9)) == 0:
            return draw(json_like)  # not even an object
        chosen = draw(st.lists(st.sampled_from(list(names)), unique=True)) if names else []
        # TikTok's object may carry entries the definition does not ask for; the record keeps them.
        chosen += draw(st.lists(st.sampled_from(["extra", "not_asked"]), unique=True, max_size=1))
        return {field: draw(values) for field in chosen}

    row: dict[str, Any] = {
        "dimensions": section(definition.dimensions),
        "metrics": section(list(definition.metrics)),
    }
    for key in draw(st.lists(st.sampled_from(["dimensions", "metrics"]), max_size=1)):
        del row[key]
    return name, row


@SETTINGS
@given(report_rows(), st.text(min_size=1))
def test_any_report_row_becomes_a_record_of_the_schemas_types(
    case: tuple[str, Any], advertiser_id: str
) -> None:
    name, row = case
    record = BUILDERS[name].build(row, advertiser_id)
    errors = sorted(VALIDATORS[name].iter_errors(record), key=str)
    assert not errors, f"{name}: {errors[0].message} at {list(errors[0].absolute_path)}"
    json.dumps(record, allow_nan=False)  # what the CDK will serialise: finite numbers only


def test_well_formed_rows_keep_their_values() -> None:
    """The property above would also hold for a builder that nulls everything; this one would not."""
    definition = REPORTS["ads_reports_daily"]
    row = {
        "dimensions": {"ad_id": "7300000000000000001", "stat_time_day": "2026-10-25 00:00:00"},
        "metrics": {"spend": "20.50", "impressions": "4787", "ctr": "1.18", "ad_name": "Ad"},
    }
    record = BUILDERS[definition.name].build(row, "7000000000000000001")
    assert record["ad_id"] == "7300000000000000001"
    assert record["metrics"]["spend"] == 20.5 and record["metrics"]["impressions"] == 4787
    assert record["metrics"]["ctr"] == 1.18 and record["metrics"]["ad_name"] == "Ad"


def test_values_json_cannot_hold_in_raw_dimensions_become_null() -> None:
    """nan and ±inf (a lenient parse of NaN, Infinity or 1e999) in TikTok's `dimensions` object, in a key
    dimension or in any other entry at any depth, are nulled as metric values are; a bare number ID stays."""
    definition = REPORTS["ads_reports_daily"]
    row = {
        "dimensions": {
            "ad_id": float("nan"),
            "stat_time_day": float("inf"),
            "campaign_id": 7300000000000000001,
            "extra": [float("-inf"), {"deep": float("nan"), "kept": 1.5}, True],
        },
        "metrics": {"spend": "1"},
    }
    record = BUILDERS[definition.name].build(row, "7000000000000000001")
    json.dumps(record, allow_nan=False)
    assert record["ad_id"] is None and record["stat_time_day"] is None
    dimensions = record["dimensions"]
    assert dimensions["ad_id"] is None and dimensions["stat_time_day"] is None
    assert dimensions["campaign_id"] == 7300000000000000001
    assert dimensions["extra"] == [None, {"deep": None, "kept": 1.5}, True]
    bare = BUILDERS[definition.name].build({"dimensions": {"ad_id": 42, "stat_time_day": 10**5000}}, "1")
    assert bare["ad_id"] == "42" and bare["dimensions"]["ad_id"] == "42"
    assert bare["stat_time_day"] is None  # an integer too long to write is no dimension value


# --- paging ---------------------------------------------------------------------------------------------


@SETTINGS
@given(
    st.integers(min_value=1, max_value=300),
    st.integers(min_value=1, max_value=50),
    st.lists(st.integers(min_value=0, max_value=49), max_size=12),
)
def test_rows_inserted_ahead_of_the_offset_are_neither_repeated_nor_lost(
    total: int, page_size: int, inserted_before_page: list[int]
) -> None:
    """Offset paging over a list that grows at its head between page requests (fewer than a page at a
    time): after dropping repeats, every original row comes exactly once."""
    rows = [{"id": str(n)} for n in range(total)]
    key_of = primary_key_getter("id")
    assert key_of is not None
    emitted: list[str] = []
    previous: set[Any] = set()
    inserted = 0
    page = 1
    while True:
        start = (page - 1) * page_size - inserted
        chunk = rows[max(0, start) : max(0, start + page_size)]
        kept, previous = drop_repeats(chunk, previous, key_of)
        emitted += [row["id"] for row in kept]
        if page * page_size >= total + inserted or not chunk:
            break
        step = inserted_before_page[page - 1] if page - 1 < len(inserted_before_page) else 0
        inserted += min(step, page_size - 1)
        page += 1
    assert emitted == [row["id"] for row in rows]
