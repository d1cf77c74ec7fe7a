"""Classic ads: one single-video creative each; every `smart_plus_every`-th lacks `modify_time`."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ..seeding import every, make_id, seeded_hash, ts

if TYPE_CHECKING:
    from ..dataset import DatasetSpec
    from .ad_groups import AdGroupState
    from .campaigns import CampaignState
    from .timeline import Timeline


def build_ad(
    spec: DatasetSpec,
    timeline: Timeline,
    n_ad: int,
    adgroup: dict[str, Any],
    parents: tuple[CampaignState, AdGroupState],
    adv: dict[str, Any],
    identity_index: int,
    name: str,
) -> tuple[dict[str, Any], bool, bool]:
    """The n-th ad of the dataset (1-based) in ``adgroup``: the ad, whether it counts as deleted and
    whether as disabled (its own state or an ancestor's)."""
    campaign, group = parents
    seed = spec.seed
    ad_id = make_id(3, seed, n_ad)
    hd = seeded_hash(seed, ad_id)
    created = group.created + timedelta(seconds=600 + hd % (3 * 86400))
    deleted = group.deleted or every(spec.deleted_every, n_ad)
    own_disabled = n_ad % 7 == 0
    ad = {
        "advertiser_id": adgroup["advertiser_id"],
        "campaign_id": adgroup["campaign_id"],
        "adgroup_id": adgroup["adgroup_id"],
        "ad_id": ad_id,
        "ad_name": f"Ad {name}",
        "adgroup_name": adgroup["adgroup_name"],
        "campaign_name": adgroup["campaign_name"],
        "ad_format": "SINGLE_VIDEO",
        "ad_text": f"Try product {n_ad} today",
        "ad_texts": None,
        "call_to_action": "LEARN_MORE",
        "call_to_action_id": None,
        "video_id": f"v10033g50000{hd % 10**12:012d}",
        "image_ids": [f"ad-site-i18n-sg/{hd % 10**10:010d}"],
        "identity_id": make_id(8, seed, identity_index),
        "identity_type": "CUSTOMIZED_USER",
        "landing_page_url": f"https://example.com/p/{n_ad}",
        "landing_page_urls": None,
        "display_name": adv["name"],
        "profile_image_url": "https://example.com/avatar.png",
        "tracking_pixel_id": 0,
        "impression_tracking_url": None,
        "click_tracking_url": None,
        "is_aco": False,
        "creative_authorized": False,
        "operation_status": "DISABLE" if own_disabled or deleted else "ENABLE",
        "secondary_status": (
            "AD_STATUS_DELETE"
            if deleted
            else "AD_STATUS_CAMPAIGN_DISABLE"
            if campaign.disabled
            else "AD_STATUS_ADGROUP_DISABLE"
            if group.own_disabled
            else "AD_STATUS_DISABLE"
            if own_disabled
            else "AD_STATUS_DELIVERY_OK"
        ),
        "create_time": ts(created),
        "modify_time": ts(timeline.modify_time(ad_id, created)),
    }
    if every(spec.smart_plus_every, n_ad):
        # Smart+ ads come back without the key at all, not with a null.
        del ad["modify_time"]
    return ad, deleted, group.disabled or own_disabled
