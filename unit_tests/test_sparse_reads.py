"""Report ranges start at the account's creation, and settled days without delivery are not asked for."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from source_tiktok_ads.advertisers import Advertiser
from source_tiktok_ads.reports.activity import activity_queries, gaps, is_active
from source_tiktok_ads.reports.day_plan import covering_windows, days_to_ask, last_settled_day
from source_tiktok_ads.reports.lifespan import created_at, creation_day, first_report_day

# 2026-03-01 22:30 UTC: already 2026-03-02 in Tokyo, still 2026-03-01 in Los Angeles.
LATE_EVENING_UTC = int(datetime(2026, 3, 1, 22, 30, tzinfo=UTC).timestamp())


@pytest.mark.parametrize(
    ("zone", "day"),
    [("Asia/Tokyo", date(2026, 3, 2)), ("Etc/GMT+8", date(2026, 3, 1)), ("UTC", date(2026, 3, 1))],
)
def test_the_creation_day_is_local_to_the_advertiser(zone: str, day: date) -> None:
    assert creation_day(Advertiser("1", timezone=zone, create_time=LATE_EVENING_UTC)) == day


@pytest.mark.parametrize(
    "create_time", [LATE_EVENING_UTC, str(LATE_EVENING_UTC), "2026-03-01 22:30:00", float(LATE_EVENING_UTC)]
)
def test_create_time_is_read_in_every_form_tiktok_uses(create_time: object) -> None:
    assert created_at(create_time) == datetime(2026, 3, 1, 22, 30, tzinfo=UTC)


@pytest.mark.parametrize("create_time", [None, True, "", "soon", 0, 10**13, "9999-01-01 00:00:00", [1]])
def test_an_unreadable_create_time_bounds_nothing(create_time: object) -> None:
    advertiser = Advertiser("1", timezone="UTC", create_time=create_time)
    assert first_report_day(advertiser, date(2016, 9, 1)) == date(2016, 9, 1)


def test_the_later_of_start_date_and_creation_wins() -> None:
    advertiser = Advertiser("1", timezone="UTC", create_time=LATE_EVENING_UTC)
    assert first_report_day(advertiser, date(2016, 9, 1)) == date(2026, 3, 1)
    assert first_report_day(advertiser, date(2026, 5, 1)) == date(2026, 5, 1)
    # Without a known zone the local day is unknown: nothing is bounded.
    assert first_report_day(Advertiser("1", create_time=LATE_EVENING_UTC), date(2016, 9, 1)) == date(
        2016, 9, 1
    )


days_in_a_year = st.sets(st.integers(0, 364), max_size=60).map(
    lambda offsets: {date(2026, 1, 1) + timedelta(days=offset) for offset in offsets}
)


@given(days_in_a_year, st.sampled_from([1, 30]))
def test_covering_windows_cover_every_day_asked_with_the_fewest_windows(
    days: set[date], max_days: int
) -> None:
    windows = covering_windows(days, max_days)
    assert all(any(start <= day <= end for start, end in windows) for day in days)
    assert all((end - start).days < max_days and start in days and end <= max(days) for start, end in windows)
    # Greedy from the earliest day (the fewest): each window starts at the first day the previous one left.
    for previous, following in pairwise(windows):
        assert following[0] == min(day for day in days if day > previous[1])


def test_settled_days_end_before_the_look_back_and_the_latency() -> None:
    today = date(2026, 12, 7)
    assert last_settled_day(today - timedelta(days=3), today) == date(2026, 12, 3)
    # With no look-back, TikTok's own latency still keeps today and yesterday.
    assert last_settled_day(today, today) == date(2026, 12, 5)


def test_quiet_days_are_left_out_of_the_days_to_ask() -> None:
    first = date(2026, 1, 1)
    quiet = {first + timedelta(days=1), first + timedelta(days=2)}
    assert days_to_ask(first, first + timedelta(days=3), quiet) == [first, first + timedelta(days=3)]


def test_gaps_are_what_was_not_asked_yet() -> None:
    d = date(2026, 1, 1)
    span = (d, d + timedelta(days=99))
    assert gaps(span, []) == [span]
    covered = [
        (d + timedelta(days=10), d + timedelta(days=19)),
        (d + timedelta(days=50), d + timedelta(days=200)),
    ]
    assert gaps(span, covered) == [
        (d, d + timedelta(days=9)),
        (d + timedelta(days=20), d + timedelta(days=49)),
    ]


@pytest.mark.parametrize(
    ("metrics", "active"),
    [
        ({"spend": "0.00", "impressions": "0"}, False),
        ({"spend": "-", "real_time_conversion": "1"}, True),
        ({"spend": "0.01"}, True),
        ({}, False),
    ],
)
def test_a_row_of_zeros_is_no_delivery(metrics: dict, active: bool) -> None:
    assert is_active(metrics) is active


def test_reservation_campaigns_are_asked_for_by_buying_type_for_their_late_conversions() -> None:
    window = (date(2026, 1, 1), date(2026, 1, 30))
    account, campaigns, top_view = activity_queries("7", window, ("top_view",))
    assert account["data_level"] == "AUCTION_ADVERTISER" and "spend" in account["metrics"]
    assert campaigns["data_level"] == "AUCTION_CAMPAIGN" and "real_time_conversion" in campaigns["metrics"]
    assert {entry["field_name"] for entry in top_view["filtering"]} == {"campaign_status", "buying_type"}
