"""Every report metric and dimension the connector knows, as one table.

The same rows decide what a built-in report asks for, how each value is typed in the stream schema
and converted in records, and which metrics a custom report is advised to use. TikTok rejects a whole
request (40002) for a single name it does not accept at that report type, level and granularity; the
report stream then drops that metric for the run (`healing`), so a wrong guess here costs a warning
and a request, not the stream. Combinations no source shows working are still left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeVar

from ..config import DataLevel, ReportType, TimeGranularity

__all__ = [
    "DIMENSIONS",
    "ID_DIMENSION_BY_LEVEL",
    "METRICS",
    "Dimension",
    "Metric",
    "ValueType",
    "accepted_metrics",
    "json_schema_for",
    "metric_accepted",
    "metric_json_schema",
]


class ValueType(StrEnum):
    MONEY = "money"  # account currency, e.g. "20.000"
    RATE = "rate"  # a percentage: "1.18" means 1.18 %
    COUNT = "count"
    DECIMAL = "decimal"  # fractional but neither money nor a rate (frequency, seconds watched)
    STRING = "string"  # names and display strings ("Automatic Placement"), not enum codes
    ID = "id"  # kept as strings: TikTok ids exceed 2**53 and would lose digits as JSON numbers


_JSON_TYPE: Mapping[ValueType, str] = {
    ValueType.MONEY: "number",
    ValueType.RATE: "number",
    ValueType.DECIMAL: "number",
    ValueType.COUNT: "integer",
    ValueType.STRING: "string",
    ValueType.ID: "string",
}


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    value_type: ValueType
    group: str
    levels: frozenset[DataLevel]
    report_types: frozenset[ReportType]
    granularities: frozenset[TimeGranularity]
    # Some metrics are served only for rows grouped by the ID dimension (plus the day) and nothing
    # else; asking for them next to a country or audience breakdown would fail the request.
    no_breakdowns: bool = False

    def accepted(
        self,
        report_type: ReportType,
        level: DataLevel,
        granularity: TimeGranularity,
        breakdowns: Iterable[str] = (),
    ) -> bool:
        if self.no_breakdowns and tuple(breakdowns):
            return False
        return (
            report_type in self.report_types
            and level in self.levels
            and _effective_granularity(report_type, granularity) in self.granularities
        )


@dataclass(frozen=True, slots=True)
class Dimension:
    name: str
    kind: str  # "id", "time", "audience" or "breakdown"
    value_type: ValueType
    report_types: frozenset[ReportType]
    level: DataLevel | None = None


_ADVERTISER, _CAMPAIGN, _ADGROUP, _AD = (
    DataLevel.AUCTION_ADVERTISER,
    DataLevel.AUCTION_CAMPAIGN,
    DataLevel.AUCTION_ADGROUP,
    DataLevel.AUCTION_AD,
)
_ALL_LEVELS = frozenset(DataLevel)
_CAMPAIGN_AND_BELOW = frozenset({_CAMPAIGN, _ADGROUP, _AD})
_ADGROUP_AND_BELOW = frozenset({_ADGROUP, _AD})
_AD_ONLY = frozenset({_AD})
_ADVERTISER_ONLY = frozenset({_ADVERTISER})

_BASIC = frozenset({ReportType.BASIC})
_BOTH = frozenset(ReportType)

_ANY_GRAIN = frozenset(TimeGranularity)
_DAY_ONLY = frozenset({TimeGranularity.DAY})
_NOT_HOURLY = frozenset({TimeGranularity.DAY, TimeGranularity.LIFETIME})

MONEY, RATE, COUNT, DECIMAL, STRING, ID = (
    ValueType.MONEY,
    ValueType.RATE,
    ValueType.COUNT,
    ValueType.DECIMAL,
    ValueType.STRING,
    ValueType.ID,
)


def _block(
    group: str,
    levels: frozenset[DataLevel],
    report_types: frozenset[ReportType],
    granularities: frozenset[TimeGranularity],
    *rows: tuple[str, ValueType],
    no_breakdowns: bool = False,
) -> tuple[Metric, ...]:
    return tuple(
        Metric(name, value_type, group, levels, report_types, granularities, no_breakdowns)
        for name, value_type in rows
    )


# Order matters: built-in reports request (and their schemas list) metrics in this order.
_METRIC_TABLE: tuple[Metric, ...] = (
    # Attribute metrics describe the row's object rather than measure it. They are valid only when
    # grouping by an ID dimension, and only at the levels where that object is unambiguous: an ad
    # row has one ad group, a campaign row has many. Parent ids are asked for this way because a
    # parent ID *dimension* is refused below its own level.
    *_block(
        "attribute",
        _ALL_LEVELS,
        _BOTH,
        _ANY_GRAIN,
        ("advertiser_id", ID),
        ("advertiser_name", STRING),
        # Needs an ID dimension; every built-in report groups by one, and custom reports must too.
        ("currency", STRING),
    ),
    *_block(
        "attribute",
        _CAMPAIGN_AND_BELOW,
        _BOTH,
        _ANY_GRAIN,
        ("campaign_name", STRING),
        ("objective_type", STRING),
        ("split_test", STRING),
        ("campaign_budget", MONEY),
        ("campaign_dedicate_type", STRING),
        ("app_promotion_type", STRING),
    ),
    *_block(
        "attribute",
        _ADGROUP_AND_BELOW,
        _BOTH,
        _ANY_GRAIN,
        ("campaign_id", ID),
        ("adgroup_name", STRING),
        ("placement_type", STRING),
        ("promotion_type", STRING),
        ("opt_status", STRING),
        ("budget", MONEY),
        ("smart_target", STRING),
        ("billing_event", STRING),
        ("bid_strategy", STRING),
        ("bid", MONEY),
        ("tt_app_id", ID),  # "0" when the ad promotes no app
        ("tt_app_name", STRING),
        ("mobile_app_id", ID),
        ("dpa_target_audience_type", STRING),  # often null rather than "-"
    ),
    *_block(
        "attribute",
        _AD_ONLY,
        _BOTH,
        _ANY_GRAIN,
        ("adgroup_id", ID),
        ("ad_name", STRING),
        ("ad_text", STRING),
        ("call_to_action", STRING),
        ("image_mode", STRING),
        ("is_smart_creative", STRING),  # a display value, not a JSON boolean
    ),
    # The only delivery metrics every source agrees AUDIENCE reports accept.
    *_block(
        "core",
        _ALL_LEVELS,
        _BOTH,
        _ANY_GRAIN,
        ("spend", MONEY),
        ("cpc", MONEY),
        ("cpm", MONEY),
        ("impressions", COUNT),
        ("clicks", COUNT),
        ("ctr", RATE),
    ),
    # AUDIENCE: reach and frequency are on the older Airbyte exclusion list; a newer Airbyte sends
    # them again, but one rejected name fails the request, so the stricter list wins. [?]
    # gross_impressions is kept out of AUDIENCE for the same reason: no source shows it there. [?]
    *_block(
        "core",
        _ALL_LEVELS,
        _BASIC,
        _ANY_GRAIN,
        ("gross_impressions", COUNT),
        ("reach", COUNT),
        ("cost_per_1000_reached", MONEY),
        ("frequency", DECIMAL),
    ),
    # Synchronous BASIC reports only, with data from 2023-09-01. Whether hourly or lifetime
    # queries accept it is undocumented, so only daily ones ask for it. [?]
    *_block("core", _ALL_LEVELS, _BASIC, _DAY_ONLY, ("billed_cost", MONEY)),
    # Cash and voucher spend exist per account and per day only.
    *_block(
        "core",
        _ADVERTISER_ONLY,
        _BASIC,
        _DAY_ONLY,
        ("cash_spend", MONEY),
        ("voucher_spend", MONEY),
    ),
    # Video and social metrics: BASIC only, because the older Airbyte exclusion list names the
    # plays, views, averages and likes/comments/shares/follows for AUDIENCE; their siblings that no
    # source shows in AUDIENCE are kept out with them. [?]
    *_block(
        "video",
        _ALL_LEVELS,
        _BASIC,
        _ANY_GRAIN,
        ("video_play_actions", COUNT),
        ("video_watched_2s", COUNT),
        ("video_watched_6s", COUNT),
        ("video_views_p25", COUNT),
        ("video_views_p50", COUNT),
        ("video_views_p75", COUNT),
        ("video_views_p100", COUNT),
        ("average_video_play", DECIMAL),  # seconds
        ("average_video_play_per_user", DECIMAL),
    ),
    *_block(
        "engagement",
        _ALL_LEVELS,
        _BASIC,
        _ANY_GRAIN,
        ("engaged_view", COUNT),
        ("engaged_view_15s", COUNT),
        ("engagements", COUNT),
        ("engagement_rate", RATE),
    ),
    # Paid engaged views are served only for "one ID dimension" or "ID + stat_time_day": never
    # hourly, never with a country or audience breakdown.
    *_block(
        "engagement",
        _ALL_LEVELS,
        _BASIC,
        _NOT_HOURLY,
        ("paid_engaged_view", COUNT),
        ("paid_engagement_engaged_view", COUNT),
        ("paid_engaged_view_15s", COUNT),
        ("paid_engagement_engaged_view_15s", COUNT),
        no_breakdowns=True,
    ),
    *_block(
        "interaction",
        _ALL_LEVELS,
        _BASIC,
        _ANY_GRAIN,
        ("clicks_on_music_disc", COUNT),
        ("duet_clicks", COUNT),
        ("stitch_clicks", COUNT),
        ("sound_usage_clicks", COUNT),
        ("anchor_clicks", COUNT),
        ("anchor_click_rate", RATE),
        ("clicks_on_hashtag_challenge", COUNT),
        ("follows", COUNT),
        ("likes", COUNT),
        ("comments", COUNT),
        ("shares", COUNT),
        ("profile_visits", COUNT),
        ("profile_visits_rate", RATE),
    ),
    # Conversion and result metrics: a recorded BASIC campaign-level request asked for conversions,
    # results and secondary goals and TikTok answered it, so campaign level asks for them too; whether
    # advertiser level accepts them is an open question (Airbyte never asks there). [?]
    # They are on no AUDIENCE exclusion list and Airbyte's audience streams request them.
    *_block(
        "conversion",
        _CAMPAIGN_AND_BELOW,
        _BOTH,
        _ANY_GRAIN,
        ("conversion", COUNT),
        ("cost_per_conversion", MONEY),
        ("conversion_rate", RATE),
        # Since late 2023 the unsuffixed rates are impression-based; _v2 keeps the click-based rate.
        ("conversion_rate_v2", RATE),
        ("real_time_conversion", COUNT),
        ("real_time_cost_per_conversion", MONEY),
        ("real_time_conversion_rate", RATE),
        ("real_time_conversion_rate_v2", RATE),
    ),
    # engaged_view_through_conversions is requested by newer Airbyte versions but is in no TikTok
    # metric list we could check; it is left to custom reports, where TikTok itself decides.
    *_block(
        "result",
        _CAMPAIGN_AND_BELOW,
        _BOTH,
        _ANY_GRAIN,
        ("result", COUNT),
        ("cost_per_result", MONEY),
        ("result_rate", RATE),
        ("real_time_result", COUNT),
        ("real_time_cost_per_result", MONEY),
        ("real_time_result_rate", RATE),
    ),
    # "-" (null) for ad groups without a secondary goal. Excluded from AUDIENCE by older Airbyte.
    *_block(
        "secondary_goal",
        _CAMPAIGN_AND_BELOW,
        _BASIC,
        _ANY_GRAIN,
        ("secondary_goal_result", COUNT),
        ("cost_per_secondary_goal_result", MONEY),
        ("secondary_goal_result_rate", RATE),
    ),
    # Airbyte requests these three at every level, including advertiser and campaign; the AUDIENCE
    # exclusion list names them, even in its newer, shorter form.
    *_block(
        "app_event",
        _ALL_LEVELS,
        _BASIC,
        _ANY_GRAIN,
        ("app_install", COUNT),
        ("real_time_app_install", COUNT),
        ("real_time_app_install_cost", MONEY),
    ),
    # App and web events: ad group and ad level only, as for conversions [?]; BASIC only, since no
    # source shows them in AUDIENCE reports. [?]
    *_block(
        "app_event",
        _ADGROUP_AND_BELOW,
        _BASIC,
        _ANY_GRAIN,
        ("cost_per_app_install", MONEY),
        ("registration", COUNT),
        ("cost_per_registration", MONEY),
        ("registration_rate", RATE),
        ("total_registration", COUNT),
        ("total_purchase", COUNT),
        ("total_purchase_value", MONEY),
        ("total_app_event_add_to_cart", COUNT),
        ("cost_per_total_app_event_add_to_cart", MONEY),
        ("sales_lead", COUNT),
        ("cost_per_sales_lead", MONEY),
        ("sales_lead_rate", RATE),
        ("cost_per_total_sales_lead", MONEY),
    ),
    # Airbyte's by-country ad report leaves exactly these three out while keeping every other event
    # metric, which points at TikTok refusing them next to a breakdown. [?]
    *_block(
        "app_event",
        _ADGROUP_AND_BELOW,
        _BASIC,
        _ANY_GRAIN,
        ("purchase", COUNT),
        ("cost_per_purchase", MONEY),
        ("purchase_rate", RATE),
        no_breakdowns=True,
    ),
    *_block(
        "web_event",
        _ADGROUP_AND_BELOW,
        _BASIC,
        _ANY_GRAIN,
        ("complete_payment", COUNT),
        ("value_per_complete_payment", MONEY),
        # Despite the name this is the total payment *value*, not a percentage.
        ("total_complete_payment_rate", MONEY),
        ("total_pageview", COUNT),
        ("onsite_shopping", COUNT),
        ("total_onsite_shopping_value", MONEY),
    ),
    # Purchases and conversions split by view-through and click-through attribution.
    *_block(
        "attribution",
        _ADGROUP_AND_BELOW,
        _BASIC,
        _ANY_GRAIN,
        ("vta_purchase", COUNT),
        ("vta_conversion", COUNT),
        ("cta_purchase", COUNT),
        ("cta_conversion", COUNT),
    ),
)


_Row = TypeVar("_Row", Metric, Dimension)


def _index(rows: Iterable[_Row]) -> Mapping[str, _Row]:
    table: dict[str, _Row] = {}
    for row in rows:
        if row.name in table:
            raise ValueError(f"{row.name!r} appears twice in the report catalog")
        table[row.name] = row
    return MappingProxyType(table)


def _gmv_max_metrics(known: Iterable[str]) -> tuple[Metric, ...]:
    """GMV Max metrics, typed here so that records and schemas convert them; no BASIC or AUDIENCE
    report accepts them (empty level and report-type sets)."""
    from .gmv_max_metrics import GMV_MAX_METRIC_TYPES

    taken = set(known)
    return tuple(
        Metric(name, ValueType(kind), "gmv_max", frozenset(), frozenset(), frozenset())
        for name, kind in GMV_MAX_METRIC_TYPES.items()
        if name not in taken
    )


METRICS: Mapping[str, Metric] = _index(
    (*_METRIC_TABLE, *_gmv_max_metrics(metric.name for metric in _METRIC_TABLE))
)


def _dimensions(
    kind: str, value_type: ValueType, report_types: frozenset[ReportType], *names: str
) -> tuple[Dimension, ...]:
    return tuple(Dimension(name, kind, value_type, report_types) for name in names)


DIMENSIONS: Mapping[str, Dimension] = _index(
    (
        Dimension("advertiser_id", "id", ID, _BOTH, _ADVERTISER),
        Dimension("campaign_id", "id", ID, _BOTH, _CAMPAIGN),
        Dimension("adgroup_id", "id", ID, _BOTH, _ADGROUP),
        Dimension("ad_id", "id", ID, _BOTH, _AD),
        # Upgraded Smart+ ads; cannot be combined with ad_id. Nothing shows it in AUDIENCE. [?]
        Dimension("ad_id_v2", "id", ID, _BASIC, _AD),
        # Values are local "YYYY-MM-DD HH:MM:SS" strings; the record builder decides their format.
        Dimension("stat_time_day", "time", STRING, _BOTH),
        # No source has run an hourly AUDIENCE report; it is believed unsupported. [?]
        Dimension("stat_time_hour", "time", STRING, _BASIC),
        # country_code is the one breakdown BASIC reports share with AUDIENCE ones.
        Dimension("country_code", "audience", STRING, _BOTH),
        *_dimensions(
            "audience",
            STRING,
            frozenset({ReportType.AUDIENCE}),
            "gender",
            "age",
            "platform",
            "ac",
            "language",
            "interest_category",
            "placement",
        ),
        # A numeric location code; kept as a string like every other code and id.
        Dimension("province_id", "audience", ID, frozenset({ReportType.AUDIENCE})),
        *_dimensions(
            "breakdown",
            STRING,
            _BASIC,
            "ad_type",
            "custom_event_type",
            "component_name",
            "search_terms",
            "search_keyword",
            "match_type",
            "skan_postback_sequence",
        ),
        *_dimensions(
            "breakdown",
            ID,
            _BASIC,
            "event_source_id",
            "page_id",
            "room_id",
            "post_id",
            "image_id",
            "video_material_id",
        ),
    )
)

ID_DIMENSION_BY_LEVEL: Mapping[DataLevel, str] = MappingProxyType(
    {_ADVERTISER: "advertiser_id", _CAMPAIGN: "campaign_id", _ADGROUP: "adgroup_id", _AD: "ad_id"}
)


def _effective_granularity(report_type: ReportType, granularity: TimeGranularity) -> TimeGranularity:
    # AUDIENCE reports are always dated day ranges (no hourly breakdown, no lifetime flag), so any
    # AUDIENCE request is judged as a daily one.
    return TimeGranularity.DAY if report_type == ReportType.AUDIENCE else granularity


def accepted_metrics(
    report_type: ReportType,
    level: DataLevel,
    granularity: TimeGranularity,
    breakdowns: Iterable[str] = (),
) -> tuple[str, ...]:
    """The broadest metric set TikTok accepts for that combination, in a stable order (catalog order).

    `breakdowns` are the dimensions besides the ID and time ones (e.g. `("country_code",)`); with
    any, metrics that TikTok serves only for plain ID (+ day) grouping are left out.
    """
    breakdowns = tuple(breakdowns)
    return tuple(
        metric.name
        for metric in _METRIC_TABLE
        if metric.accepted(report_type, level, granularity, breakdowns)
    )


def metric_accepted(
    name: str,
    report_type: ReportType,
    level: DataLevel,
    granularity: TimeGranularity,
    breakdowns: Iterable[str] = (),
) -> bool:
    metric = METRICS.get(name)
    return metric is not None and metric.accepted(report_type, level, granularity, breakdowns)


def json_schema_for(value_type: ValueType) -> dict[str, Any]:
    return {"type": ["null", _JSON_TYPE[value_type]]}


def metric_json_schema(name: str) -> dict[str, Any]:
    """JSON schema of one metric; names outside the catalog are strings, TikTok's raw form."""
    metric = METRICS.get(name)
    return json_schema_for(metric.value_type if metric else ValueType.STRING)
