"""An object listing that changed underfoot and came short is read again, handing on only what is new."""

from __future__ import annotations

from typing import Any

import pytest

from source_tiktok_ads.api.errors import SliceRefused
from source_tiktok_ads.streams.listing_count import ListingCount


def page(ids: list[str], total: int) -> dict[str, Any]:
    return {"list": [{"ad_id": ad_id} for ad_id in ids], "page_info": {"total_number": total}}


def reading(count: ListingCount, pages: list[dict[str, Any]]) -> list[str]:
    handed_on: list[str] = []
    convert = count.watching(lambda data: [item["ad_id"] for item in data["list"]])
    for data in pages:
        handed_on += convert(data)
    return handed_on


def listing_count() -> ListingCount:
    return ListingCount("ads", {"advertiser_id": "7"}, "list", "ad_id")


def test_a_deletion_between_pages_is_seen_and_the_second_reading_hands_on_only_the_skipped_objects() -> None:
    count = listing_count()
    # a1 is deleted after page 1: a4 moves onto page 1's places and is never served.
    assert reading(count, [page(["a1", "a2", "a3"], 6), page(["a5", "a6"], 5)]) == [
        "a1",
        "a2",
        "a3",
        "a5",
        "a6",
    ]
    assert count.short and "counted 6 objects, later pages 5; 5 came" in count.describe()
    count.start_reading()
    assert reading(count, [page(["a2", "a3", "a4"], 5), page(["a5", "a6"], 5)]) == ["a4"]
    assert not count.short


def test_a_listing_short_without_any_change_is_taken_as_counted() -> None:
    count = listing_count()
    reading(count, [page(["a1", "a2"], 3), page(["a3"], 3)])
    assert not count.short
    other = listing_count()
    reading(other, [page(["a1", "a2"], 4), page(["a3"], 4)])
    assert not other.short, "TikTok's count, not a shift: no page counted differently"


def test_rows_created_between_pages_are_not_a_shortfall() -> None:
    count = listing_count()
    # A new object at the head pushes a2 onto page 2 again; every object counted on page 1 came.
    reading(count, [page(["a1", "a2"], 3), page(["a2", "a3"], 4)])
    assert not count.short


def test_still_short_after_the_second_reading_names_the_advertiser() -> None:
    count = listing_count()
    reading(count, [page(["a1", "a2"], 4), page(["a4"], 3)])
    count.start_reading()
    reading(count, [page(["a2", "a3"], 3), page([], 2)])
    assert count.short
    refusal = count.refusal()
    assert isinstance(refusal, SliceRefused)
    assert (
        "ads: TikTok's listing of advertiser 7 changed while it was paged through, 2 times" in refusal.message
    )


@pytest.mark.parametrize("item", [{"name": "no id"}, "not an object"])
def test_objects_without_an_id_count_one_each_and_are_always_handed_on(item: Any) -> None:
    count = listing_count()
    convert = count.watching(lambda data: list(data["list"]))
    assert convert({"list": [item, item], "page_info": {"total_number": 2}}) == [item, item]
    assert count.read == 2
