"""What the emulated report endpoint knows: counters, metrics, dimensions and their rules.

Additive counters are generated per ad per local hour and summed upwards; every rate or cost
metric is derived from the summed counters, so numbers reconcile across levels. Money counters are
kept in thousandths of the account currency so the sums stay exact.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# --- additive counters -------------------------------------------------------------------------

MONEY_COUNTERS = (
    "spend",
    "billed_cost",
    "cash_spend",
    "voucher_spend",
    "total_purchase_value",
    "complete_payment_value",
    "total_onsite_shopping_value",
)

COUNTERS: tuple[str, ...] = (
    "impressions",
    "gross_impressions",
    "clicks",
    "reach",
    "spend",
    "billed_cost",
    "cash_spend",
    "voucher_spend",
    "conversion",
    "real_time_conversion",
    "result",
    "real_time_result",
    "secondary_goal_result",
    "video_play_actions",
    "video_watched_2s",
    "video_watched_6s",
    "video_views_p25",
    "video_views_p50",
    "video_views_p75",
    "video_views_p100",
    "play_ms",
    "engaged_view",
    "paid_engaged_view",
    "paid_engagement_engaged_view",
    "engaged_view_15s",
    "paid_engaged_view_15s",
    "paid_engagement_engaged_view_15s",
    "engagements",
    "clicks_on_music_disc",
    "duet_clicks",
    "stitch_clicks",
    "sound_usage_clicks",
    "anchor_clicks",
    "clicks_on_hashtag_challenge",
    "follows",
    "likes",
    "comments",
    "shares",
    "profile_visits",
    "app_install",
    "real_time_app_install",
    "registration",
    "total_registration",
    "purchase",
    "total_purchase",
    "total_purchase_value",
    "total_app_event_add_to_cart",
    "sales_lead",
    "total_sales_lead",
    "complete_payment",
    "complete_payment_value",
    "total_pageview",
    "onsite_shopping",
    "total_onsite_shopping_value",
    "vta_purchase",
    "vta_conversion",
    "cta_purchase",
    "cta_conversion",
)
IDX = {name: i for i, name in enumerate(COUNTERS)}
N_COUNTERS = len(COUNTERS)

# --- number formatting ---------------------------------------------------------------------------


def _q(value: Decimal, digits: int) -> str:
    return str(value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def _fixed_in_decimal(numerator: int, denominator: int, digits: int) -> str:
    return _q(Decimal(numerator) / denominator / 10**digits, digits)


def _fixed_formatter(digits: int) -> Callable[[int, int], str]:
    """``fixed(numerator, denominator)``: the value ``numerator / denominator / 10**digits``, rounded
    half up to ``digits`` places and formatted as ``_q`` does. Integer arithmetic and a table of
    fraction strings: this runs for every metric of every row, and Decimal was the emulator's
    largest cost."""
    unit = 10**digits
    fractions = [f"{i:0{digits}d}" for i in range(unit)]

    def fixed(numerator: int, denominator: int) -> str:
        if numerator < 0 or denominator <= 0:
            return _fixed_in_decimal(numerator, denominator, digits)
        rounded = (2 * numerator + denominator) // (2 * denominator)
        if not digits:
            return str(rounded)
        whole, fraction = divmod(rounded, unit)
        return f"{whole}.{fractions[fraction]}"

    return fixed


# Metrics use 0, 2, 3 (money) and 4 decimal places.
_FIXED = {digits: _fixed_formatter(digits) for digits in range(5)}


def _fixed(numerator: int, denominator: int, digits: int) -> str:
    return _FIXED[digits](numerator, denominator)


def fmt_money(milli: int) -> str:
    return _FIXED[3](milli, 1)


def fmt_ratio(num: int, den: int, scale: int = 1, digits: int = 2, num_milli: bool = False) -> str:
    # TikTok reports 0 rather than an error or infinity when the denominator is empty.
    if den == 0:
        return _FIXED[digits](0, 1)
    return _FIXED[digits](num * scale * 10**digits, den * (1000 if num_milli else 1))


Counters = list[int]
MetricFn = Callable[[Counters, bool], str]
RowBuilder = Callable[[Counters, bool, Mapping[str, Any] | None], dict[str, Any]]

# What metric expressions may call besides builtins.
_EXPRESSION_GLOBALS: dict[str, Any] = {f"_fixed_{digits}": fixed for digits, fixed in _FIXED.items()}


class Metric:
    """A numeric metric, kept as a Python expression over the summed counters ``c`` and the row's
    secondary-goal flag ``sg``. Kept as source so that a whole requested metric list compiles into
    one function (``row_builder``): calling a closure or two per metric per row was the emulator's
    largest cost, and the emulator shares the benchmark machine with the connector."""

    __slots__ = ("_fn", "expression")

    def __init__(self, expression: str) -> None:
        self.expression = expression
        self._fn: MetricFn = eval(f"lambda c, sg: {expression}", _EXPRESSION_GLOBALS)

    def __call__(self, counters: Counters, secondary_goal: bool) -> str:
        return self._fn(counters, secondary_goal)


def _count(name: str) -> Metric:
    return Metric(f"str(c[{IDX[name]}])")


def _money(name: str) -> Metric:
    return Metric(f"_fixed_3(c[{IDX[name]}], 1)")


def _ratio(num: str, den: str, scale: int = 1, digits: int = 2, num_milli: bool = False) -> Metric:
    """``num / den`` as ``fmt_ratio`` formats it, with the constants folded in."""
    n, d = IDX[num], IDX[den]
    denominator = f"c[{d}] * 1000" if num_milli else f"c[{d}]"
    # TikTok reports 0 rather than an error or infinity when the denominator is empty.
    zero = _fixed(0, 1, digits)
    return Metric(f"(_fixed_{digits}(c[{n}] * {scale * 10**digits}, {denominator}) if c[{d}] else {zero!r})")


def _cost_per(den: str, digits: int = 2, scale: int = 1) -> Metric:
    return _ratio("spend", den, scale=scale, digits=digits, num_milli=True)


def _rate(num: str, den: str) -> Metric:
    return _ratio(num, den, scale=100)


def _secondary(metric: Metric) -> Metric:
    # Rows whose ad groups have no secondary goal report "-" (not applicable), like TikTok.
    return Metric(f"({metric.expression} if sg else '-')")


# --- metric groups -------------------------------------------------------------------------------

CORE_METRICS: dict[str, Metric] = {
    "spend": _money("spend"),
    "cpc": _cost_per("clicks"),
    "cpm": _cost_per("impressions", scale=1000),
    "impressions": _count("impressions"),
    "gross_impressions": _count("gross_impressions"),
    "clicks": _count("clicks"),
    "ctr": _rate("clicks", "impressions"),
    "reach": _count("reach"),
    "cost_per_1000_reached": _cost_per("reach", scale=1000),
    "frequency": _ratio("impressions", "reach"),
}

BILLING_METRICS: dict[str, Metric] = {"billed_cost": _money("billed_cost")}

SPEND_SPLIT_METRICS: dict[str, Metric] = {
    "cash_spend": _money("cash_spend"),
    "voucher_spend": _money("voucher_spend"),
}

# Conversion rates: which denominator TikTok uses for the plain vs. _v2 names is not settled in
# our sources [?]; the emulator uses clicks for the plain names and impressions for _v2.
CONVERSION_METRICS: dict[str, Metric] = {
    "conversion": _count("conversion"),
    "cost_per_conversion": _cost_per("conversion"),
    "conversion_rate": _rate("conversion", "clicks"),
    "conversion_rate_v2": _rate("conversion", "impressions"),
    "real_time_conversion": _count("real_time_conversion"),
    "real_time_cost_per_conversion": _cost_per("real_time_conversion"),
    "real_time_conversion_rate": _rate("real_time_conversion", "clicks"),
    "real_time_conversion_rate_v2": _rate("real_time_conversion", "impressions"),
    "result": _count("result"),
    "cost_per_result": _cost_per("result", digits=4),
    "result_rate": _rate("result", "impressions"),
    "real_time_result": _count("real_time_result"),
    "real_time_cost_per_result": _cost_per("real_time_result", digits=4),
    "real_time_result_rate": _rate("real_time_result", "impressions"),
    "secondary_goal_result": _secondary(_count("secondary_goal_result")),
    "cost_per_secondary_goal_result": _secondary(_cost_per("secondary_goal_result", digits=4)),
    "secondary_goal_result_rate": _secondary(_rate("secondary_goal_result", "impressions")),
}

VIDEO_METRICS: dict[str, Metric] = {
    "video_play_actions": _count("video_play_actions"),
    "video_watched_2s": _count("video_watched_2s"),
    "video_watched_6s": _count("video_watched_6s"),
    "video_views_p25": _count("video_views_p25"),
    "video_views_p50": _count("video_views_p50"),
    "video_views_p75": _count("video_views_p75"),
    "video_views_p100": _count("video_views_p100"),
    "average_video_play": _ratio("play_ms", "video_play_actions", num_milli=True),
    "average_video_play_per_user": _ratio("play_ms", "reach", num_milli=True),
    "engaged_view": _count("engaged_view"),
    "paid_engaged_view": _count("paid_engaged_view"),
    "paid_engagement_engaged_view": _count("paid_engagement_engaged_view"),
    "engaged_view_15s": _count("engaged_view_15s"),
    "paid_engaged_view_15s": _count("paid_engaged_view_15s"),
    "paid_engagement_engaged_view_15s": _count("paid_engagement_engaged_view_15s"),
    "engagements": _count("engagements"),
    "engagement_rate": _rate("engagements", "impressions"),
}

SOCIAL_METRICS: dict[str, Metric] = {
    "clicks_on_music_disc": _count("clicks_on_music_disc"),
    "duet_clicks": _count("duet_clicks"),
    "stitch_clicks": _count("stitch_clicks"),
    "sound_usage_clicks": _count("sound_usage_clicks"),
    "anchor_clicks": _count("anchor_clicks"),
    "anchor_click_rate": _rate("anchor_clicks", "impressions"),
    "clicks_on_hashtag_challenge": _count("clicks_on_hashtag_challenge"),
    "follows": _count("follows"),
    "likes": _count("likes"),
    "comments": _count("comments"),
    "shares": _count("shares"),
    "profile_visits": _count("profile_visits"),
    "profile_visits_rate": _rate("profile_visits", "impressions"),
}

# App-install metrics are requested at every level by production connectors, so they are
# accepted everywhere; the other app/web events are treated like conversions (see below).
APP_INSTALL_METRICS: dict[str, Metric] = {
    "app_install": _count("app_install"),
    "real_time_app_install": _count("real_time_app_install"),
    "real_time_app_install_cost": _cost_per("real_time_app_install"),
    "cost_per_app_install": _cost_per("app_install"),
}

EVENT_METRICS: dict[str, Metric] = {
    "registration": _count("registration"),
    "cost_per_registration": _cost_per("registration"),
    "registration_rate": _rate("registration", "clicks"),
    "total_registration": _count("total_registration"),
    "purchase": _count("purchase"),
    "cost_per_purchase": _cost_per("purchase"),
    "purchase_rate": _rate("purchase", "clicks"),
    "total_purchase": _count("total_purchase"),
    "total_purchase_value": _money("total_purchase_value"),
    "total_app_event_add_to_cart": _count("total_app_event_add_to_cart"),
    "cost_per_total_app_event_add_to_cart": _cost_per("total_app_event_add_to_cart"),
    "sales_lead": _count("sales_lead"),
    "cost_per_sales_lead": _cost_per("sales_lead"),
    "sales_lead_rate": _rate("sales_lead", "clicks"),
    "cost_per_total_sales_lead": _cost_per("total_sales_lead"),
    "complete_payment": _count("complete_payment"),
    "value_per_complete_payment": _ratio("complete_payment_value", "complete_payment", num_milli=True),
    "total_complete_payment_rate": _rate("complete_payment", "clicks"),
    "total_pageview": _count("total_pageview"),
    "onsite_shopping": _count("onsite_shopping"),
    "total_onsite_shopping_value": _money("total_onsite_shopping_value"),
    "vta_purchase": _count("vta_purchase"),
    "vta_conversion": _count("vta_conversion"),
    "cta_purchase": _count("cta_purchase"),
    "cta_conversion": _count("cta_conversion"),
}

NUMERIC_METRICS: dict[str, Metric] = {
    **CORE_METRICS,
    **BILLING_METRICS,
    **SPEND_SPLIT_METRICS,
    **CONVERSION_METRICS,
    **VIDEO_METRICS,
    **SOCIAL_METRICS,
    **APP_INSTALL_METRICS,
    **EVENT_METRICS,
}

# --- attribute metrics -----------------------------------------------------------------------------

ADVERTISER = "AUCTION_ADVERTISER"
CAMPAIGN = "AUCTION_CAMPAIGN"
ADGROUP = "AUCTION_ADGROUP"
AD = "AUCTION_AD"
LEVELS = (ADVERTISER, CAMPAIGN, ADGROUP, AD)
LEVEL_RANK = {level: i for i, level in enumerate(LEVELS)}
LEVEL_ID_DIMENSION = {
    ADVERTISER: "advertiser_id",
    CAMPAIGN: "campaign_id",
    ADGROUP: "adgroup_id",
    AD: "ad_id",
}
LEVEL_KIND = {ADVERTISER: "advertiser", CAMPAIGN: "campaign", ADGROUP: "adgroup", AD: "ad"}

# attribute metric -> lowest level that carries it (every deeper level carries it too)
ATTRIBUTE_MIN_LEVEL: dict[str, str] = {
    "advertiser_name": ADVERTISER,
    "advertiser_id": ADVERTISER,
    "currency": ADVERTISER,
    "campaign_name": CAMPAIGN,
    "objective_type": CAMPAIGN,
    "split_test": CAMPAIGN,
    "campaign_budget": CAMPAIGN,
    "campaign_dedicate_type": CAMPAIGN,
    "app_promotion_type": CAMPAIGN,
    "campaign_id": ADGROUP,
    "adgroup_name": ADGROUP,
    "placement_type": ADGROUP,
    "promotion_type": ADGROUP,
    "opt_status": ADGROUP,
    "budget": ADGROUP,
    "smart_target": ADGROUP,
    "billing_event": ADGROUP,
    "bid_strategy": ADGROUP,
    "bid": ADGROUP,
    "tt_app_id": ADGROUP,
    "tt_app_name": ADGROUP,
    "mobile_app_id": ADGROUP,
    "dpa_target_audience_type": ADGROUP,
    "adgroup_id": AD,
    "ad_name": AD,
    "ad_text": AD,
    "call_to_action": AD,
    "image_mode": AD,
    "is_smart_creative": AD,
}

ALL_METRICS: frozenset[str] = frozenset(NUMERIC_METRICS) | frozenset(ATTRIBUTE_MIN_LEVEL)


def attribute_allowed(metric: str, level: str) -> bool:
    return LEVEL_RANK[level] >= LEVEL_RANK[ATTRIBUTE_MIN_LEVEL[metric]]


@functools.lru_cache(maxsize=64)
def row_builder(metrics: tuple[str, ...]) -> tuple[RowBuilder, bool]:
    """One compiled function that builds a row's ``metrics`` object for ``metrics``, in that order,
    from the counters, the secondary-goal flag and the entity's attribute metrics; and whether it
    reads those attributes at all. A name that is no metric is read from the attributes."""
    fields = [
        f"{name!r}: {NUMERIC_METRICS[name].expression}"
        if name in NUMERIC_METRICS
        else f"{name!r}: attrs[{name!r}]"
        for name in metrics
    ]
    build = eval("lambda c, sg, attrs: {" + ", ".join(fields) + "}", _EXPRESSION_GLOBALS)
    return build, any(name not in NUMERIC_METRICS for name in metrics)


# --- metric rules ----------------------------------------------------------------------------------

# The older, longer exclusion list for AUDIENCE reports. A newer connector release sends some of
# these again, but that is unconfirmed [?], so the emulator keeps rejecting all of them.
AUDIENCE_EXCLUDED: frozenset[str] = frozenset(
    {
        "reach",
        "cost_per_1000_reached",
        "frequency",
        "secondary_goal_result",
        "cost_per_secondary_goal_result",
        "secondary_goal_result_rate",
        "cash_spend",
        "voucher_spend",
        "video_play_actions",
        "video_watched_2s",
        "video_watched_6s",
        "average_video_play",
        "average_video_play_per_user",
        "video_views_p25",
        "video_views_p50",
        "video_views_p75",
        "video_views_p100",
        "profile_visits",
        "likes",
        "comments",
        "shares",
        "follows",
        "clicks_on_music_disc",
        "real_time_app_install",
        "real_time_app_install_cost",
        "app_install",
        # billed_cost exists only for synchronous BASIC reports.
        "billed_cost",
    }
)

# A recorded campaign-level request with conversion, result and secondary-goal metrics was answered,
# so those work from campaign level down. Whether they work at advertiser level, and event metrics
# above ad group level, is an open question [?]; the stricter answer (rejected there) is served.
LOWER_LEVEL_ONLY: frozenset[str] = frozenset(EVENT_METRICS)
CAMPAIGN_LEVEL_AND_BELOW: frozenset[str] = frozenset(CONVERSION_METRICS)

# These need a grouping of one ID dimension, optionally with stat_time_day.
PAID_VIEW_METRICS: frozenset[str] = frozenset(
    {
        "paid_engaged_view",
        "paid_engagement_engaged_view",
        "paid_engaged_view_15s",
        "paid_engagement_engaged_view_15s",
    }
)


def invalid_metrics(
    metrics: list[str], report_type: str, level: str, dimensions: list[str], lifetime: bool
) -> list[str]:
    """Names in ``metrics`` TikTok would refuse for this report shape (request order kept)."""
    id_dim = LEVEL_ID_DIMENSION[level]
    bad: list[str] = []
    for m in metrics:
        if m in bad:
            continue
        if m not in ALL_METRICS:
            ok = False
        elif m in SPEND_SPLIT_METRICS:
            ok = (
                report_type == "BASIC"
                and level == ADVERTISER
                and not lifetime
                and set(dimensions) == {id_dim, "stat_time_day"}
            )
        elif m in ATTRIBUTE_MIN_LEVEL:
            ok = attribute_allowed(m, level)
        elif report_type == "AUDIENCE" and m in AUDIENCE_EXCLUDED:
            ok = False
        elif m in PAID_VIEW_METRICS:
            ok = set(dimensions) <= {id_dim, "stat_time_day"}
        elif m in LOWER_LEVEL_ONLY:
            ok = level in (ADGROUP, AD)
        elif m in CAMPAIGN_LEVEL_AND_BELOW:
            ok = level in (CAMPAIGN, ADGROUP, AD)
        else:
            ok = True
        if not ok:
            bad.append(m)
    return bad


# --- dimensions ------------------------------------------------------------------------------------

ID_DIMENSIONS = frozenset(LEVEL_ID_DIMENSION.values())
TIME_DIMENSIONS = frozenset({"stat_time_day", "stat_time_hour"})

GENDERS = ("MALE", "FEMALE", "NONE")  # "NONE" for unknown gender is itself unconfirmed [?]
AGES = ("AGE_13_17", "AGE_18_24", "AGE_25_34", "AGE_35_44", "AGE_45_54", "AGE_55_100")
PLATFORMS = ("ANDROID", "IOS", "PC")  # [?] exact value set not confirmed
ACCESS_TYPES = ("WIFI", "4G", "5G")  # [?] "ac" values are not documented in our sources
LANGUAGES = ("en", "es", "ru", "de")  # [?]

# Breakdown dimensions the emulator can produce. country_code, province_id and language values
# depend on the advertiser, the rest are fixed.
AUDIENCE_DIMENSIONS = ("gender", "age", "country_code", "province_id", "platform", "ac", "language")
BASIC_BREAKDOWNS = frozenset({"country_code"})

# Documented somewhere but not emulated; asking for them is a 40002 that says so.
UNSUPPORTED_DIMENSIONS = frozenset(
    {
        "ad_id_v2",
        "ad_type",
        "custom_event_type",
        "event_source_id",
        "page_id",
        "component_name",
        "room_id",
        "post_id",
        "image_id",
        "video_material_id",
        "search_terms",
        "search_keyword",
        "match_type",
        "skan_postback_sequence",
        "interest_category",
        "placement",
        "dma_id",
    }
)

# Only gender and age are proven to combine with each other; every other audience dimension is
# used on its own by production connectors, so other combinations are refused [?].
COMBINABLE_AUDIENCE = frozenset({"gender", "age"})

REPORT_TYPES_EMULATED = ("BASIC", "AUDIENCE")
REPORT_TYPES_KNOWN = frozenset(
    {"BASIC", "AUDIENCE", "PLAYABLE_MATERIAL", "CATALOG", "BC", "TT_SHOP", "VIDEO_INSIGHT", "AD", "VIDEO"}
)
