"""Upgraded Smart+ objects: a campaign, its ad group, its asset groups and their creatives.

The creatives are registered as classic ads (they carry `smart_plus_ad_id`, their asset group); the
asset groups are what `smart_plus/ad/get/` lists.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from ..seeding import make_id, seeded_hash, ts

if TYPE_CHECKING:
    from ..dataset import Dataset

# Ids of generated Smart+ objects sit far above the classic ones of the same kind.
ID_OFFSET = 500_000_000
ASSET_GROUPS_PER_ADGROUP = 2
CREATIVES_PER_ASSET_GROUP = 2
CAMPAIGN_AUTOMATION_TYPE = "UPGRADED_SMART_PLUS"
CREATIVE_AUTOMATION_TYPE = "UPGRADED_SMART_PLUS_CREATIVE"


class _SmartPlusIds:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.counts = {"campaign": 0, "adgroup": 0, "ad": 0, "asset": 0}

    def next_id(self, kind: str, digit: int) -> str:
        self.counts[kind] += 1
        return make_id(digit, self.seed, ID_OFFSET + self.counts[kind])


def add_smart_plus(ds: Dataset) -> None:
    """Give every advertiser `spec.upgraded_smart_plus_campaigns` Upgraded Smart+ campaigns."""
    ds.smart_plus_ads = []
    ds.smart_plus_ids = {"campaign": set(), "adgroup": set()}
    ds.asset_group_of = {}
    ids = _SmartPlusIds(ds.spec.seed)
    for a, adv in enumerate(ds.advertisers):
        for c in range(ds.spec.upgraded_smart_plus_campaigns):
            _add_campaign(ds, ids, adv, (a, c))


def _add_campaign(ds: Dataset, ids: _SmartPlusIds, adv: dict[str, Any], place: tuple[int, int]) -> None:
    a, c = place
    adv_id = adv["advertiser_id"]
    cid = ids.next_id("campaign", 1)
    created = datetime.combine(ds.days[0], time()) - timedelta(days=20 + seeded_hash(ids.seed, cid) % 50)
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
    location_id = ds.account_profile(adv_id)[6][0]
    group = _adgroup(
        camp, ids.next_id("adgroup", 2), f"Smart+ ad group {a + 1}.{c + 1}", location_id, created
    )
    ds._add("adgroup", group, False, False, False)
    ds.smart_plus_ids["adgroup"].add(group["adgroup_id"])
    for g in range(ASSET_GROUPS_PER_ADGROUP):
        _add_asset_group(ds, ids, group, created + timedelta(hours=2 + g), (a, c, g))


def _adgroup(
    camp: dict[str, Any], gid: str, name: str, location_id: str, created: datetime
) -> dict[str, Any]:
    return {
        "advertiser_id": camp["advertiser_id"],
        "campaign_id": camp["campaign_id"],
        "adgroup_id": gid,
        "adgroup_name": name,
        "campaign_name": camp["campaign_name"],
        "campaign_automation_type": CAMPAIGN_AUTOMATION_TYPE,
        "promotion_type": "WEBSITE",
        "optimization_goal": "CONVERT",
        "billing_event": "OCPM",
        "budget": 100.0,
        "budget_mode": "BUDGET_MODE_DAY",
        "bid_price": 0.0,
        "targeting_spec": {"location_ids": [location_id], "age_groups": ["AGE_18_24"]},
        "placement_type": "PLACEMENT_TYPE_AUTOMATIC",
        "operation_status": "ENABLE",
        "secondary_status": "ADGROUP_STATUS_DELIVERY_OK",
        "create_time": ts(created + timedelta(hours=1)),
        "modify_time": ts(created + timedelta(days=4)),
    }


def _add_asset_group(
    ds: Dataset, ids: _SmartPlusIds, group: dict[str, Any], created: datetime, place: tuple[int, int, int]
) -> None:
    """One asset group of ``group`` with its creatives; every `smart_plus_missing_modify_every`-th lacks
    `modify_time`."""
    a, c, g = place
    asset_id = ids.next_id("asset", 4)
    creatives = []
    for m in range(CREATIVES_PER_ASSET_GROUP):
        creative = _creative(ids.next_id("ad", 3), ids.seed, group, asset_id, created, (a, c, g, m))
        ds._add("ad", creative, False, False, False)
        ds.asset_group_of[creative["ad_id"]] = asset_id
        creatives.append(_creative_material(creative, ids.seed, a, m))
    asset = {
        "advertiser_id": group["advertiser_id"],
        "campaign_id": group["campaign_id"],
        "adgroup_id": group["adgroup_id"],
        "smart_plus_ad_id": asset_id,
        "ad_name": f"Smart+ ad {a + 1}.{c + 1}.{g + 1}",
        "operation_status": "ENABLE",
        "secondary_status": "AD_STATUS_DELIVERY_OK",
        "create_time": ts(created),
        "modify_time": ts(created + timedelta(days=2 + g)),
        "creative_list": creatives,
        "ad_text_list": [{"ad_text": "Smart+ text 1"}, {"ad_text": "Smart+ text 2"}],
        "call_to_action_list": [{"call_to_action": "SHOP_NOW"}],
        "landing_page_url_list": [{"landing_page_url": f"https://example.com/sp/{asset_id}"}],
        "ad_configuration": {"auto_disclaimer_types": []},
    }
    step = ds.spec.smart_plus_missing_modify_every
    if step and ids.counts["asset"] % step == 0:
        # Smart+ objects can come back without the key at all.
        del asset["modify_time"]
    ds.smart_plus_ads.append(asset)


def _creative(
    ad_id: str, seed: int, group: dict[str, Any], asset_id: str, created: datetime, place: tuple[int, ...]
) -> dict[str, Any]:
    """A creative as the classic `ad/get/` lists it."""
    a, c, g, m = place
    return {
        "advertiser_id": group["advertiser_id"],
        "campaign_id": group["campaign_id"],
        "adgroup_id": group["adgroup_id"],
        "ad_id": ad_id,
        "smart_plus_ad_id": asset_id,
        "campaign_automation_type": CREATIVE_AUTOMATION_TYPE,
        "ad_name": f"Smart+ creative {a + 1}.{c + 1}.{g + 1}.{m + 1}",
        "adgroup_name": group["adgroup_name"],
        "campaign_name": group["campaign_name"],
        "ad_format": "SINGLE_VIDEO",
        "ad_text": f"Smart+ text {m + 1}",
        "call_to_action": "SHOP_NOW",
        "video_id": f"v10033g50000{seeded_hash(seed, ad_id) % 10**12:012d}",
        "operation_status": "ENABLE",
        "secondary_status": "AD_STATUS_DELIVERY_OK",
        "create_time": ts(created + timedelta(minutes=m)),
        "modify_time": ts(created + timedelta(days=1, minutes=m)),
    }


def _creative_material(creative: dict[str, Any], seed: int, a: int, m: int) -> dict[str, Any]:
    """The creative as its asset group's `creative_list` shows it."""
    return {
        # An ad-specific material id: not the creative's ad_id, not the video id.
        "ad_material_id": make_id(5, seed, ID_OFFSET + int(creative["ad_id"][-9:])),
        "material_operation_status": "ENABLE",
        "creative_info": {
            "ad_format": "SINGLE_VIDEO",
            "material_name": f"video {m + 1}.mp4",
            "video_info": {"video_id": creative["video_id"]},
            "image_info": [],
            "identity_type": "CUSTOMIZED_USER",
            "identity_id": make_id(8, seed, a + 1),
        },
    }
