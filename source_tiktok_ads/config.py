"""The connector's configuration: one pydantic model that is both the spec shown in Airbyte and the parser.

Keys and meanings match Airbyte's `source-tiktok-marketing`, so an existing config works unchanged;
`advertiser_ids`, `custom_reports` and the hidden `base_url` are ours on top.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.utils.schema_helpers import expand_refs
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from .scrub import MIN_SECRET_LENGTH

PRODUCTION_BASE_URL = "https://business-api.tiktok.com/open_api/v1.3/"
SANDBOX_BASE_URL = "https://sandbox-ads.tiktok.com/open_api/v1.3/"
DOCUMENTATION_URL = "https://docs.airbyte.com/integrations/sources/tiktok-marketing"

DEFAULT_START_DATE = date(2016, 9, 1)  # TikTok Ads launched then: nothing older exists.
# Some TikTok endpoints answer with an error for dates before 2012; refusing them here is clearer.
EARLIEST_START_DATE = date(2012, 1, 1)
MAX_ATTRIBUTION_WINDOW_DAYS = 364
# Enough to keep a Basic-tier app's 10 requests/s busy at TikTok's usual latencies.
DEFAULT_NUM_WORKERS = 6

DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
DATE_FORMAT_HINT = "write it as YYYY-MM-DD, e.g. 2026-11-15"
# Keys configs of Airbyte's source-tiktok-marketing may carry that mean nothing here (its hidden thread
# count and options of older versions): accepted and ignored, so those configs work unchanged. Airbyte
# validates a config against the spec before the connector sees it, so the spec declares them too
# (hidden, deprecated), with the JSON types those versions wrote.
LEGACY_KEYS: dict[str, list[str]] = {
    "concurrency_level": ["integer", "string", "null"],
    "report_granularity": ["string", "null"],
    "environment": ["string", "object", "null"],
}


def _long_enough_to_mask(value: str) -> str:
    """A secret shorter than MIN_SECRET_LENGTH cannot be masked in the output without masking ordinary
    text with it; no TikTok token or app secret is that short, so it is a copy-paste slip."""
    if 0 < len(value) < MIN_SECRET_LENGTH:
        raise ValueError(
            f"{len(value)} character(s) is too short for a TikTok token or app secret (at least "
            f"{MIN_SECRET_LENGTH}; TikTok's are 40 or more), and could not be masked in the logs safely; "
            "paste the whole value from the TikTok for Business developer portal"
        )
    return value


def _secret(title: str, description: str, order: int) -> Any:
    return Field(
        title=title,
        description=description,
        min_length=1,
        repr=False,
        json_schema_extra={"airbyte_secret": True, "order": order},
    )


class OAuthCredentials(BaseModel):
    """A long-term advertiser access token issued to a TikTok for Business developer app."""

    model_config = ConfigDict(title="OAuth2.0", extra="ignore")

    auth_type: Literal["oauth2.0"] = Field("oauth2.0", json_schema_extra={"order": 0})
    app_id: str = Field(
        title="App ID",
        description="The Developer Application App ID (TikTok for Business developer portal → My Apps).",
        min_length=1,
        json_schema_extra={"order": 1},
    )
    secret: str = _secret("Secret", "The Developer Application Secret.", 2)
    access_token: str = _secret("Access Token", "Long-term Authorized Access Token.", 3)
    advertiser_id: str | None = Field(
        None,
        title="Advertiser ID",
        description="Sync only this advertiser. Leave empty to sync every advertiser the token can see.",
        json_schema_extra={"order": 4},
    )

    _secrets_long_enough = field_validator("secret", "access_token")(_long_enough_to_mask)

    @property
    def is_sandbox(self) -> bool:
        return False


class SandboxCredentials(BaseModel):
    """A token from a TikTok sandbox app; the sandbox cannot list advertisers, so one must be given."""

    model_config = ConfigDict(title="Sandbox Access Token", extra="ignore")

    auth_type: Literal["sandbox_access_token"] = Field("sandbox_access_token", json_schema_extra={"order": 0})
    advertiser_id: str = Field(
        title="Advertiser ID",
        description="The Advertiser ID which was generated for the developer's Sandbox application.",
        min_length=1,
        json_schema_extra={"order": 1},
    )
    access_token: str = _secret("Access Token", "The long-term authorized access token.", 2)

    _secrets_long_enough = field_validator("access_token")(_long_enough_to_mask)

    @property
    def is_sandbox(self) -> bool:
        return True


class ReportType(StrEnum):
    BASIC = "BASIC"
    AUDIENCE = "AUDIENCE"


class DataLevel(StrEnum):
    AUCTION_ADVERTISER = "AUCTION_ADVERTISER"
    AUCTION_CAMPAIGN = "AUCTION_CAMPAIGN"
    AUCTION_ADGROUP = "AUCTION_ADGROUP"
    AUCTION_AD = "AUCTION_AD"


class TimeGranularity(StrEnum):
    HOUR = "HOUR"
    DAY = "DAY"
    LIFETIME = "LIFETIME"


class ReportFilter(BaseModel):
    """One entry of TikTok's report `filtering` parameter."""

    model_config = ConfigDict(title="Filter", extra="forbid")

    field_name: str = Field(title="Field name", min_length=1, examples=["ad_status", "campaign_ids"])
    filter_type: str = Field(
        "IN",
        title="Filter type",
        json_schema_extra={
            "enum": ["IN", "MATCH", "GREATER_EQUAL", "GREATER_THAN", "LOWER_EQUAL", "LOWER_THAN", "BETWEEN"]
        },
    )
    filter_value: str = Field(
        title="Filter value",
        description='JSON-encoded value, e.g. ["STATUS_ALL"] for IN or [1, 10] for BETWEEN.',
        min_length=1,
    )


class CustomReport(BaseModel):
    """A user-defined report that becomes one more stream."""

    model_config = ConfigDict(title="Custom report", extra="forbid")

    name: str = Field(
        title="Stream name",
        description="Unique name of the stream this report becomes (letters, digits and underscores).",
        min_length=1,
        json_schema_extra={"order": 0},
    )
    report_type: ReportType = Field(ReportType.BASIC, title="Report type", json_schema_extra={"order": 1})
    data_level: DataLevel = Field(title="Data level", json_schema_extra={"order": 2})
    dimensions: list[str] = Field(
        title="Dimensions",
        description="Grouping: the ID dimension of the data level plus breakdowns such as gender, age, "
        "country_code or platform. The time dimension is added from the time granularity.",
        min_length=1,
        json_schema_extra={"order": 3},
    )
    time_granularity: TimeGranularity = Field(
        TimeGranularity.DAY, title="Aggregation period", json_schema_extra={"order": 4}
    )
    metrics: list[str] = Field(title="Metrics", min_length=1, json_schema_extra={"order": 5})
    filters: list[ReportFilter] = Field(default_factory=list, title="Filters", json_schema_extra={"order": 6})


class GmvMaxLevel(StrEnum):
    ACCOUNT = "ACCOUNT"
    PRODUCT_CAMPAIGN = "PRODUCT_CAMPAIGN"
    LIVE_CAMPAIGN = "LIVE_CAMPAIGN"
    PRODUCT_SPU = "PRODUCT_SPU"
    PRODUCT_CREATIVE = "PRODUCT_CREATIVE"


class GmvMaxCustomReport(BaseModel):
    """A user-defined GMV Max report (`gmv_max/report/get/`) that becomes one more daily stream."""

    model_config = ConfigDict(title="GMV Max custom report", extra="forbid")

    name: str = Field(
        title="Stream name",
        description="Unique name of the stream this report becomes (letters, digits and underscores).",
        min_length=1,
        json_schema_extra={"order": 0},
    )
    level: GmvMaxLevel = Field(title="Level", json_schema_extra={"order": 1})
    dimensions: list[str] = Field(
        default_factory=list,
        title="Dimensions",
        description="ID dimensions, e.g. campaign_id, item_group_id; empty: the level's own. stat_time_day is "
        "added.",
        json_schema_extra={"order": 2},
    )
    metrics: list[str] = Field(
        title="Metrics",
        description="GMV Max metric names, e.g. cost, orders, gross_revenue, roi.",
        min_length=1,
        json_schema_extra={"order": 3},
    )


Credentials = Annotated[OAuthCredentials | SandboxCredentials, Field(discriminator="auth_type")]


class TikTokAdsConfig(BaseModel):
    """TikTok Ads source spec."""

    # Unknown keys are refused: a misspelt key (e.g. "attribution_windows") would otherwise be ignored
    # without a word. Keys that Airbyte's source-tiktok-marketing writes are accepted (see below).
    model_config = ConfigDict(title="TikTok Ads Source Spec", extra="forbid")

    credentials: Credentials = Field(
        title="Authentication Method",
        description="Authentication method",
        json_schema_extra={"order": 0},
    )
    start_date: date = Field(
        DEFAULT_START_DATE,
        title="Replication Start Date",
        description="The first day (in each advertiser's time zone) of report data to replicate. "
        "Entity streams always return every object in full refresh.",
        json_schema_extra={"order": 1, "format": "date", "pattern": DATE_PATTERN, "type": "string"},
    )
    end_date: date | None = Field(
        None,
        title="End Date",
        description="The last day of report data to replicate. Empty: today in each advertiser's time zone.",
        json_schema_extra={"order": 2, "format": "date", "pattern": DATE_PATTERN, "type": "string"},
    )
    attribution_window: int = Field(
        3,
        title="Attribution Window",
        description="Days re-read before the saved cursor on every incremental report sync, so that "
        "conversions attributed late are picked up (TikTok keeps updating them for days).",
        ge=0,
        le=MAX_ATTRIBUTION_WINDOW_DAYS,
        json_schema_extra={"order": 3},
    )
    include_deleted: bool = Field(
        False,
        title="Include Deleted Data in Reports and Entities",
        description="Also return deleted campaigns, ad groups and ads, and their report rows.",
        json_schema_extra={"order": 4},
    )
    advertiser_ids: list[str] = Field(
        default_factory=list,
        title="Advertiser IDs",
        description="Sync only these advertisers. Empty: every advertiser the token can access.",
        json_schema_extra={"order": 5},
    )
    custom_reports: list[CustomReport] = Field(
        default_factory=list,
        title="Custom Reports",
        description="Extra report streams with the dimensions and metrics you choose.",
        json_schema_extra={"order": 6},
    )
    gmv_max_custom_reports: list[GmvMaxCustomReport] = Field(
        default_factory=list,
        title="GMV Max custom reports",
        description="Extra GMV Max report streams with the level, dimensions and metrics you choose.",
        json_schema_extra={"order": 14},
    )
    skip_days_without_delivery: bool = Field(
        True,
        title="Skip days without delivery",
        description="Hourly, below-advertiser-level and breakdown reports do not ask about settled days on "
        "which the advertiser had no spend, impressions, clicks or conversions (two daily queries per 30 days "
        "and advertiser tell which): such days have no rows, or rows of zeros only, which are then not "
        "emitted. Days inside the attribution_window look-back and the last two days are always read. "
        "Turn off to ask about every day.",
        json_schema_extra={"order": 15},
    )
    num_workers: int = Field(
        DEFAULT_NUM_WORKERS,
        title="Concurrent requests",
        description="The most requests in flight at once. Within it, the connector keeps as many in flight as "
        "the rate limits below and TikTok's answer times need, and no more (fewer pages wait in memory).",
        ge=1,
        le=32,
        json_schema_extra={"order": 7},
    )
    requests_per_second: float = Field(
        10,
        title="Requests per second",
        description="This connection's share of the TikTok app's rate limit (Basic tier: 10/s for the whole "
        "app, shared by every connection using it). Lower it when several connections use one app.",
        gt=0,
        le=1000,
        json_schema_extra={"order": 8},
    )
    requests_per_minute: int = Field(
        600,
        title="Requests per minute",
        description="This connection's share of the app's per-minute limit (Basic tier: 600/min).",
        ge=1,
        le=60000,
        json_schema_extra={"order": 9},
    )
    base_url: str | None = Field(
        None,
        title="API base URL",
        description="Override of the TikTok API base URL (testing only).",
        json_schema_extra={"order": 10, "airbyte_hidden": True},
    )
    gmv_max_requests_per_second: float = Field(
        8,
        title="GMV Max report requests per second",
        description="This connection's share of the app's separate limit for GMV Max reports (Basic tier: "
        "8/s). GMV Max report requests count against requests_per_second too.",
        gt=0,
        le=1000,
        json_schema_extra={"order": 11},
    )
    gmv_max_requests_per_minute: int = Field(
        240,
        title="GMV Max report requests per minute",
        description="This connection's share of the app's per-minute limit for GMV Max reports (Basic tier: 240/min).",
        ge=1,
        le=60000,
        json_schema_extra={"order": 12},
    )
    gmv_max_requests_per_day: int = Field(
        20000,
        title="GMV Max report requests per day",
        description="This connection's share of the app's daily limit for GMV Max reports (Basic tier: 20,000/day).",
        ge=1,
        le=10000000,
        json_schema_extra={"order": 13},
    )

    @model_validator(mode="before")
    @classmethod
    def _drop_original_connector_keys(cls, data: Any) -> Any:
        if isinstance(data, dict) and LEGACY_KEYS.keys() & data.keys():
            data = {key: value for key, value in data.items() if key not in LEGACY_KEYS}
        return data

    @model_validator(mode="before")
    @classmethod
    def _infer_auth_type(cls, data: Any) -> Any:
        # Configs written by hand (or by old versions) may omit the discriminator.
        inferred = inferred_auth_type(data)
        if inferred is not None:
            data = {**data, "credentials": {**data["credentials"], "auth_type": inferred}}
        return data

    @field_validator("start_date", "end_date", mode="wrap")
    @classmethod
    def _dates_name_their_format(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """pydantic's own words for a date it cannot parse ("invalid character in year") do not say which
        form is expected."""
        try:
            return handler(value)
        except ValidationError as error:
            if not all(issue["type"].startswith("date") for issue in error.errors()):
                raise
            raise ValueError(f"{json.dumps(value)} is not a date; {DATE_FORMAT_HINT}") from None

    @field_validator("advertiser_ids", mode="before")
    @classmethod
    def _ids_as_strings(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [str(item).strip() if isinstance(item, int | str) else item for item in value]
        return value

    @field_validator("advertiser_ids")
    @classmethod
    def _ids_are_numeric(cls, value: list[str]) -> list[str]:
        for advertiser_id in value:
            if not advertiser_id.isdigit():
                raise ValueError(f"'{advertiser_id}' is not a TikTok advertiser ID (digits only)")
        return list(dict.fromkeys(value))

    @field_validator("start_date")
    @classmethod
    def _start_date_in_range(cls, value: date) -> date:
        if value < EARLIEST_START_DATE:
            raise ValueError(f"must be on or after {EARLIEST_START_DATE.isoformat()}")
        # One day of slack: the advertiser's local day may already be tomorrow in UTC terms.
        if (value - datetime.now(UTC).date()).days > 1:
            raise ValueError("is in the future; set a past date")
        return value

    @field_validator("end_date")
    @classmethod
    def _end_date_after_start_date(cls, value: date | None, info: ValidationInfo) -> date | None:
        # A field validator, not a model one, so that the error names end_date (start_date is
        # validated first; when it is invalid its own error says so).
        start = info.data.get("start_date")
        if value is not None and isinstance(start, date) and value < start:
            raise ValueError(
                f"{value.isoformat()} is before start_date ({start.isoformat()}); set a later end_date "
                "or leave it empty"
            )
        return value

    @property
    def api_base_url(self) -> str:
        if self.base_url:
            return self.base_url if self.base_url.endswith("/") else self.base_url + "/"
        return SANDBOX_BASE_URL if self.credentials.is_sandbox else PRODUCTION_BASE_URL

    @property
    def configured_advertiser_ids(self) -> list[str]:
        """Advertisers named in the config, in order, without duplicates (empty: discover them)."""
        ids = list(self.advertiser_ids)
        if self.credentials.advertiser_id:
            ids.append(self.credentials.advertiser_id.strip())
        return list(dict.fromkeys(ids))

    @property
    def secrets(self) -> list[str]:
        credentials = self.credentials
        values = [credentials.access_token]
        if isinstance(credentials, OAuthCredentials):
            values.append(credentials.secret)
        return values


def inferred_auth_type(data: Any) -> str | None:
    """The auth_type a config's credentials are taken for when they name none: OAuth2.0 with an app_id,
    the sandbox without. None when they name one (or are not an object)."""
    credentials = data.get("credentials") if isinstance(data, dict) else None
    if not isinstance(credentials, dict) or "auth_type" in credentials:
        return None
    return "oauth2.0" if "app_id" in credentials else "sandbox_access_token"


def inferred_auth_note(raw: Any) -> str:
    """What was inferred of credentials without an auth_type, and what to add: without it, a missing
    `advertiser_id` would read as a sandbox rule the user never chose."""
    inferred = inferred_auth_type(raw)
    if inferred == "sandbox_access_token":
        return (
            " credentials has no auth_type and no app_id, so it was taken as a sandbox token "
            '(auth_type "sandbox_access_token"), which needs credentials.advertiser_id. For a production '
            'token add auth_type "oauth2.0", app_id and secret; for a sandbox token add advertiser_id.'
        )
    if inferred == "oauth2.0":
        return (
            " credentials has no auth_type but has an app_id, so it was taken as a production token "
            '(auth_type "oauth2.0"), which needs app_id, secret and access_token. For a sandbox token '
            'set auth_type "sandbox_access_token" with access_token and advertiser_id.'
        )
    return ""


def parse_config(raw: Any) -> TikTokAdsConfig:
    """Parse a raw config or raise a config error that names each offending field and what to do."""
    if not isinstance(raw, dict):
        raise config_error("The config must be a JSON object.")
    try:
        return TikTokAdsConfig.model_validate(raw)
    except ValidationError as error:
        problems = []
        for issue in error.errors(include_url=False, include_input=False):
            location = ".".join(str(part) for part in issue["loc"] if not _is_union_tag(part))
            text = issue["msg"]
            if issue["type"] == "value_error":  # our validators' own sentences, without pydantic's prefix
                text = text.removeprefix("Value error, ")
            if issue["type"] == "extra_forbidden":
                text = "unknown key; remove it or correct its spelling"
            problems.append(f"'{location or 'config'}': {text}")
        credentials_refused = any(problem.startswith("'credentials") for problem in problems)
        note = inferred_auth_note(raw) if credentials_refused else ""
        raise config_error("Invalid configuration. " + "; ".join(problems) + "." + note) from None


def _is_union_tag(part: Any) -> bool:
    return part in ("oauth2.0", "sandbox_access_token")


def config_error(message: str) -> AirbyteTracedException:
    return AirbyteTracedException(
        message=message, internal_message=message, failure_type=FailureType.config_error
    )


def connection_specification() -> dict[str, Any]:
    """The JSON schema Airbyte shows, generated from the model and shaped for Airbyte's UI."""
    schema = TikTokAdsConfig.model_json_schema(mode="validation")
    expand_refs(schema)
    schema.pop("$defs", None)
    _airbyte_shape(schema)
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    for key, types in LEGACY_KEYS.items():
        schema["properties"][key] = {
            "title": key,
            "description": "Written by Airbyte's source-tiktok-marketing; accepted and ignored.",
            "type": types,
            "deprecated": True,
            "airbyte_hidden": True,
        }
    return schema


def _airbyte_shape(node: Any) -> None:
    """Airbyte's form renderer wants plain optional fields (no `anyOf [X, null]`) and no discriminator."""
    if isinstance(node, list):
        for item in node:
            _airbyte_shape(item)
        return
    if not isinstance(node, dict):
        return
    node.pop("discriminator", None)
    any_of = node.get("anyOf")
    if isinstance(any_of, list):
        non_null = [option for option in any_of if option != {"type": "null"}]
        if len(non_null) == 1:
            del node["anyOf"]
            if node.get("default", "missing") is None:
                del node["default"]
            merged = copy.deepcopy(non_null[0])
            merged.update(node)
            node.clear()
            node.update(merged)
        else:
            node["oneOf"] = node.pop("anyOf")
    if node.get("default", "missing") is None:
        del node["default"]
    properties = node.get("properties")
    if isinstance(properties, dict):
        for value in properties.values():
            _airbyte_shape(value)
    for key in ("items", "oneOf", "allOf"):
        if key in node:
            _airbyte_shape(node[key])
