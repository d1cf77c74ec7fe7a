"""Advertisers and their classic campaigns, ad groups and ads, numbered across the whole dataset."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .accounts import build_advertiser
from .ad_groups import build_adgroup
from .ads import build_ad
from .campaigns import build_campaign
from .timeline import Timeline

if TYPE_CHECKING:
    from ..dataset import Dataset


@dataclass
class _Numbers:
    """How many objects of each kind exist so far: ids and rotating properties follow these."""

    campaign: int = 0
    adgroup: int = 0
    ad: int = 0


def build_hierarchy(ds: Dataset) -> None:
    """Generate ``ds.spec``'s advertisers with everything below them, and register it in ``ds``."""
    timeline = Timeline.of(ds.spec)
    numbers = _Numbers()
    for a in range(ds.spec.advertisers):
        adv, extra, profile = build_advertiser(ds.spec, a, timeline.range_start)
        ds._add_advertiser(adv, extra, profile)
        for c in range(ds.spec.campaigns_per_advertiser):
            _add_campaign(ds, timeline, numbers, adv, (a, c))


def _add_campaign(
    ds: Dataset, timeline: Timeline, numbers: _Numbers, adv: dict[str, Any], place: tuple[int, int]
) -> None:
    a, c = place
    numbers.campaign += 1
    name = f"{a + 1}.{c + 1}"
    camp, state = build_campaign(ds.spec, timeline, numbers.campaign, adv["advertiser_id"], name)
    ds._add("campaign", camp, state.deleted, state.disabled, state.top_view)
    location_id = ds.account_profile(adv["advertiser_id"])[6][0]
    for g in range(ds.spec.adgroups_per_campaign):
        numbers.adgroup += 1
        group_name = f"{name}.{g + 1}"
        adgroup, group = build_adgroup(
            ds.spec, timeline, numbers.adgroup, camp, state, location_id, group_name
        )
        ds._add("adgroup", adgroup, group.deleted, group.disabled, state.top_view, group.has_secondary_goal)
        for d in range(ds.spec.ads_per_adgroup):
            numbers.ad += 1
            ad, deleted, disabled = build_ad(
                ds.spec, timeline, numbers.ad, adgroup, (state, group), adv, a + 1, f"{group_name}.{d + 1}"
            )
            ds._add("ad", ad, deleted, disabled, state.top_view)
