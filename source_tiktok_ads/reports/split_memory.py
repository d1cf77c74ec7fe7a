"""The id split that worked for one window of a report stream, kept for its next windows in the run.

When every ad delivers every day, each day of a cut account is cut the same way: splitting every day
from scratch (the whole window asked for and cut, halved by date down to a day, asked for by campaign
groups that are cut and halved again) costs many requests per day that bring no row. So the parts that
were read whole (not cut, not split further) are remembered per advertiser and buying-type request:
their campaign groups, and the ad-group groups of the campaigns split by ad group. A later window of
the same advertiser, or the next day of the same window, is then asked for directly in those groups,
over its whole span: the cut counts ids, not days, so a group read whole for one day usually is for
many (and a part cut anyway is split by date first, as any cut part).

The groups only say how to split, never which ids exist: each window lists its campaigns again (and
the ad groups of a campaign split by ad group) so that a campaign or ad group new in that window is
read too, in groups of its own. Each part keeps its row count and cut check; a part cut anyway is
split further the usual way, and what then works is remembered instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Request-slice keys: a part's id filter (as in `id_split`); the campaign an ad-group part belongs to.
ID_FILTERS = "_id_filters"
PARENT_CAMPAIGN = "_id_parent"

IdFilter = dict[str, list[str]]


@dataclass
class LearnedSplit:
    campaign_groups: list[list[str]] = field(default_factory=list)
    # The campaigns split by ad group, and the groups of their ad groups that were read whole.
    split_campaigns: set[str] = field(default_factory=set)
    adgroup_groups: list[list[str]] = field(default_factory=list)


def memory_key(request_slice: Mapping[str, Any]) -> tuple[str, bool, bool]:
    return (
        str(request_slice["advertiser_id"]),
        bool(request_slice.get("top_view")),
        bool(request_slice.get("reach_frequency")),
    )


def _take_out(groups: list[list[str]], ids: list[str]) -> None:
    """Remove `ids` from every group (a group left empty goes): an id belongs to one group only."""
    taken = set(ids)
    groups[:] = [kept for kept in ([i for i in group if i not in taken] for group in groups) if kept]


def chunks(ids: list[str], most: int) -> list[list[str]]:
    return [ids[start : start + most] for start in range(0, len(ids), most)]


class SplitMemory:
    """The learned splits of one report stream, safe across workers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._learned: dict[tuple[str, bool, bool], LearnedSplit] = {}

    def learn(self, part: Mapping[str, Any]) -> None:
        """`part` (a request slice with an id filter) was read whole."""
        (name, ids), *_ = part[ID_FILTERS].items()
        with self._lock:
            plan = self._learned.setdefault(memory_key(part), LearnedSplit())
            if name == "campaign_ids":
                _take_out(plan.campaign_groups, ids)
                plan.split_campaigns.difference_update(ids)
                plan.campaign_groups.append(list(ids))
                return
            parent = part.get(PARENT_CAMPAIGN)
            if parent is not None:
                _take_out(plan.campaign_groups, [parent])
                plan.split_campaigns.add(parent)
            _take_out(plan.adgroup_groups, ids)
            plan.adgroup_groups.append(list(ids))

    def recall(self, request_slice: Mapping[str, Any]) -> LearnedSplit | None:
        """A copy of what was learned for the slice's advertiser and buying-type request."""
        with self._lock:
            plan = self._learned.get(memory_key(request_slice))
            if plan is None:
                return None
            return LearnedSplit(
                [list(group) for group in plan.campaign_groups],
                set(plan.split_campaigns),
                [list(group) for group in plan.adgroup_groups],
            )


def learned_filters(
    plan: LearnedSplit,
    campaigns: list[str],
    adgroups_of: Callable[[list[str]], list[str]],
    campaigns_per_part: int,
    adgroups_per_part: int,
) -> list[IdFilter]:
    """The id filters covering every listed campaign: the learned groups cut down to what is listed,
    then what is new in groups of its own. `adgroups_of` lists the ad groups of the campaigns given."""
    filters: list[IdFilter] = []
    split = [c for c in campaigns if c in plan.split_campaigns]
    if split:
        adgroups = adgroups_of(split)
        filters += [
            {"adgroup_ids": group}
            for group in _kept_and_new(plan.adgroup_groups, adgroups, adgroups_per_part)
        ]
    whole = [c for c in campaigns if c not in plan.split_campaigns]
    filters += [
        {"campaign_ids": group} for group in _kept_and_new(plan.campaign_groups, whole, campaigns_per_part)
    ]
    return filters


def _kept_and_new(learned: list[list[str]], listed: list[str], most: int) -> list[list[str]]:
    present, seen = set(listed), set()
    result = []
    for group in learned:
        seen.update(group)
        kept = [i for i in group if i in present]
        if kept:
            result.append(kept)
    return result + chunks([i for i in listed if i not in seen], most)
