"""Upgraded Smart+ campaigns: the `smart_plus/*/get/` endpoints and their reports (objects: `generate/smart_plus`).

An Upgraded Smart+ campaign has ad groups, each ad group has "ads" that are asset groups
(`smart_plus_ad_id`), and each asset group holds creatives. The classic endpoints see the creatives
as ads (`ad/get/`, `ad_id` reports, with `smart_plus_ad_id` naming their asset group), so the same
delivery is reported per creative (`ad_id`) and per asset group (`ad_id_v2`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from . import catalog
from .call import Call
from .dataset import ReportQuery
from .entity_filters import PRIMARY_STATUSES
from .errors import bad_param
from .generate.smart_plus import CAMPAIGN_AUTOMATION_TYPE
from .paging import page, page_request
from .params import (
    advertiser_param,
    date_param,
    filtering_object,
    ids_filter,
    json_param,
    str_list,
    ts_value,
)
from .report_filtering import report_filtering
from .report_route import route_report as classic_report

if TYPE_CHECKING:
    from .server import Emulator

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


# --- routes ------------------------------------------------------------------------------------------


def _filtering(call: Call, kind: str) -> dict[str, Any]:
    filtering = filtering_object(call.params)
    unknown = sorted(set(filtering) - FILTER_KEYS[kind] - _CREATION_KEYS)
    if unknown:
        raise bad_param(f"filtering: Unknown field(s) {unknown}.")
    return filtering


def _select(emu: Emulator, kind: str, adv_id: str, filtering: dict[str, Any]) -> list[dict[str, Any]]:
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
            wanted = ids_filter(filtering[key], key)
            rows = [row for row in rows if row[field] in wanted]
    start = filtering.get("creation_filter_start_time")
    if start is not None:
        start = ts_value(start, "filtering.creation_filter_start_time")
        rows = [row for row in rows if row["create_time"] >= start]
    after = filtering.get("modified_after")
    if after is not None:
        after = ts_value(after, "filtering.modified_after")
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
        adv_id = advertiser_param(call.params)
        emu.check_advertiser(call, adv_id)
        page_no, page_size = page_request(call.params, PAGE_CAPS[kind])
        rows = _select(emu, kind, adv_id, _filtering(call, kind))
        chunk, page_info = page(rows, page_no, page_size, call.faults)
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
    try:
        dimensions = json.loads(call.params.get("dimensions") or "[]")
    except ValueError:
        dimensions = []
    if not isinstance(dimensions, list) or AD_ID_V2 not in dimensions:
        return classic_report(emu, call)
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
    classic_report(
        emu, Call(call.path, {**classic, "page": "1", "page_size": "1"}, call.visible, call.faults)
    )
    q = _report_query(emu, classic, classic_dimensions)
    report_filtering(call.params.get("filtering"), "AUCTION_AD", q)
    grouped: dict[tuple, list[Any]] = {}
    for (ad_id, time_key, values), counters, sg in emu.dataset.aggregate(q):
        key = (emu.dataset.asset_group_of.get(ad_id, ad_id), time_key, values)
        entry = grouped.setdefault(key, [[0] * len(counters), False])
        entry[0] = [a + b for a, b in zip(entry[0], counters, strict=True)]
        entry[1] = entry[1] or sg
    aggregated = [(key, grouped[key][0], grouped[key][1]) for key in sorted(grouped)]
    page_no = int(call.params.get("page") or 1)
    page_size = int(call.params.get("page_size") or 10)
    chunk, page_info = page(aggregated, page_no, page_size, call.faults)
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


def _report_query(emu: Emulator, params: dict[str, str], dimensions: list[str]) -> ReportQuery:
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
    p = call.params
    adv_id = advertiser_param(p)
    emu.check_advertiser(call, adv_id)
    dimensions = str_list(json_param(p, "dimensions", list, required=True), "dimensions")
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
    metrics = str_list(json_param(p, "metrics", list, required=True), "metrics")
    unknown = [m for m in metrics if m not in MATERIAL_METRICS]
    if unknown:
        raise bad_param(f"Invalid metric fields: {unknown}.")
    start, end = date_param(p, "start_date"), date_param(p, "end_date")
    if end < start or (end - start).days + 1 > 365:
        raise bad_param("start_date, end_date: At most 365 days.")
    page_no, page_size = page_request(p, MATERIAL_PAGE_CAP)
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
    chunk, page_info = page(aggregated, page_no, page_size, call.faults)
    rows = ds.build_rows(
        q, [((key[0], key[1], key[2]), counters, sg) for key, counters, sg in chunk], metrics
    )
    for row, ((asset, material), _, _) in zip(rows, (entry[0] for entry in chunk), strict=True):
        row["dimensions"].pop("ad_id")
        row["dimensions"] = {"smart_plus_ad_id": asset, "main_material_id": material, **row["dimensions"]}
    return {"list": rows, "page_info": page_info}


ROUTES["smart_plus/material_report/breakdown/"] = route_material_breakdown
