"""Upgraded Smart+ campaigns: generated objects and the `smart_plus/*/get/` endpoints.

An Upgraded Smart+ campaign has ad groups, each ad group has "ads" that are asset groups
(`smart_plus_ad_id`), and each asset group holds creatives. The classic endpoints see the creatives
as ads (`ad/get/`, `ad_id` reports, with `smart_plus_ad_id` naming their asset group), so the same
delivery is reported per creative (`ad_id`) and per asset group (`ad_id_v2`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from .seeding import make_id, seeded_hash, ts

if TYPE_CHECKING:
    from .dataset import Dataset
    from .server import Call, Emulator

# Ids of generated Smart+ objects sit far above the classic ones of the same kind.
ID_OFFSET = 500_000_000
ASSET_GROUPS_PER_ADGROUP = 2
CREATIVES_PER_ASSET_GROUP = 2
CAMPAIGN_AUTOMATION_TYPE = "UPGRADED_SMART_PLUS"
CREATIVE_AUTOMATION_TYPE = "UPGRADED_SMART_PLUS_CREATIVE"
# TikTok documents 1-1000 for the campaign and ad group listings and 1-100 for asset groups.
PAGE_CAPS = {"campaign": 1000, "adgroup": 1000, "ad": 100}
FILTER_KEYS = {
    "campaign": {"campaign_ids", "campaign_name", "objective_type", "primary_status", "secondary_status"},
    "adgroup": {"campaign_ids", "adgroup_ids", "adgroup_name", "objective_type", "primary_status"},
    "ad": {
        "campaign_ids",
        "adgroup_ids",
        "smart_plus_ad_ids",
        "objective_type",
        "primary_status",
        "modified_after",
    },
}
_CREATION_KEYS = {"creation_filter_start_time", "creation_filter_end_time"}


def add_smart_plus(ds: Dataset) -> None:
    """Give every advertiser `spec.upgraded_smart_plus_campaigns` Upgraded Smart+ campaigns."""
    spec, seed = ds.spec, ds.spec.seed
    ds.smart_plus_ads = []
    ds.smart_plus_ids = {"campaign": set(), "adgroup": set()}
    ds.asset_group_of = {}
    counters = {"campaign": 0, "adgroup": 0, "ad": 0, "asset": 0}

    def next_id(kind: str, digit: int) -> str:
        counters[kind] += 1
        return make_id(digit, seed, ID_OFFSET + counters[kind])

    for a, adv in enumerate(ds.advertisers):
        adv_id = adv["advertiser_id"]
        first_day = ds.days[0]
        for c in range(spec.upgraded_smart_plus_campaigns):
            cid = next_id("campaign", 1)
            created = _start(first_day) - timedelta(days=20 + seeded_hash(seed, cid) % 50)
            camp = {
                "advertiser_id": adv_id,
                "campaign_id": cid,
                "campaign_name": f"Smart+ campaign {a + 1}.{c + 1}",
                "campaign_type": "REGULAR_CAMPAIGN",
                "objective_type": "WEB_CONVERSIONS",
                "campaign_automation_type": CAMPAIGN_AUTOMATION_TYPE,
                "sales_destination": "WEBSITE",
                "smart_plus_adgroup_mode": "SINGLE",
                "budget": 200.0,
                "budget_mode": "BUDGET_MODE_DAY",
                "operation_status": "ENABLE",
                "secondary_status": "CAMPAIGN_STATUS_ENABLE",
                "create_time": ts(created),
                "modify_time": ts(created + timedelta(days=3)),
            }
            ds._add("campaign", camp, False, False, False)
            ds.smart_plus_ids["campaign"].add(cid)
            gid = next_id("adgroup", 2)
            group = {
                "advertiser_id": adv_id,
                "campaign_id": cid,
                "adgroup_id": gid,
                "adgroup_name": f"Smart+ ad group {a + 1}.{c + 1}",
                "campaign_name": camp["campaign_name"],
                "campaign_automation_type": CAMPAIGN_AUTOMATION_TYPE,
                "promotion_type": "WEBSITE",
                "optimization_goal": "CONVERT",
                "billing_event": "OCPM",
                "budget": 100.0,
                "budget_mode": "BUDGET_MODE_DAY",
                "bid_price": 0.0,
                "targeting_spec": {
                    "location_ids": [ds.account_profile(adv_id)[6][0]],
                    "age_groups": ["AGE_18_24"],
                },
                "placement_type": "PLACEMENT_TYPE_AUTOMATIC",
                "operation_status": "ENABLE",
                "secondary_status": "ADGROUP_STATUS_DELIVERY_OK",
                "create_time": ts(created + timedelta(hours=1)),
                "modify_time": ts(created + timedelta(days=4)),
            }
            ds._add("adgroup", group, False, False, False)
            ds.smart_plus_ids["adgroup"].add(gid)
            for g in range(ASSET_GROUPS_PER_ADGROUP):
                asset_id = next_id("asset", 4)
                asset_created = created + timedelta(hours=2 + g)
                creatives = []
                for m in range(CREATIVES_PER_ASSET_GROUP):
                    ad_id = next_id("ad", 3)
                    video_id = f"v10033g50000{seeded_hash(seed, ad_id) % 10**12:012d}"
                    creative = {
                        "advertiser_id": adv_id,
                        "campaign_id": cid,
                        "adgroup_id": gid,
                        "ad_id": ad_id,
                        "smart_plus_ad_id": asset_id,
                        "campaign_automation_type": CREATIVE_AUTOMATION_TYPE,
                        "ad_name": f"Smart+ creative {a + 1}.{c + 1}.{g + 1}.{m + 1}",
                        "adgroup_name": group["adgroup_name"],
                        "campaign_name": camp["campaign_name"],
                        "ad_format": "SINGLE_VIDEO",
                        "ad_text": f"Smart+ text {m + 1}",
                        "call_to_action": "SHOP_NOW",
                        "video_id": video_id,
                        "operation_status": "ENABLE",
                        "secondary_status": "AD_STATUS_DELIVERY_OK",
                        "create_time": ts(asset_created + timedelta(minutes=m)),
                        "modify_time": ts(asset_created + timedelta(days=1, minutes=m)),
                    }
                    ds._add("ad", creative, False, False, False)
                    ds.asset_group_of[ad_id] = asset_id
                    creatives.append(
                        {
                            # An ad-specific material id: not the creative's ad_id, not the video id.
                            "ad_material_id": make_id(5, seed, ID_OFFSET + int(ad_id[-9:])),
                            "material_operation_status": "ENABLE",
                            "creative_info": {
                                "ad_format": "SINGLE_VIDEO",
                                "material_name": f"video {m + 1}.mp4",
                                "video_info": {"video_id": video_id},
                                "image_info": [],
                                "identity_type": "CUSTOMIZED_USER",
                                "identity_id": make_id(8, seed, a + 1),
                            },
                        }
                    )
                asset = {
                    "advertiser_id": adv_id,
                    "campaign_id": cid,
                    "adgroup_id": gid,
                    "smart_plus_ad_id": asset_id,
                    "ad_name": f"Smart+ ad {a + 1}.{c + 1}.{g + 1}",
                    "operation_status": "ENABLE",
                    "secondary_status": "AD_STATUS_DELIVERY_OK",
                    "create_time": ts(asset_created),
                    "modify_time": ts(asset_created + timedelta(days=2 + g)),
                    "creative_list": creatives,
                    "ad_text_list": [{"ad_text": "Smart+ text 1"}, {"ad_text": "Smart+ text 2"}],
                    "call_to_action_list": [{"call_to_action": "SHOP_NOW"}],
                    "landing_page_url_list": [{"landing_page_url": f"https://example.com/sp/{asset_id}"}],
                    "ad_configuration": {"auto_disclaimer_types": []},
                }
                if (
                    spec.smart_plus_missing_modify_every
                    and counters["asset"] % spec.smart_plus_missing_modify_every == 0
                ):
                    # Smart+ objects can come back without the key at all.
                    del asset["modify_time"]
                ds.smart_plus_ads.append(asset)


def _start(day: Any) -> Any:
    from datetime import datetime, time

    return datetime.combine(day, time())


# --- routes ------------------------------------------------------------------------------------------


def _filtering(call: Call, kind: str) -> dict[str, Any]:
    from .server import bad_param

    raw = call.params.get("filtering")
    if not raw:
        return {}
    try:
        filtering = json.loads(raw)
    except ValueError:
        raise bad_param("filtering: Not a valid JSON value.") from None
    if not isinstance(filtering, dict):
        raise bad_param("filtering: Must be a JSON object.")
    unknown = sorted(set(filtering) - FILTER_KEYS[kind] - _CREATION_KEYS)
    if unknown:
        raise bad_param(f"filtering: Unknown field(s) {unknown}.")
    return filtering


def _select(emu: Emulator, kind: str, adv_id: str, filtering: dict[str, Any]) -> list[dict[str, Any]]:
    from .server import PRIMARY_STATUSES, _ids_filter, _ts_value, bad_param

    ds = emu.dataset
    if kind == "ad":
        rows = [row for row in ds.smart_plus_ads if row["advertiser_id"] == adv_id]
        id_field, ids_key = "smart_plus_ad_id", "smart_plus_ad_ids"
    else:
        source = ds.campaigns if kind == "campaign" else ds.adgroups
        rows = [
            row
            for row in source
            if row["advertiser_id"] == adv_id and row[f"{kind}_id"] in ds.smart_plus_ids[kind]
        ]
        id_field, ids_key = f"{kind}_id", f"{kind}_ids"
    status = filtering.get("primary_status", "STATUS_NOT_DELETE")
    if status not in PRIMARY_STATUSES:
        raise bad_param(f"filtering.primary_status: Invalid value {status!r}.")
    for key, field in ((ids_key, id_field), ("campaign_ids", "campaign_id"), ("adgroup_ids", "adgroup_id")):
        if key in filtering:
            wanted = _ids_filter(filtering[key], key)
            rows = [row for row in rows if row[field] in wanted]
    start = filtering.get("creation_filter_start_time")
    if start is not None:
        start = _ts_value(start, "filtering.creation_filter_start_time")
        rows = [row for row in rows if row["create_time"] >= start]
    after = filtering.get("modified_after")
    if after is not None:
        after = _ts_value(after, "filtering.modified_after")
        # Whether TikTok keeps objects without modify_time under modified_after is unknown [?]; by
        # default they are left out (the harsher reading), `modified_after_keeps_missing` keeps them.
        keep_missing = ds.spec.modified_after_keeps_missing
        rows = [
            row
            for row in rows
            if (row.get("modify_time") or "") > after or ("modify_time" not in row and keep_missing)
        ]
    rows.sort(key=lambda row: (row["create_time"], row[id_field]), reverse=True)
    return rows


def _route(kind: str) -> Callable[[Emulator, Call], dict[str, Any]]:
    def route(emu: Emulator, call: Call) -> dict[str, Any]:
        from .server import _int_param, _page, bad_param

        adv_id = call.params.get("advertiser_id")
        if not adv_id:
            raise bad_param("advertiser_id: Missing data for required field.")
        emu.check_advertiser(call, adv_id)
        page = _int_param(call.params, "page", 1, 1, None)
        page_size = _int_param(call.params, "page_size", 10, 1, PAGE_CAPS[kind])
        rows = _select(emu, kind, adv_id, _filtering(call, kind))
        chunk, page_info = _page(rows, page, page_size, call.faults)
        return {"list": [dict(row) for row in chunk], "page_info": page_info}

    return route


ROUTES = {
    "smart_plus/campaign/get/": _route("campaign"),
    "smart_plus/adgroup/get/": _route("adgroup"),
    "smart_plus/ad/get/": _route("ad"),
}


# --- ad-grain reports (`ad_id_v2`) ---------------------------------------------------------------------

AD_ID_V2 = "ad_id_v2"
AUTOMATION_TYPE = "campaign_automation_type"


def route_report(emu: Emulator, call: Call) -> dict[str, Any]:
    """`report/integrated/get/`, with `ad_id_v2` rows: asset groups for Upgraded Smart+, the ad itself
    otherwise. The same counters as the creative (`ad_id`) rows, grouped by asset group."""
    from . import catalog
    from .server import Call as ServerCall
    from .server import _page, _report_filtering, _route_report, bad_param

    try:
        dimensions = json.loads(call.params.get("dimensions") or "[]")
    except ValueError:
        dimensions = []
    if not isinstance(dimensions, list) or AD_ID_V2 not in dimensions:
        return _route_report(emu, call)
    if "ad_id" in dimensions:
        raise bad_param("dimensions: ad_id_v2 cannot be combined with ad_id.")
    if call.params.get("data_level") != "AUCTION_AD":
        raise bad_param("dimensions: ad_id_v2 needs data_level AUCTION_AD.")
    metrics = json.loads(call.params.get("metrics") or '["spend", "impressions"]')
    attributes = [m for m in metrics if m in catalog.ATTRIBUTE_MIN_LEVEL]
    if attributes:
        # Which classic attributes TikTok serves with ad_id_v2 is not documented [?]: refused here.
        raise bad_param(f"Invalid metric fields: {attributes}.")
    counted = [m for m in metrics if m != AUTOMATION_TYPE] or ["spend"]
    classic_dimensions = ["ad_id" if d == AD_ID_V2 else d for d in dimensions]
    classic = {**call.params, "dimensions": json.dumps(classic_dimensions), "metrics": json.dumps(counted)}
    # Validates every other parameter exactly as for a creative-grain request.
    _route_report(
        emu, ServerCall(call.path, {**classic, "page": "1", "page_size": "1"}, call.visible, call.faults)
    )
    q = _report_query(emu, classic, classic_dimensions)
    _report_filtering(call.params.get("filtering"), "AUCTION_AD", q)
    grouped: dict[tuple, list[Any]] = {}
    for (ad_id, time_key, values), counters, sg in emu.dataset.aggregate(q):
        key = (emu.dataset.asset_group_of.get(ad_id, ad_id), time_key, values)
        entry = grouped.setdefault(key, [[0] * len(counters), False])
        entry[0] = [a + b for a, b in zip(entry[0], counters, strict=True)]
        entry[1] = entry[1] or sg
    aggregated = [(key, grouped[key][0], grouped[key][1]) for key in sorted(grouped)]
    page = int(call.params.get("page") or 1)
    page_size = int(call.params.get("page_size") or 10)
    chunk, page_info = _page(aggregated, page, page_size, call.faults)
    rows = emu.dataset.build_rows(q, chunk, counted)
    asset_groups = set(emu.dataset.asset_group_of.values())
    for row in rows:
        entity_id = row["dimensions"].pop("ad_id")
        row["dimensions"] = {AD_ID_V2: entity_id, **row["dimensions"]}
        row["metrics"] = {m: v for m, v in row["metrics"].items() if m in metrics}
        if AUTOMATION_TYPE in metrics:
            row["metrics"][AUTOMATION_TYPE] = (
                CAMPAIGN_AUTOMATION_TYPE if entity_id in asset_groups else "MANUAL"
            )
    return {"list": rows, "page_info": page_info}


def _report_query(emu: Emulator, params: dict[str, str], dimensions: list[str]) -> Any:
    from datetime import date

    from .dataset import ReportQuery

    if params.get("query_lifetime", "").lower() == "true":
        days = emu.dataset.days
    else:
        start, end = date.fromisoformat(params["start_date"]), date.fromisoformat(params["end_date"])
        days = tuple(start + timedelta(days=i) for i in range((end - start).days + 1))
    return ReportQuery(
        report_type=params.get("report_type", "BASIC"),
        data_level="AUCTION_AD",
        dimensions=tuple(dimensions),
        days=days,
        advertiser_id=params.get("advertiser_id"),
    )


ROUTES["report/integrated/get/"] = route_report


# --- creative (material) reports -----------------------------------------------------------------------

MATERIAL_PAGE_CAP = 100
OWNER_DIMENSIONS = ("advertiser_id", "campaign_id", "adgroup_id", "smart_plus_ad_id")
MATERIAL_DIMENSIONS = (
    "main_material_id",
    "ad_text_entity_id",
    "call_to_action_entity_id",
    "interactive_add_on_entity_id",
)
MATERIAL_METRICS = frozenset({"spend", "impressions", "clicks", "conversion"})


def route_material_breakdown(emu: Emulator, call: Call) -> dict[str, Any]:
    """`smart_plus/material_report/breakdown/`: the Upgraded Smart+ creatives' delivery per (owner,
    main material = the creative's video, day). Only owner `smart_plus_ad_id` and `main_material_id` are
    modelled; the other documented dimensions are refused as unmodelled."""
    from .dataset import ReportQuery
    from .server import _date_param, _int_param, _json_param, _page, _str_list, bad_param

    p = call.params
    adv_id = p.get("advertiser_id")
    if not adv_id:
        raise bad_param("advertiser_id: Missing data for required field.")
    emu.check_advertiser(call, adv_id)
    dimensions = _str_list(_json_param(p, "dimensions", list, required=True), "dimensions")
    time_dims = [d for d in dimensions if d.startswith("stat_time_")]
    ids = [d for d in dimensions if d not in time_dims]
    owners = [d for d in ids if d in OWNER_DIMENSIONS]
    materials = [d for d in ids if d in MATERIAL_DIMENSIONS]
    if len(owners) != 1 or len(materials) != 1 or len(ids) != 2 or len(time_dims) > 1:
        raise bad_param(
            f"dimensions: {dimensions} must be one owner id, one material id and at most one time."
        )
    if (
        owners != ["smart_plus_ad_id"]
        or materials != ["main_material_id"]
        or time_dims not in ([], ["stat_time_day"])
    ):
        raise bad_param(f"dimensions: {dimensions} is not supported by the emulator.")
    metrics = _str_list(_json_param(p, "metrics", list, required=True), "metrics")
    unknown = [m for m in metrics if m not in MATERIAL_METRICS]
    if unknown:
        raise bad_param(f"Invalid metric fields: {unknown}.")
    start, end = _date_param(p, "start_date"), _date_param(p, "end_date")
    if end < start or (end - start).days + 1 > 365:
        raise bad_param("start_date, end_date: At most 365 days.")
    page = _int_param(p, "page", 1, 1, None)
    page_size = _int_param(p, "page_size", 10, 1, MATERIAL_PAGE_CAP)
    days = tuple(start + timedelta(days=i) for i in range((end - start).days + 1))
    q = ReportQuery("BASIC", "AUCTION_AD", ("ad_id", *time_dims), days, advertiser_id=adv_id)
    ds = emu.dataset
    grouped: dict[tuple, list[Any]] = {}
    for (ad_id, time_key, values), counters, _sg in ds.aggregate(q):
        asset = ds.asset_group_of.get(ad_id)
        if asset is None:
            continue  # not an Upgraded Smart+ creative
        key = ((asset, ds.entity("ad", ad_id)["video_id"]), time_key, values)
        entry = grouped.setdefault(key, [[0] * len(counters), False])
        entry[0] = [a + b for a, b in zip(entry[0], counters, strict=True)]
    # TikTok sorts by spend by default; ordered by key here, which keeps paging stable.
    aggregated = [(key, grouped[key][0], False) for key in sorted(grouped)]
    chunk, page_info = _page(aggregated, page, page_size, call.faults)
    rows = ds.build_rows(
        q, [((key[0], key[1], key[2]), counters, sg) for key, counters, sg in chunk], metrics
    )
    for row, ((asset, material), _, _) in zip(rows, (entry[0] for entry in chunk), strict=True):
        row["dimensions"].pop("ad_id")
        row["dimensions"] = {"smart_plus_ad_id": asset, "main_material_id": material, **row["dimensions"]}
    return {"list": rows, "page_info": page_info}


ROUTES["smart_plus/material_report/breakdown/"] = route_material_breakdown
