"""Classic campaigns: objective, budget and status rotate with the campaign's number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..seeding import every, make_id, seeded_hash, ts

if TYPE_CHECKING:
    from ..dataset import DatasetSpec
    from .timeline import Timeline

OBJECTIVES = ("TRAFFIC", "WEB_CONVERSIONS", "APP_PROMOTION", "REACH", "VIDEO_VIEWS", "LEAD_GENERATION")
BUDGET_MODES = ("BUDGET_MODE_DAY", "BUDGET_MODE_TOTAL", "BUDGET_MODE_INFINITE")


@dataclass(frozen=True)
class CampaignState:
    deleted: bool
    disabled: bool
    top_view: bool
    created: datetime


def build_campaign(
    spec: DatasetSpec, timeline: Timeline, n_campaign: int, adv_id: str, name: str
) -> tuple[dict[str, Any], CampaignState]:
    """The n-th campaign of the dataset (1-based), named ``Campaign <name>``."""
    cid = make_id(1, spec.seed, n_campaign)
    hc = seeded_hash(spec.seed, cid)
    # After its advertiser (see accounts.ACCOUNT_AGE_DAYS), and a week before the data range at the
    # latest, so that its ad groups and ads exist before it too.
    created = timeline.range_start - timedelta(days=7 + hc % 80, seconds=(hc >> 16) % 86400)
    deleted = every(spec.deleted_every, n_campaign)
    disabled = n_campaign % 4 == 0
    budget_mode = BUDGET_MODES[n_campaign % len(BUDGET_MODES)]
    objective = OBJECTIVES[(n_campaign - 1) % len(OBJECTIVES)]
    camp = {
        "advertiser_id": adv_id,
        "campaign_id": cid,
        "campaign_name": f"Campaign {name}",
        "campaign_type": "REGULAR_CAMPAIGN",
        "objective_type": objective,
        "budget": 0.0 if budget_mode == "BUDGET_MODE_INFINITE" else float(50 * (1 + hc % 40)),
        "budget_mode": budget_mode,
        "operation_status": "DISABLE" if disabled or deleted else "ENABLE",
        "secondary_status": (
            "CAMPAIGN_STATUS_DELETE"
            if deleted
            else "CAMPAIGN_STATUS_DISABLE"
            if disabled
            else "CAMPAIGN_STATUS_ENABLE"
        ),
        "budget_optimize_on": budget_mode != "BUDGET_MODE_INFINITE",
        "bid_type": "BID_TYPE_NO_BID",
        "deep_bid_type": None,
        "roas_bid": 0.0,
        "optimization_goal": None,
        "is_new_structure": True,
        "is_smart_performance_campaign": False,
        "is_search_campaign": False,
        "app_promotion_type": "APP_INSTALL" if objective == "APP_PROMOTION" else "UNSET",
        "rf_campaign_type": "STANDARD",
        "create_time": ts(created),
        "modify_time": ts(timeline.modify_time(cid, created)),
    }
    return camp, CampaignState(deleted, disabled, every(spec.topview_every, n_campaign), created)
