"""The report catalog: level and report-type rules, value types, and parity with Airbyte's metric sets."""

from __future__ import annotations

import pytest

from source_tiktok_ads.config import DataLevel, ReportType, TimeGranularity
from source_tiktok_ads.reports.catalog import (
    DIMENSIONS,
    ID_DIMENSION_BY_LEVEL,
    METRICS,
    ValueType,
    accepted_metrics,
    metric_accepted,
    metric_json_schema,
)

BASIC, AUDIENCE = ReportType.BASIC, ReportType.AUDIENCE
ADVERTISER, CAMPAIGN, ADGROUP, AD = (
    DataLevel.AUCTION_ADVERTISER,
    DataLevel.AUCTION_CAMPAIGN,
    DataLevel.AUCTION_ADGROUP,
    DataLevel.AUCTION_AD,
)
HOUR, DAY, LIFETIME = TimeGranularity.HOUR, TimeGranularity.DAY, TimeGranularity.LIFETIME

# What Airbyte's source-tiktok-marketing 4.7.0 requests, written out per stream.
AIRBYTE_BASIC_COMMON = {
    "spend", "cpc", "cpm", "impressions", "clicks", "ctr", "reach", "cost_per_1000_reached",
    "frequency", "video_play_actions", "video_watched_2s", "video_watched_6s", "average_video_play",
    "average_video_play_per_user", "video_views_p25", "video_views_p50", "video_views_p75",
    "video_views_p100", "profile_visits", "likes", "comments", "shares", "follows",
    "clicks_on_music_disc", "real_time_app_install", "real_time_app_install_cost", "app_install",
}  # fmt: skip
AIRBYTE_ADVERTISERS_REPORTS_DAILY = AIRBYTE_BASIC_COMMON | {"cash_spend", "voucher_spend"}
AIRBYTE_CAMPAIGNS_REPORTS_DAILY = AIRBYTE_BASIC_COMMON | {"campaign_name"}
AIRBYTE_AD_GROUPS_REPORTS_DAILY = AIRBYTE_BASIC_COMMON | {
    "campaign_name", "campaign_id", "adgroup_name", "placement_type", "tt_app_id", "tt_app_name",
    "mobile_app_id", "promotion_type", "dpa_target_audience_type", "conversion", "cost_per_conversion",
    "conversion_rate", "real_time_conversion", "real_time_cost_per_conversion",
    "real_time_conversion_rate", "result", "cost_per_result", "result_rate", "real_time_result",
    "real_time_cost_per_result", "real_time_result_rate", "secondary_goal_result",
    "cost_per_secondary_goal_result", "secondary_goal_result_rate",
}  # fmt: skip
AIRBYTE_ADS_REPORTS_DAILY = AIRBYTE_AD_GROUPS_REPORTS_DAILY | {
    "adgroup_id", "ad_name", "ad_text", "total_purchase_value", "total_onsite_shopping_value",
    "onsite_shopping", "vta_purchase", "vta_conversion", "cta_purchase", "cta_conversion",
    "total_pageview", "complete_payment", "value_per_complete_payment", "total_complete_payment_rate",
    "profile_visits_rate", "purchase", "purchase_rate", "registration", "registration_rate",
    "sales_lead", "sales_lead_rate", "cost_per_app_install", "cost_per_purchase",
    "cost_per_registration", "cost_per_sales_lead", "cost_per_total_sales_lead",
    "cost_per_total_app_event_add_to_cart", "total_app_event_add_to_cart",
}  # fmt: skip
AIRBYTE_ADS_REPORTS_BY_COUNTRY_DAILY = AIRBYTE_ADS_REPORTS_DAILY - {
    "purchase",
    "purchase_rate",
    "cost_per_purchase",
}
# Later Airbyte versions add these at ad level.
AIRBYTE_LATER_AD_ADDITIONS = {
    "engaged_view", "engagements", "paid_engaged_view",
    "paid_engagement_engaged_view", "engaged_view_15s", "paid_engaged_view_15s",
    "paid_engagement_engaged_view_15s",
}  # fmt: skip

AIRBYTE_AUDIENCE_COMMON = {"spend", "cpc", "cpm", "impressions", "clicks", "ctr"}
AIRBYTE_AD_GROUP_AUDIENCE = AIRBYTE_AUDIENCE_COMMON | {
    "campaign_name", "campaign_id", "adgroup_name", "placement_type", "tt_app_id", "tt_app_name",
    "mobile_app_id", "promotion_type", "dpa_target_audience_type", "conversion", "cost_per_conversion",
    "conversion_rate", "real_time_conversion", "real_time_cost_per_conversion",
    "real_time_conversion_rate", "result", "cost_per_result", "result_rate", "real_time_result",
    "real_time_cost_per_result", "real_time_result_rate",
}  # fmt: skip
AIRBYTE_ADS_AUDIENCE = AIRBYTE_AD_GROUP_AUDIENCE | {"adgroup_id", "ad_name", "ad_text"}

OLDER_AIRBYTE_NOT_AUDIENCE = {
    "reach", "cost_per_1000_reached", "frequency", "secondary_goal_result",
    "cost_per_secondary_goal_result", "secondary_goal_result_rate", "cash_spend", "voucher_spend",
    "video_play_actions", "video_watched_2s", "video_watched_6s", "average_video_play",
    "average_video_play_per_user", "video_views_p25", "video_views_p50", "video_views_p75",
    "video_views_p100", "profile_visits", "likes", "comments", "shares", "follows",
    "clicks_on_music_disc", "real_time_app_install", "real_time_app_install_cost", "app_install",
}  # fmt: skip


def test_anchor_sets_have_the_documented_sizes():
    assert len(AIRBYTE_BASIC_COMMON) == 27
    assert len(AIRBYTE_ADVERTISERS_REPORTS_DAILY) == 29
    assert len(AIRBYTE_CAMPAIGNS_REPORTS_DAILY) == 28
    assert len(AIRBYTE_AD_GROUPS_REPORTS_DAILY) == 51
    assert len(AIRBYTE_ADS_REPORTS_DAILY) == 79
    assert len(AIRBYTE_ADS_REPORTS_BY_COUNTRY_DAILY) == 76
    assert (len(AIRBYTE_AD_GROUP_AUDIENCE), len(AIRBYTE_ADS_AUDIENCE)) == (27, 30)


@pytest.mark.parametrize(
    ("level", "granularity", "airbyte_metrics"),
    [
        (AD, DAY, AIRBYTE_ADS_REPORTS_DAILY | AIRBYTE_LATER_AD_ADDITIONS),
        (ADGROUP, DAY, AIRBYTE_AD_GROUPS_REPORTS_DAILY),
        (CAMPAIGN, DAY, AIRBYTE_CAMPAIGNS_REPORTS_DAILY),
        (ADVERTISER, DAY, AIRBYTE_ADVERTISERS_REPORTS_DAILY),
        (AD, HOUR, AIRBYTE_ADS_REPORTS_DAILY),
        (ADGROUP, HOUR, AIRBYTE_AD_GROUPS_REPORTS_DAILY),
        (CAMPAIGN, HOUR, AIRBYTE_CAMPAIGNS_REPORTS_DAILY),
        (ADVERTISER, HOUR, AIRBYTE_BASIC_COMMON),
        (AD, LIFETIME, AIRBYTE_ADS_REPORTS_DAILY | AIRBYTE_LATER_AD_ADDITIONS),
        (ADGROUP, LIFETIME, AIRBYTE_AD_GROUPS_REPORTS_DAILY),
        (CAMPAIGN, LIFETIME, AIRBYTE_CAMPAIGNS_REPORTS_DAILY),
        (ADVERTISER, LIFETIME, AIRBYTE_BASIC_COMMON),
    ],
)
def test_basic_reports_cover_every_metric_airbyte_requests(level, granularity, airbyte_metrics):
    missing = airbyte_metrics - set(accepted_metrics(BASIC, level, granularity))
    assert not missing


@pytest.mark.parametrize("granularity", [DAY, HOUR])
def test_by_country_reports_cover_airbyte_but_drop_the_breakdown_shy_metrics(granularity):
    by_country = set(accepted_metrics(BASIC, AD, granularity, ("country_code",)))
    assert by_country >= AIRBYTE_ADS_REPORTS_BY_COUNTRY_DAILY
    assert not {"purchase", "purchase_rate", "cost_per_purchase", "paid_engaged_view"} & by_country
    assert (
        set(accepted_metrics(BASIC, ADGROUP, granularity, ("country_code",)))
        >= AIRBYTE_AD_GROUPS_REPORTS_DAILY
    )


@pytest.mark.parametrize(
    ("level", "airbyte_metrics"),
    [
        (AD, AIRBYTE_ADS_AUDIENCE),
        (ADGROUP, AIRBYTE_AD_GROUP_AUDIENCE),
        (CAMPAIGN, AIRBYTE_AUDIENCE_COMMON | {"campaign_name"}),
        (ADVERTISER, AIRBYTE_AUDIENCE_COMMON),
    ],
)
def test_audience_reports_cover_every_metric_airbyte_requests(level, airbyte_metrics):
    assert airbyte_metrics <= set(accepted_metrics(AUDIENCE, level, DAY, ("gender", "age")))


@pytest.mark.parametrize("level", list(DataLevel))
def test_audience_reports_exclude_the_older_airbyte_list(level):
    audience = set(accepted_metrics(AUDIENCE, level, DAY))
    assert not audience & OLDER_AIRBYTE_NOT_AUDIENCE
    assert "billed_cost" not in audience  # a BASIC-only metric


@pytest.mark.parametrize("level", list(DataLevel))
@pytest.mark.parametrize("granularity", [HOUR, LIFETIME])
def test_audience_granularity_is_judged_as_daily(level, granularity):
    assert accepted_metrics(AUDIENCE, level, granularity) == accepted_metrics(AUDIENCE, level, DAY)


def _levels_accepting(name: str) -> set[DataLevel]:
    return {level for level in DataLevel if name in accepted_metrics(BASIC, level, DAY)}


@pytest.mark.parametrize(
    ("name", "levels"),
    [
        ("advertiser_name", {ADVERTISER, CAMPAIGN, ADGROUP, AD}),
        ("advertiser_id", {ADVERTISER, CAMPAIGN, ADGROUP, AD}),
        ("currency", {ADVERTISER, CAMPAIGN, ADGROUP, AD}),
        ("campaign_name", {CAMPAIGN, ADGROUP, AD}),
        ("objective_type", {CAMPAIGN, ADGROUP, AD}),
        ("campaign_budget", {CAMPAIGN, ADGROUP, AD}),
        ("campaign_id", {ADGROUP, AD}),
        ("adgroup_name", {ADGROUP, AD}),
        ("dpa_target_audience_type", {ADGROUP, AD}),
        ("tt_app_id", {ADGROUP, AD}),
        ("bid", {ADGROUP, AD}),
        ("adgroup_id", {AD}),
        ("ad_name", {AD}),
        ("ad_text", {AD}),
        ("is_smart_creative", {AD}),
    ],
)
def test_attribute_metric_levels(name, levels):
    assert METRICS[name].group == "attribute"
    assert _levels_accepting(name) == levels


@pytest.mark.parametrize("name", ["purchase", "complete_payment", "vta_purchase"])
def test_event_metrics_stay_at_ad_group_and_ad_level(name):
    assert _levels_accepting(name) == {ADGROUP, AD}


# A recorded BASIC AUCTION_CAMPAIGN request with these metrics was answered by TikTok.
@pytest.mark.parametrize(
    "name",
    [
        "conversion",
        "cost_per_conversion",
        "real_time_conversion",
        "result",
        "real_time_result_rate",
        "secondary_goal_result",
        "cost_per_secondary_goal_result",
    ],
)
def test_conversion_and_result_metrics_are_asked_from_campaign_level_down(name):
    assert _levels_accepting(name) == {CAMPAIGN, ADGROUP, AD}
    assert name in accepted_metrics(BASIC, CAMPAIGN, DAY)


@pytest.mark.parametrize(
    "name", ["spend", "reach", "video_views_p100", "likes", "app_install", "engaged_view"]
)
def test_delivery_video_and_social_metrics_are_accepted_at_every_level(name):
    assert _levels_accepting(name) == set(DataLevel)


def test_cash_and_voucher_spend_only_for_daily_basic_advertiser_reports():
    for name in ("cash_spend", "voucher_spend"):
        accepted_at = {
            (report_type, level, granularity)
            for report_type in ReportType
            for level in DataLevel
            for granularity in TimeGranularity
            if metric_accepted(name, report_type, level, granularity)
        }
        assert accepted_at == {(BASIC, ADVERTISER, DAY)}


def test_paid_engaged_views_need_plain_id_grouping():
    assert "paid_engaged_view" in accepted_metrics(BASIC, AD, DAY)
    assert "paid_engaged_view" in accepted_metrics(BASIC, AD, LIFETIME)
    assert "paid_engaged_view" not in accepted_metrics(BASIC, AD, HOUR)
    assert not metric_accepted("paid_engaged_view", BASIC, AD, DAY, ["country_code"])


def test_unknown_metric_is_not_accepted():
    assert not metric_accepted("placement", BASIC, AD, DAY)  # a dimension, rejected as a metric
    assert not metric_accepted("total_complete_payment_value", BASIC, AD, DAY)


@pytest.mark.parametrize(
    ("name", "value_type", "json_type"),
    [
        ("impressions", ValueType.COUNT, "integer"),
        ("clicks", ValueType.COUNT, "integer"),
        ("app_install", ValueType.COUNT, "integer"),
        ("spend", ValueType.MONEY, "number"),
        ("cost_per_result", ValueType.MONEY, "number"),
        ("cash_spend", ValueType.MONEY, "number"),
        ("total_complete_payment_rate", ValueType.MONEY, "number"),
        ("ctr", ValueType.RATE, "number"),
        ("conversion_rate_v2", ValueType.RATE, "number"),
        ("frequency", ValueType.DECIMAL, "number"),
        ("average_video_play", ValueType.DECIMAL, "number"),
        ("campaign_name", ValueType.STRING, "string"),
        ("placement_type", ValueType.STRING, "string"),
        ("campaign_id", ValueType.ID, "string"),
        ("tt_app_id", ValueType.ID, "string"),
    ],
)
def test_value_types_and_json_schema(name, value_type, json_type):
    assert METRICS[name].value_type is value_type
    assert metric_json_schema(name) == {"type": ["null", json_type]}


def test_unknown_metric_schema_is_a_nullable_string():
    assert metric_json_schema("not_a_metric") == {"type": ["null", "string"]}


def test_metric_json_schema_returns_a_fresh_dict():
    metric_json_schema("spend")["type"].append("string")
    assert metric_json_schema("spend") == {"type": ["null", "number"]}


def test_every_metric_has_a_json_schema_type():
    for name in METRICS:
        assert metric_json_schema(name)["type"][1] in {"integer", "number", "string"}


@pytest.mark.parametrize("report_type", list(ReportType))
@pytest.mark.parametrize("level", list(DataLevel))
@pytest.mark.parametrize("granularity", list(TimeGranularity))
def test_accepted_metrics_is_stable_ordered_and_unique(report_type, level, granularity):
    metrics = accepted_metrics(report_type, level, granularity)
    assert metrics == accepted_metrics(report_type, level, granularity)
    assert len(metrics) == len(set(metrics))
    catalog_order = list(METRICS)
    assert [catalog_order.index(name) for name in metrics] == sorted(
        catalog_order.index(name) for name in metrics
    )
    assert {"spend", "impressions"} <= set(metrics)


def test_levels_nest_for_basic_daily():
    advertiser, campaign, adgroup, ad = (set(accepted_metrics(BASIC, level, DAY)) for level in DataLevel)
    assert campaign - advertiser and adgroup > campaign and ad > adgroup
    assert advertiser - campaign == {"cash_spend", "voucher_spend"}


def test_names_equal_keys():
    assert all(metric.name == name for name, metric in METRICS.items())
    assert all(dimension.name == name for name, dimension in DIMENSIONS.items())


def test_metrics_and_dimensions_do_not_overlap_except_ids():
    # Parent ids are both: dimensions at their own level, attribute metrics below it.
    assert set(METRICS) & set(DIMENSIONS) == {"advertiser_id", "campaign_id", "adgroup_id"}


def test_id_dimensions_match_levels():
    assert dict(ID_DIMENSION_BY_LEVEL) == {
        ADVERTISER: "advertiser_id",
        CAMPAIGN: "campaign_id",
        ADGROUP: "adgroup_id",
        AD: "ad_id",
    }
    for level, name in ID_DIMENSION_BY_LEVEL.items():
        dimension = DIMENSIONS[name]
        assert (dimension.kind, dimension.level, dimension.value_type) == ("id", level, ValueType.ID)
        assert dimension.report_types == frozenset(ReportType)


def test_required_dimensions_are_typed():
    required = {
        "advertiser_id", "campaign_id", "adgroup_id", "ad_id", "stat_time_day", "stat_time_hour",
        "gender", "age", "country_code", "platform", "province_id", "ac", "language",
        "interest_category", "placement",
    }  # fmt: skip
    assert required <= set(DIMENSIONS)
    assert DIMENSIONS["stat_time_day"].kind == "time"
    assert DIMENSIONS["stat_time_day"].value_type is ValueType.STRING
    assert DIMENSIONS["gender"].value_type is ValueType.STRING
    assert AUDIENCE in DIMENSIONS["country_code"].report_types
    assert BASIC in DIMENSIONS["country_code"].report_types
    assert DIMENSIONS["gender"].report_types == frozenset({AUDIENCE})
    assert DIMENSIONS["stat_time_hour"].report_types == frozenset({BASIC})
    assert all(d.level is None for d in DIMENSIONS.values() if d.kind != "id")


def test_metric_rows_are_immutable():
    with pytest.raises(AttributeError):
        METRICS["spend"].group = "video"  # type: ignore[misc]
    with pytest.raises(TypeError):
        METRICS["spend"] = METRICS["cpc"]  # type: ignore[index]
