"""The in-flight limit: Little's law with headroom, bounded by num_workers, and the gate it keeps."""

from __future__ import annotations

import threading
import time

import pytest

from source_tiktok_ads.concurrency import INITIAL_LIMIT, InFlightLimit
from source_tiktok_ads.pipeline.page_permits import PagePermits
from source_tiktok_ads.pipeline.workers import PAGE_PERMITS_PER_WORKER, page_permit_total

RATE = 10 / 1.05  # the budget's pace at 10 requests/s


def settled(seconds: float, upper: int = 32, requests: int = 200) -> InFlightLimit:
    limit = InFlightLimit(RATE, upper)
    for _ in range(requests):
        limit.observe(seconds)
    return limit


def test_starts_at_the_initial_limit_before_any_request_is_timed() -> None:
    assert InFlightLimit(RATE, 6).limit == INITIAL_LIMIT
    assert InFlightLimit(RATE, 1).limit == 1


@pytest.mark.parametrize(("seconds", "expected"), [(0.01, 1), (0.1, 2), (0.5, 6), (1.0, 12)])
def test_the_limit_is_the_rate_times_the_request_time_with_headroom(seconds: float, expected: int) -> None:
    assert settled(seconds).limit == expected


def test_num_workers_bounds_the_limit() -> None:
    assert settled(1.0, upper=6).limit == 6
    assert settled(1.0, upper=3).highest_limit == 3


def test_the_limit_grows_when_requests_slow_down_and_shrinks_when_they_speed_up() -> None:
    limit = settled(0.1)
    assert limit.limit == 2
    for _ in range(100):
        limit.observe(0.5)
    assert limit.limit == 6
    for _ in range(100):
        limit.observe(0.1)
    assert limit.limit == 2
    assert limit.highest_limit == 6


def test_one_slow_request_moves_the_limit_little() -> None:
    limit = settled(0.1)
    limit.observe(3.0)
    assert limit.limit <= 6
    for _ in range(30):
        limit.observe(0.1)
    assert limit.limit == 2


def test_the_gate_holds_requests_beyond_the_limit_and_lets_them_on_when_it_grows() -> None:
    limit = InFlightLimit(RATE, 8)  # starts at 2
    limit.acquire()
    limit.acquire()
    entered = threading.Event()

    def third() -> None:
        with limit.slot():
            entered.set()

    thread = threading.Thread(target=third)
    thread.start()
    assert not entered.wait(0.2)
    assert limit.in_flight == 2
    for _ in range(50):
        limit.observe(0.5)  # requests got slower: more may be in flight
    assert entered.wait(2)
    thread.join(2)
    limit.release()
    limit.release()
    assert limit.in_flight == 0
    assert limit.most_in_flight == 3


def test_a_release_lets_a_waiting_request_on() -> None:
    limit = InFlightLimit(RATE, 1)
    limit.acquire()
    done = threading.Event()
    thread = threading.Thread(target=lambda: (limit.acquire(), done.set()))
    thread.start()
    time.sleep(0.05)
    assert not done.is_set()
    limit.release()
    assert done.wait(2)
    thread.join(2)


def test_page_permits_follow_the_in_flight_limit() -> None:
    limit = InFlightLimit(RATE, 8)
    budget = PagePermits(page_permit_total(8, None, limit))
    assert budget.free == INITIAL_LIMIT * PAGE_PERMITS_PER_WORKER
    for _ in range(100):
        limit.observe(0.5)
    assert budget.free == 6 * PAGE_PERMITS_PER_WORKER
    assert page_permit_total(3, None, None)() == 3 * PAGE_PERMITS_PER_WORKER
    assert page_permit_total(3, 5, limit)() == 5


def test_the_summary_names_what_was_observed() -> None:
    limit = settled(0.5, upper=6)
    with limit.slot():
        pass
    assert limit.summary() == (
        "Requests in flight: at most 1 at once, limit up to 6 (of num_workers 6); "
        "a request took 0.50 s on average."
    )
