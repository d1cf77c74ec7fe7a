"""The emulator's latency jitter, its two readings of the QPS window, and its in-flight count."""

from __future__ import annotations

import threading
import urllib.request
from collections import deque

import pytest
from tiktok_emulator import Dataset, DatasetSpec, Emulator, FaultPlan
from tiktok_emulator.__main__ import main
from tiktok_emulator.latency import (
    ARRIVAL,
    CALENDAR_SECOND,
    PROCESSING,
    SLIDING,
    LatencyJitter,
    count_over_cap,
    parse_jitter,
)


def test_jitter_is_uniform_within_its_bounds_and_repeats_with_its_seed() -> None:
    jitter = LatencyJitter(50, 300, seed=4)
    again = LatencyJitter(50, 300, seed=4)
    first = [jitter.draw_ms(ARRIVAL) for _ in range(500)]
    assert first == [again.draw_ms(ARRIVAL) for _ in range(500)]
    assert 50 <= min(first) < 60 and 290 < max(first) <= 300
    assert jitter.draw_ms(PROCESSING) == 0.0  # added at arrival only
    assert parse_jitter("50-300") == (50, 300) and parse_jitter("80") == (80, 80)
    with pytest.raises(ValueError):
        LatencyJitter(300, 50)


def test_a_sliding_window_counts_the_last_second_and_a_calendar_one_restarts_each_second() -> None:
    burst = [0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2]  # straddles a second boundary
    sliding: deque[float] = deque()
    calendar: deque[float] = deque()
    over_sliding = [count_over_cap(sliding, at, 4, SLIDING) for at in burst]
    over_calendar = [count_over_cap(calendar, at, 4, CALENDAR_SECOND) for at in burst]
    assert over_sliding == [0, 0, 0, 0, 5, 6, 7]
    assert over_calendar == [0, 0, 0, 0, 0, 0, 0]  # 4 in second 0, 3 in second 1
    assert count_over_cap(sliding, 2.5, 4, SLIDING) == 0


def test_the_emulator_counts_requests_answered_at_once() -> None:
    dataset = Dataset.generate(DatasetSpec(advertisers=1, days=2, seed=2))
    with Emulator(dataset, faults=FaultPlan(latency_ms=300)) as emulator:
        url = f"{emulator.base_url}ad/get/?advertiser_id=1"
        # Answered with HTTP 200 (and an error code: no token) after the latency.
        threads = [
            threading.Thread(target=lambda: urllib.request.urlopen(url, timeout=10).read()) for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert emulator.stats()["most_in_flight"] == 3
        emulator.reset_counters()
        assert emulator.stats()["most_in_flight"] == 0


def test_the_command_line_takes_the_jitter_and_the_window(monkeypatch: pytest.MonkeyPatch) -> None:
    built: dict = {}

    class Stop(Exception):
        pass

    def capture(self: Emulator, *args: object, **kwargs: object) -> None:
        built.update(kwargs)
        raise Stop

    monkeypatch.setattr(Emulator, "__init__", capture)
    with pytest.raises(Stop):
        main(
            ["--latency-jitter", "50-300", "--jitter-at", "arrival", "--qps-window", "second", "--seed", "9"]
        )
    jitter = built["jitter"]
    assert (jitter.low_ms, jitter.high_ms, jitter.seed, jitter.where) == (50, 300, 9, ARRIVAL)
    assert built["qps_window"] == CALENDAR_SECOND
