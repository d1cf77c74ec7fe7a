"""GMV Max report metrics: their own names (`cost`, not `spend`) and value types, per report level.

Plain strings, no imports: the report catalog reads the types from here to type these columns like
every other metric. BASIC names (`spend`, `impressions`, `clicks`) are refused by GMV Max reports.
"""

from __future__ import annotations

# name -> value type (catalog.ValueType values)
GMV_MAX_METRIC_TYPES: dict[str, str] = {
    "cost": "money",
    "net_cost": "money",
    "orders": "count",
    "cost_per_order": "money",
    "gross_revenue": "money",
    "roi": "decimal",
    "roas_bid": "decimal",
    "all_shops_orders": "count",
    "all_shops_cost_per_order": "money",
    "all_shops_gross_revenue": "money",
    "all_shops_roi": "decimal",
    "live_views": "count",
    "cost_per_live_view": "money",
    "10_second_live_views": "count",
    "cost_per_10_second_live_view": "money",
    "live_follows": "count",
    "product_status": "string",
    "creative_delivery_status": "string",
    "product_impressions": "count",
    "product_clicks": "count",
    "product_click_rate": "rate",
    "ad_click_rate": "rate",
    "ad_conversion_rate": "rate",
    "ad_video_view_rate_2s": "rate",
    "ad_video_view_rate_6s": "rate",
    "ad_video_view_rate_p25": "rate",
    "ad_video_view_rate_p50": "rate",
    "ad_video_view_rate_p75": "rate",
    "ad_video_view_rate_p100": "rate",
}

# The performance metrics each level accepts (TikTok's "Metrics in GMV Max Campaign reports").
# Attribute metrics (names, statuses, schedules) are left out: TikTok serves them only for a single
# filtered ID, and daily rows come from multi-ID queries; the names are in `gmv_max_campaigns`.
CORE = ("cost", "net_cost", "orders", "cost_per_order", "gross_revenue", "roi")
LIVE_CAMPAIGN = (
    *CORE,
    "all_shops_orders",
    "all_shops_cost_per_order",
    "all_shops_gross_revenue",
    "all_shops_roi",
    "live_views",
    "cost_per_live_view",
    "10_second_live_views",
    "cost_per_10_second_live_view",
    "live_follows",
)
PRODUCT_CAMPAIGN = (*CORE, "roas_bid")
SPU = ("cost", "orders", "cost_per_order", "gross_revenue", "roi")
CREATIVE = (
    "cost",
    "orders",
    "cost_per_order",
    "gross_revenue",
    "roi",
    "product_impressions",
    "product_clicks",
    "product_click_rate",
    "ad_click_rate",
    "ad_conversion_rate",
    "ad_video_view_rate_2s",
    "ad_video_view_rate_6s",
    "ad_video_view_rate_p25",
    "ad_video_view_rate_p50",
    "ad_video_view_rate_p75",
    "ad_video_view_rate_p100",
)
