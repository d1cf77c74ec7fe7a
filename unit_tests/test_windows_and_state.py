from __future__ import annotations

import itertools
import logging
from datetime import UTC, date, datetime, timedelta

import pytest

from source_tiktok_ads.reports.windows import halves, local_today, windows
from source_tiktok_ads.state import AdvertiserCursors

LOGGER = logging.getLogger("test")


@pytest.mark.parametrize(
    ("days", "max_days", "expected_windows"),
    [(1, 30, 1), (30, 30, 1), (31, 30, 2), (90, 30, 3), (91, 30, 4), (3, 1, 3)],
)
def test_windows_cover_the_range_without_gaps_or_overlap(
    days: int, max_days: int, expected_windows: int
) -> None:
    start = date(2026, 1, 15)
    end = start + timedelta(days=days - 1)
    result = windows(start, end, max_days)
    assert len(result) == expected_windows
    assert result[0][0] == start and result[-1][1] == end
    for (_, previous_end), (next_start, _) in itertools.pairwise(result):
        assert next_start == previous_end + timedelta(days=1)
    assert all((window_end - window_start).days + 1 <= max_days for window_start, window_end in result)


def test_empty_range_has_no_windows() -> None:
    assert windows(date(2026, 2, 2), date(2026, 2, 1), 30) == []


@pytest.mark.parametrize("days", [2, 3, 30, 31])
def test_halves_split_exactly(days: int) -> None:
    start = date(2026, 3, 1)
    end = start + timedelta(days=days - 1)
    (first_start, first_end), (second_start, second_end) = halves(start, end)
    assert first_start == start and second_end == end and second_start == first_end + timedelta(days=1)
    assert abs(((first_end - first_start).days + 1) - ((second_end - second_start).days + 1)) <= 1


def test_a_single_day_cannot_split() -> None:
    assert halves(date(2026, 3, 1), date(2026, 3, 1)) == [(date(2026, 3, 1), date(2026, 3, 1))]


def test_today_is_local_to_the_advertiser() -> None:
    now = datetime(2026, 11, 25, 22, 30, tzinfo=UTC)
    assert local_today("Europe/Moscow", now) == date(2026, 11, 26)  # UTC+3
    assert local_today("Etc/GMT+8", now) == date(2026, 11, 25)  # POSIX sign: UTC-8
    assert local_today("Asia/Tokyo", datetime(2026, 11, 25, 16, 0, tzinfo=UTC)) == date(2026, 11, 26)
    assert local_today(None, now) == date(2026, 11, 25)
    assert local_today("Not/AZone", now) == date(2026, 11, 25)


def test_cursors_round_trip_and_only_move_forward() -> None:
    cursors = AdvertiserCursors("stat_time_day")
    cursors.advance("1", "2026-01-10")
    cursors.advance("1", "2026-01-05")
    cursors.advance("2", "2026-01-07")
    state = cursors.as_state()
    reloaded = AdvertiserCursors("stat_time_day")
    reloaded.load(state, LOGGER)
    assert (
        reloaded.get("1") == "2026-01-10" and reloaded.get("2") == "2026-01-07" and reloaded.get("3") is None
    )


def test_cursors_read_the_original_connector_state() -> None:
    anchor_state = {
        "use_global_cursor": False,
        "states": [
            {
                "partition": {"advertiser_id": "7002", "parent_slice": {}},
                "cursor": {"stat_time_day": "2026-11-24"},
            }
        ],
        "state": {"stat_time_day": "2026-11-24"},
        "lookback_window": 1,
    }
    cursors = AdvertiserCursors("stat_time_day")
    cursors.load(anchor_state, LOGGER)
    assert cursors.get("7002") == "2026-11-24"


@pytest.mark.parametrize(
    "broken",
    [
        {"stat_time_day": "2026-01-01"},
        {"states": "nope"},
        {"states": [{"partition": {}}]},
        {"states": [None]},
        {"states": [{"partition": {"advertiser_id": "1"}, "cursor": {"stat_time_day": 5}}]},
    ],
)
def test_unreadable_state_is_dropped_with_a_warning(broken: dict, caplog: pytest.LogCaptureFixture) -> None:
    cursors = AdvertiserCursors("stat_time_day")
    with caplog.at_level(logging.WARNING):
        cursors.load(broken, LOGGER)
    assert cursors.as_state() == {"states": []}
