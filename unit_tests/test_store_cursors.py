"""GMV Max cursors per (advertiser, store), and state saved per advertiser carried over to its stores."""

from __future__ import annotations

import logging

from source_tiktok_ads.state import StoreCursors

LOGGER = logging.getLogger("test")


def entry(cursor: str, advertiser_id: str, store_id: str | None = None) -> dict[str, object]:
    partition = (
        {"advertiser_id": advertiser_id}
        if store_id is None
        else {"advertiser_id": advertiser_id, "store_id": store_id}
    )
    return {"partition": partition, "cursor": {"stat_time_day": cursor}}


def test_each_store_moves_alone_and_a_new_one_has_no_cursor() -> None:
    cursors = StoreCursors("stat_time_day")
    cursors.load({"states": [entry("2026-01-10", "1", "s1")]}, LOGGER)
    cursors.spread("1", ["s1", "s2"])
    assert cursors.get({"advertiser_id": "1", "store_id": "s1"}) == "2026-01-10"
    assert cursors.get({"advertiser_id": "1", "store_id": "s2"}) is None
    cursors.advance({"advertiser_id": "1", "store_id": "s2", "end_date": "2026-01-05"}, "2026-01-05")
    cursors.hold({"advertiser_id": "1", "store_id": "s1"})
    cursors.advance({"advertiser_id": "1", "store_id": "s1"}, "2026-02-01")
    assert cursors.as_state()["states"] == [entry("2026-01-10", "1", "s1"), entry("2026-01-05", "1", "s2")]
    # The advertiser as a whole: the latest of its stores (what the rows' provisional marker needs).
    assert cursors.get("1") == "2026-01-10"


def test_an_advertisers_saved_cursor_becomes_each_of_its_stores_and_survives_a_second_load() -> None:
    saved = {"states": [entry("2026-01-10", "1"), entry("2026-01-20", "1", "s1"), entry("2026-01-12", "2")]}
    cursors = StoreCursors("stat_time_day")
    cursors.load(saved, LOGGER)
    cursors.spread("1", ["s1", "s2"])
    cursors.spread("2", [])
    # The stream is planned, then its state is set again before it is read.
    cursors.load(saved, LOGGER)
    assert cursors.get({"advertiser_id": "1", "store_id": "s1"}) == "2026-01-20"
    assert cursors.get({"advertiser_id": "1", "store_id": "s2"}) == "2026-01-10"
    # An advertiser without stores keeps no cursor: a store it gets later starts from the start date.
    assert cursors.as_state()["states"] == [entry("2026-01-20", "1", "s1"), entry("2026-01-10", "1", "s2")]


def test_an_advertiser_whose_stores_were_not_listed_keeps_its_saved_cursor_and_holds_every_store() -> None:
    cursors = StoreCursors("stat_time_day")
    cursors.load({"states": [entry("2026-01-10", "1"), entry("2026-01-03", "1", "s9")]}, LOGGER)
    cursors.hold({"advertiser_id": "1"})
    cursors.advance({"advertiser_id": "1", "store_id": "s9"}, "2026-02-01")
    assert cursors.as_state()["states"] == [entry("2026-01-10", "1"), entry("2026-01-03", "1", "s9")]
