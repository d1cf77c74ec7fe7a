"""Classic ad groups: placement, secondary goal and status rotate with the ad group's number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..seeding import every, make_id, seeded_hash, ts

if TYPE_CHECKING:
    from ..dataset import DatasetSpec
    from .campaigns import CampaignState
    from .timeline import Timeline


@dataclass(frozen=True)
class AdGroupState:
    deleted: bool  # its own deletion or its campaign's
    own_disabled: bool
    disabled: bool  # its own or its campaign's
    has_secondary_goal: bool
    created: datetime


def build_adgroup(
    spec: DatasetSpec,
    timeline: Timeline,
    n_adgroup: int,
    camp: dict[str, Any],
    parent: CampaignState,
    location_id: str,
    name: str,
) -> tuple[dict[str, Any], AdGroupState]:
    """The n-th ad group of the dataset (1-based) in campaign ``camp``, named ``Ad group <name>``."""
    gid = make_id(2, spec.seed, n_adgroup)
    hg = seeded_hash(spec.seed, gid)
    created = parent.created + timedelta(seconds=3600 + hg % (3 * 86400))
    deleted = parent.deleted or every(spec.deleted_every, n_adgroup)
    own_disabled = n_adgroup % 3 == 0
    has_sg = n_adgroup % 2 == 0
    automatic = n_adgroup % 3 != 1
    adgroup = {
        "advertiser_id": camp["advertiser_id"],
        "campaign_id": camp["campaign_id"],
        "adgroup_id": gid,
        "adgroup_name": f"Ad group {name}",
        "campaign_name": camp["campaign_name"],
        "placement_type": "PLACEMENT_TYPE_AUTOMATIC" if automatic else "PLACEMENT_TYPE_NORMAL",
        "placements": [] if automatic else ["PLACEMENT_TIKTOK"],
        "promotion_type": "WEBSITE",
        "optimization_goal": "CLICK",
        "optimization_event": None,
        "secondary_optimization_event": "ON_WEB_REGISTER" if has_sg else None,
        "billing_event": "CPC",
        "bid_type": "BID_TYPE_NO_BID",
        "bid_price": 0.0,
        "conversion_bid_price": 0.0,
        "deep_cpa_bid": 0.0,
        "budget": float(20 * (1 + hg % 50)),
        "budget_mode": "BUDGET_MODE_DAY",
        "schedule_type": "SCHEDULE_FROM_NOW",
        "schedule_start_time": ts(created),
        "schedule_end_time": None,
        "dayparting": "1" * 336,
        "pacing": "PACING_MODE_SMOOTH",
        "location_ids": [location_id],
        "age_groups": ["AGE_18_24", "AGE_25_34"],
        "gender": "GENDER_UNLIMITED",
        "languages": [],
        "audience_ids": [],
        "excluded_audience_ids": [],
        "interest_category_ids": [],
        "operation_status": "DISABLE" if own_disabled or deleted else "ENABLE",
        "secondary_status": (
            "ADGROUP_STATUS_DELETE"
            if deleted
            else "ADGROUP_STATUS_CAMPAIGN_DISABLE"
            if parent.disabled
            else "ADGROUP_STATUS_DISABLE"
            if own_disabled
            else "ADGROUP_STATUS_DELIVERY_OK"
        ),
        "create_time": ts(created),
        "modify_time": ts(timeline.modify_time(gid, created)),
    }
    state = AdGroupState(deleted, own_disabled, parent.disabled or own_disabled, has_sg, created)
    return adgroup, state
