"""GMV Max (TikTok Shop ads): stores, campaigns and `gmv_max/report/get/`.

Every advertiser gets `spec.gmv_max_stores` stores; the first `spec.gmv_max_active_stores` (one by
default) each have two Product GMV Max campaigns and one LIVE GMV Max campaign, any further store has
none (a store moved to another account, or not ready). A Product campaign promotes SPUs (`item_group_id`), each shown through posts (`item_id`,
"-1" for the product card). Delivery is generated per (campaign, SPU, post, day) and every level of
the report sums the same units, so the levels reconcile exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from .errors import ApiError, bad_param
from .generate.shop import build_gmv_max_campaign, build_products, build_store
from .paging import page, page_request
from .params import advertiser_param, date_param, filtering_object, ids_filter, json_param, str_list
from .seeding import seeded_hash

if TYPE_CHECKING:
    from .call import Call
    from .dataset import Dataset
    from .faults import FaultPlan
    from .server import Emulator

STORE_LIST_PATH = "gmv_max/store/list/"
PRODUCT, LIVE = "PRODUCT", "LIVE"
# Listings spell the campaign types differently from report filters.
LISTING_TYPE = {PRODUCT: "PRODUCT_GMV_MAX", LIVE: "LIVE_GMV_MAX"}
CAMPAIGN_PAGE_CAP = 100
REPORT_PAGE_CAP = 1000
MAX_FILTER_IDS = 100

CORE = ("cost", "net_cost", "orders", "cost_per_order", "gross_revenue", "roi")
CAMPAIGN_ATTRIBUTES = (
    "campaign_id",
    "campaign_name",
    "operation_status",
    "schedule_type",
    "schedule_start_time",
    "schedule_end_time",
    "target_roi_budget",
    "max_delivery_budget",
    "bid_type",
)
LIVE_EXTRA = (
    "all_shops_orders",
    "all_shops_cost_per_order",
    "all_shops_gross_revenue",
    "all_shops_roi",
    "live_views",
    "cost_per_live_view",
    "10_second_live_views",
    "cost_per_10_second_live_view",
    "live_follows",
    "tt_account_name",
    "identity_id",
)
SPU_METRICS = ("product_status", "cost", "orders", "cost_per_order", "gross_revenue", "roi")
SPU_ATTRIBUTES = ("product_name", "item_group_id", "product_image_url", "bid_type")
CREATIVE_METRICS = (
    "creative_delivery_status",
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
CREATIVE_ATTRIBUTES = (
    "title",
    "item_id",
    "tt_account_name",
    "tt_account_profile_image_url",
    "tt_account_authorization_type",
    "shop_content_type",
)
# level -> (groupings of ID dimensions, required filters, metrics, attribute metrics)
LEVELS: dict[str, tuple[tuple[frozenset[str], ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "account": ((frozenset({"advertiser_id"}),), (), CORE, ()),
    "campaign": (
        (frozenset({"campaign_id"}),),
        ("gmv_max_promotion_types",),
        (*CORE, "roas_bid", *LIVE_EXTRA),
        CAMPAIGN_ATTRIBUTES,
    ),
    "spu": (
        (frozenset({"item_group_id"}), frozenset({"campaign_id", "item_group_id"})),
        ("campaign_ids",),
        SPU_METRICS,
        SPU_ATTRIBUTES,
    ),
    "creative": (
        (frozenset({"campaign_id", "item_group_id", "item_id"}), frozenset({"item_id"})),
        ("campaign_ids", "item_group_ids"),
        CREATIVE_METRICS,
        CREATIVE_ATTRIBUTES,
    ),
}
FILTER_KEYS = frozenset(
    {
        "gmv_max_promotion_types",
        "campaign_ids",
        "item_group_ids",
        "item_ids",
        "room_ids",
        "campaign_name",
        "campaign_statuses",
        "search_word",
        "creative_delivery_statuses",
        "creative_types",
    }
)
BASIC_ONLY_NAMES = frozenset({"spend", "impressions", "clicks", "billed_cost", "ctr", "cpc", "cpm"})


class GmvMaxWorld:
    """Stores, campaigns and per-unit delivery of every advertiser."""

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds
        seed = ds.spec.seed
        self.stores: dict[str, list[dict[str, Any]]] = {}
        self.campaigns: dict[str, list[dict[str, Any]]] = {}
        # campaign id -> [(item_group_id, [item ids])]
        self.products: dict[str, list[tuple[str, list[str]]]] = {}
        self.store_of: dict[str, str] = {}
        self.type_of: dict[str, str] = {}
        self.owner_of: dict[str, str] = {}
        numbers = {"store": 0, "campaign": 0, "spu": 0, "item": 0}
        self.first_day, self.last_day = ds.start_date, ds.end_date
        created = f"{ds.days[0] - timedelta(days=40)} 09:00:00"
        for adv in ds.advertisers:
            stores, campaigns = [], []
            for s in range(ds.spec.gmv_max_stores):
                numbers["store"] += 1
                # The active stores are the ones with campaigns.
                active = s < ds.spec.gmv_max_active_stores
                stores.append(build_store(seed, numbers["store"], adv, active=active))
                if active:
                    campaigns.extend(
                        self._store_campaigns(adv["advertiser_id"], stores[-1], numbers, created)
                    )
            self.stores[adv["advertiser_id"]] = stores
            self.campaigns[adv["advertiser_id"]] = campaigns

    def _store_campaigns(
        self, adv_id: str, store: dict[str, Any], numbers: dict[str, int], created: str
    ) -> list[dict[str, Any]]:
        """Two Product GMV Max campaigns and one LIVE one for an active store."""
        seed = self.ds.spec.seed
        campaigns = []
        for kind in (PRODUCT, PRODUCT, LIVE):
            numbers["campaign"] += 1
            camp = build_gmv_max_campaign(seed, numbers["campaign"], adv_id, kind, created)
            cid = camp["campaign_id"]
            campaigns.append(camp)
            self.store_of[cid] = store["store_id"]
            self.type_of[cid] = kind
            self.owner_of[cid] = adv_id
            self.products[cid] = [] if kind == LIVE else build_products(seed, numbers)
        return campaigns

    # --- delivery --------------------------------------------------------------------------------

    def unit(self, campaign_id: str, spu: str, item: str, day: date) -> tuple[int, int, int, int, int]:
        """(cost in cents, orders, revenue in cents, product impressions, product clicks) of one unit-day.
        About one post-day in five has no cost; orders still come (organic sales of promoted products)."""
        h = seeded_hash(self.ds.spec.seed, campaign_id, spu, item, day)
        factor = self.ds.account_profile(self.owner_of[campaign_id])[4]
        cost = 0 if h % 5 == 0 else (500 + h % 20000) * factor
        orders = (h >> 16) % 7
        revenue = orders * (1500 + (h >> 24) % 6000) * factor
        impressions = 100 + (h >> 32) % 5000
        clicks = impressions * (1 + (h >> 40) % 8) // 100
        return cost, orders, revenue, impressions, clicks

    def units(
        self, adv_id: str, store_id: str, days: tuple[date, ...]
    ) -> list[tuple[str, str, str, date, tuple]]:
        """Every (campaign, SPU, post, day, counters) of one store; LIVE campaigns as one unit each."""
        out = []
        # Delivery only inside the dataset's data range, like classic delivery: never before the account
        # or its campaigns existed.
        days = tuple(day for day in days if self.first_day <= day <= self.last_day)
        for camp in self.campaigns.get(adv_id, []):
            cid = camp["campaign_id"]
            if self.store_of[cid] != store_id:
                continue
            for day in days:
                if self.type_of[cid] == LIVE:
                    out.append((cid, "", "", day, self.unit(cid, "", "", day)))
                    continue
                for spu, items in self.products[cid]:
                    for item in items:
                        out.append((cid, spu, item, day, self.unit(cid, spu, item, day)))
        return out

    def store_ids(self, adv_id: str, faults: FaultPlan | None = None) -> list[str]:
        """The stores authorized to the advertiser now (those a fault plan suspends are not)."""
        return [store["store_id"] for store in self.listed_stores(adv_id, faults)]

    def listed_stores(self, adv_id: str, faults: FaultPlan | None = None) -> list[dict[str, Any]]:
        suspended = faults.unlisted_stores if faults else frozenset()
        return [
            store for store in self.stores.get(adv_id, []) if (adv_id, store["store_id"]) not in suspended
        ]


def _world(emu: Emulator) -> GmvMaxWorld:
    world = emu.dataset.gmv_max
    if world is None:
        raise ApiError(40001, "advertiser does not grant you TikTok Shop GMV Max access")
    return world


def _advertiser(emu: Emulator, call: Call) -> str:
    adv_id = advertiser_param(call.params)
    emu.check_advertiser(call, adv_id)
    return adv_id


def _route_stores(emu: Emulator, call: Call) -> dict[str, Any]:
    adv_id = _advertiser(emu, call)
    world = emu.dataset.gmv_max
    return {
        "store_list": [dict(store) for store in world.listed_stores(adv_id, call.faults)] if world else []
    }


def _route_campaigns(emu: Emulator, call: Call) -> dict[str, Any]:
    adv_id = _advertiser(emu, call)
    filtering = filtering_object(call.params, required=True)
    types = filtering.get("gmv_max_promotion_types")
    if not isinstance(types, list) or not types:
        raise bad_param("filtering.gmv_max_promotion_types: Missing data for required field.")
    by_listing = {value: key for key, value in LISTING_TYPE.items()}
    if any(value not in by_listing for value in types):
        raise bad_param(
            f"filtering.gmv_max_promotion_types: Invalid value(s) {types}; use PRODUCT_GMV_MAX or LIVE_GMV_MAX."
        )
    unknown = sorted(
        set(filtering)
        - {"gmv_max_promotion_types", "store_ids", "campaign_ids", "campaign_name", "primary_status"}
    )
    if unknown:
        raise bad_param(f"filtering: Unknown field(s) {unknown}.")
    status = filtering.get("primary_status")
    if status is not None and status not in ("STATUS_DELIVERY_OK", "STATUS_DISABLE", "STATUS_DELETE"):
        raise bad_param(f"filtering.primary_status: Invalid value {status!r}.")
    page_no, page_size = page_request(call.params, CAMPAIGN_PAGE_CAP)
    world = emu.dataset.gmv_max
    rows = [] if world is None else list(world.campaigns.get(adv_id, []))
    wanted_types = {by_listing[value] for value in types}
    rows = [row for row in rows if world.type_of[row["campaign_id"]] in wanted_types]
    if "store_ids" in filtering:
        stores = filtering["store_ids"]
        if not isinstance(stores, list) or not 1 <= len(stores) <= 10:
            raise bad_param("filtering.store_ids: Length must be between 1 and 10.")
        rows = [row for row in rows if world.store_of[row["campaign_id"]] in set(map(str, stores))]
    if "campaign_ids" in filtering:
        wanted = ids_filter(filtering["campaign_ids"], "campaign_ids")
        rows = [row for row in rows if row["campaign_id"] in wanted]
    if status == "STATUS_DELETE":
        rows = []  # no generated campaign is deleted
    chunk, page_info = page(rows, page_no, page_size, call.faults)
    # No store_id here: TikTok's listing does not say which store a campaign belongs to.
    return {"list": [dict(row) for row in chunk], "page_info": page_info}


@dataclass
class _ReportAsk:
    """A validated `gmv_max/report/get/` request."""

    adv_id: str
    store_id: str
    days: tuple[date, ...]
    dimensions: list[str]
    time_dims: list[str]
    ids: frozenset[str]
    level: str
    filtering: dict[str, Any]
    types: list[str]
    metrics: list[str] = field(default_factory=list)
    attributes: list[str] = field(default_factory=list)
    blank_attributes: bool = False


def _route_report(emu: Emulator, call: Call) -> dict[str, Any]:
    p = call.params
    adv_id = _advertiser(emu, call)
    _gmv_max_qps(emu, call.faults.gmv_max_qps_cap)
    world = _world(emu)
    store_id = _one_authorized_store(p, world, adv_id, call.faults)
    start, end = date_param(p, "start_date"), date_param(p, "end_date")
    if end < start:
        raise bad_param("end_date: Must not be earlier than start_date.")
    ask = _grouping(p, adv_id, store_id, start, end)
    _check_filtering(filtering_object(p), ask)
    _check_metrics(p, ask, emu.dataset.spec.gmv_max_blank_attributes)
    rows = _report_rows(_grouped_units(world, ask), world, ask, emu.dataset.advertiser(adv_id)["currency"])
    page_no, page_size = page_request(p, REPORT_PAGE_CAP)
    chunk, page_info = page(rows, page_no, page_size, call.faults)
    return {"list": chunk, "page_info": page_info}


def _gmv_max_qps(emu: Emulator, cap: int) -> None:
    """GMV Max reports have a bucket of their own on top of the app's global one."""
    if cap and emu.over_bucket_qps(("", "gmv_max/report/get/"), cap):
        raise ApiError(
            40100,
            "Due to too many requests, GMV Max report requests of this app are temporarily restricted.",
        )


def _one_authorized_store(p: dict[str, str], world: GmvMaxWorld, adv_id: str, faults: FaultPlan) -> str:
    """`store_ids`: required, exactly one, a store the advertiser may promote."""
    if not p.get("store_ids"):
        raise bad_param("store_ids: parameter is required")
    store_ids = str_list(json_param(p, "store_ids", list, required=True), "store_ids")
    if len(store_ids) != 1:
        raise bad_param("store_ids: Exactly one store id is allowed.")
    if store_ids[0] not in world.store_ids(adv_id, faults):
        raise bad_param(f"store_ids: Store {store_ids[0]} is not authorized to advertiser {adv_id}.")
    return store_ids[0]


def _grouping(p: dict[str, str], adv_id: str, store_id: str, start: date, end: date) -> _ReportAsk:
    """The dimensions: a documented grouping of one level, daily at most, within the range it allows."""
    dimensions = str_list(json_param(p, "dimensions", list, required=True), "dimensions")
    time_dims = [d for d in dimensions if d in ("stat_time_day", "stat_time_hour")]
    if "stat_time_hour" in time_dims:
        raise bad_param("dimensions: stat_time_hour is not supported by the emulator.")
    span = (end - start).days + 1
    if (time_dims and span > 30) or span > 365:
        raise bad_param("start_date, end_date: The range is too long for these dimensions.")
    ids = frozenset(d for d in dimensions if d not in time_dims)
    level = next((name for name, spec in LEVELS.items() if ids in spec[0]), None)
    if level is None or len(dimensions) != len(set(dimensions)):
        raise bad_param(f"dimensions: {dimensions} is not a grouping GMV Max reports support.")
    if ids == frozenset({"item_id"}) and not time_dims:
        raise bad_param("dimensions: item_id alone needs stat_time_day.")
    days = tuple(start + timedelta(days=i) for i in range(span))
    return _ReportAsk(adv_id, store_id, days, dimensions, time_dims, ids, level, {}, [])


def _check_filtering(filtering: dict[str, Any], ask: _ReportAsk) -> None:
    """Known filter keys, the level's required filters, promotion types in the report spelling."""
    unknown = sorted(set(filtering) - FILTER_KEYS)
    if unknown:
        raise bad_param(f"filtering: Unknown field(s) {unknown}.")
    missing = [key for key in LEVELS[ask.level][1] if not filtering.get(key)]
    if missing:
        raise bad_param(f"filtering: {missing} required for dimensions {ask.dimensions}.")
    types = filtering.get("gmv_max_promotion_types") or [PRODUCT, LIVE]
    if not isinstance(types, list) or any(value not in (PRODUCT, LIVE) for value in types):
        raise bad_param(f"filtering.gmv_max_promotion_types: Invalid value(s) {types}; use PRODUCT or LIVE.")
    if ask.level == "campaign" and len(types) != 1:
        raise bad_param("filtering.gmv_max_promotion_types: Campaign reports need exactly one type.")
    ask.filtering, ask.types = filtering, types


def _check_metrics(p: dict[str, str], ask: _ReportAsk, blank_allowed: bool) -> None:
    """GMV Max metric names of the level only; attribute metrics need a single ID."""
    metrics = str_list(json_param(p, "metrics", list, required=True), "metrics")
    _, required_filters, level_metrics, level_attributes = LEVELS[ask.level]
    allowed = {*level_metrics, *level_attributes}
    invalid = [m for m in metrics if m not in allowed or m in BASIC_ONLY_NAMES]
    if invalid:
        raise bad_param(
            f"Please correct the information in invalid metric fields and try again. Invalid metric fields: {invalid}."
        )
    ask.metrics = metrics
    ask.attributes = [m for m in metrics if m in level_attributes]
    if (
        ask.attributes
        and ask.level != "campaign"
        and (len(ask.ids) > 1 or any(len(ask.filtering.get(k) or []) > 1 for k in required_filters))
    ):
        # Attribute metrics need a single ID; whether TikTok refuses or blanks them is unknown [?].
        if not blank_allowed:
            raise bad_param(
                f"metrics: Attribute metrics {ask.attributes} need a single filtered ID and ID dimension."
            )
        ask.blank_attributes = True


def _grouped_units(world: GmvMaxWorld, ask: _ReportAsk) -> dict[tuple, list[int]]:
    """The store's (campaign, SPU, post, day) units the filters keep, summed per row key."""
    wanted = {
        key: {str(v) for v in ask.filtering[key]}
        for key in ("campaign_ids", "item_group_ids", "item_ids")
        if key in ask.filtering
    }
    groups: dict[tuple, list[int]] = {}
    for cid, spu, item, day, counters in world.units(ask.adv_id, ask.store_id, ask.days):
        kind = world.type_of[cid]
        if kind not in ask.types or (ask.level in ("spu", "creative") and kind != PRODUCT):
            continue
        if "campaign_ids" in wanted and cid not in wanted["campaign_ids"]:
            continue
        if "item_group_ids" in wanted and spu not in wanted["item_group_ids"]:
            continue
        if "item_ids" in wanted and item not in wanted["item_ids"]:
            continue
        values = {"advertiser_id": ask.adv_id, "campaign_id": cid, "item_group_id": spu, "item_id": item}
        key = (
            *(values[d] for d in ask.dimensions if d not in ask.time_dims),
            *(f"{day} 00:00:00" for _ in ask.time_dims),
        )
        bucket = groups.setdefault(key, [0, 0, 0, 0, 0])
        for index, value in enumerate(counters):
            bucket[index] += value
    if ask.level == "creative" and ask.time_dims and len(ask.ids) == 3:
        # The 4-dimension creative grouping only returns rows with cost.
        groups = {key: bucket for key, bucket in groups.items() if bucket[0] > 0}
    return groups


def _report_rows(
    groups: dict[tuple, list[int]], world: GmvMaxWorld, ask: _ReportAsk, currency: str
) -> list[dict[str, Any]]:
    rows = []
    names = [d for d in ask.dimensions if d not in ask.time_dims] + ask.time_dims
    for key in sorted(groups):
        dims = dict(zip(names, key, strict=True))
        values = _metric_values(groups[key], world, dims)
        row_metrics = {
            m: ("" if ask.blank_attributes and m in ask.attributes else values.get(m, "0"))
            for m in ask.metrics
        }
        row_metrics["currency"] = currency  # TikTok adds it unasked
        rows.append({"dimensions": dims, "metrics": row_metrics})
    return rows


def _money(cents: int) -> str:
    return f"{cents / 100:.2f}"


def _metric_values(bucket: list[int], world: GmvMaxWorld, dims: dict[str, str]) -> dict[str, str]:
    cost, orders, revenue, impressions, clicks = bucket
    values = {
        "cost": _money(cost),
        "net_cost": _money(cost * 9 // 10),
        "orders": str(orders),
        "cost_per_order": _money(cost // orders) if orders else "0.00",
        "gross_revenue": _money(revenue),
        "roi": f"{revenue / cost:.2f}" if cost else "0.00",
        "roas_bid": "2.50",
        "product_impressions": str(impressions),
        "product_clicks": str(clicks),
        "product_click_rate": f"{100 * clicks / impressions:.2f}" if impressions else "0.00",
        "ad_click_rate": "1.10",
        "ad_conversion_rate": "0.50",
        "live_views": str(impressions),
        "creative_delivery_status": "DELIVERING" if cost else "NOT_DELIVERING",
        "product_status": "AVAILABLE",
        # The token cannot see the TikTok account behind a post: TikTok sends "-1".
        "tt_account_name": "-1",
    }
    cid = dims.get("campaign_id")
    if cid:
        camp = next(c for camps in world.campaigns.values() for c in camps if c["campaign_id"] == cid)
        values["campaign_name"] = camp["campaign_name"]
        values["campaign_id"] = cid
        values["operation_status"] = camp["operation_status"]
    return values


ROUTES = {
    STORE_LIST_PATH: _route_stores,
    "gmv_max/campaign/get/": _route_campaigns,
    "gmv_max/report/get/": _route_report,
}
