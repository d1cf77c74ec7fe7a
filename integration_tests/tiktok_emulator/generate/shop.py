"""TikTok Shop objects for GMV Max: stores, GMV Max campaigns and the products (SPUs and posts) they promote."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ..seeding import make_id, seeded_hash


def build_store(seed: int, n_store: int, adv: dict[str, Any], active: bool) -> dict[str, Any]:
    """The n-th store of the dataset (1-based), authorized exclusively to ``adv``."""
    return {
        "store_id": f"7{seed % 100000:05d}{n_store:013d}",
        "store_name": f"Emulated Shop {n_store}",
        "store_code": f"SHOP{n_store:04d}",
        "store_status": "ACTIVE" if active else "INACTIVE",
        "is_gmv_max_available": active,
        "store_authorized_bc_id": adv["owner_bc_id"],
        "is_owner_bc": True,
        "store_role": "AD_PROMOTION",
        "targeting_region_codes": [adv["country"]],
        "exclusive_authorized_advertiser_info": {
            "advertiser_id": adv["advertiser_id"],
            "advertiser_name": adv["name"],
            "advertiser_status": "STATUS_ENABLE",
        },
    }


def build_gmv_max_campaign(
    seed: int, n_campaign: int, adv_id: str, kind: str, created: str
) -> dict[str, Any]:
    """The n-th GMV Max campaign of the dataset (1-based), of ``kind`` PRODUCT or LIVE."""
    cid = make_id(1, seed, 800_000_000 + n_campaign)
    return {
        "advertiser_id": adv_id,
        "campaign_id": cid,
        "campaign_name": f"GMV Max {kind.title()} {n_campaign}",
        "operation_status": "ENABLE",
        "objective_type": "PRODUCT_SALES",
        "secondary_status": "CAMPAIGN_STATUS_ENABLE",
        "roi_protection_compensation_status": "NOT_ELIGIBLE",
        "create_time": created,
        "modify_time": _ts_plus(created, seeded_hash(seed, cid) % 20),
    }


def build_products(seed: int, numbers: dict[str, int]) -> list[tuple[str, list[str]]]:
    """Two SPUs (`item_group_id`) of a Product campaign, each shown through its product card ("-1") and two
    posts (`item_id`); ``numbers`` counts SPUs and posts across the dataset."""
    spus = []
    for _ in range(2):
        numbers["spu"] += 1
        items = ["-1"]
        for _ in range(2):
            numbers["item"] += 1
            items.append(f"73{seed % 100000:05d}{numbers['item']:012d}")
        spus.append((f"17{seed % 100000:05d}{numbers['spu']:012d}", items))
    return spus


def _ts_plus(ts: str, days: int) -> str:
    return f"{date.fromisoformat(ts[:10]) + timedelta(days=days)} {ts[11:]}"
