"""The id split that worked for one window, reused for the next: the learned groups, cut down to what is
listed, plus what is new in groups of its own, so that every listed id is in exactly one part."""

from __future__ import annotations

from source_tiktok_ads.reports.split_memory import (
    ID_FILTERS,
    PARENT_CAMPAIGN,
    LearnedSplit,
    SplitMemory,
    learned_filters,
)

SLICE = {"advertiser_id": "1", "start_date": "2026-01-01", "end_date": "2026-01-01"}


def test_what_was_read_whole_is_remembered_per_advertiser_and_buying_type() -> None:
    memory = SplitMemory()
    memory.learn({**SLICE, ID_FILTERS: {"campaign_ids": ["c1", "c2"]}})
    memory.learn({**SLICE, ID_FILTERS: {"campaign_ids": ["c3"]}})
    # c2 later needed its own part: it leaves the group it was in.
    memory.learn({**SLICE, ID_FILTERS: {"campaign_ids": ["c2"]}})
    # c3 was split by ad group: it is no campaign group any more.
    memory.learn({**SLICE, PARENT_CAMPAIGN: "c3", ID_FILTERS: {"adgroup_ids": ["a1", "a2"]}})

    plan = memory.recall(SLICE)
    assert plan == LearnedSplit([["c1"], ["c2"]], {"c3"}, [["a1", "a2"]])
    assert memory.recall({**SLICE, "advertiser_id": "2"}) is None
    assert memory.recall({**SLICE, "top_view": True}) is None


def test_the_learned_parts_cover_every_listed_id_once_new_ones_included() -> None:
    plan = LearnedSplit([["c1", "c2"], ["c3"]], {"c4"}, [["a1", "a2"], ["a3"]])
    asked: list[list[str]] = []

    def adgroups_of(campaigns: list[str]) -> list[str]:
        asked.append(campaigns)
        return ["a2", "a3", "a9"]

    filters = learned_filters(plan, ["c2", "c4", "c5", "c6"], adgroups_of, 1, 100)

    assert asked == [["c4"]]
    assert filters == [
        {"adgroup_ids": ["a2"]},
        {"adgroup_ids": ["a3"]},
        {"adgroup_ids": ["a9"]},
        {"campaign_ids": ["c2"]},
        {"campaign_ids": ["c5"]},
        {"campaign_ids": ["c6"]},
    ]


def test_no_split_campaign_listed_asks_for_no_ad_group_listing() -> None:
    plan = LearnedSplit([["c1"]], {"c4"}, [["a1"]])

    def adgroups_of(campaigns: list[str]) -> list[str]:
        raise AssertionError("not asked")

    assert learned_filters(plan, ["c1"], adgroups_of, 30, 100) == [{"campaign_ids": ["c1"]}]
