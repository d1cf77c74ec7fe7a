"""Varying response times and the choice of how the app's QPS limit is counted.

Latency jitter: each request waits a time drawn uniformly between two bounds, from a seeded generator
so that a run can be repeated. It is added either on the way in, before the request is counted
against the QPS limit (network delay: requests the client spaced evenly arrive bunched), or after
(TikTok computing the answer, which is what varies most between a listing and a wide report).

QPS window: TikTok documents a per-second QPS limit without saying how the second is counted [?].
`sliding` counts the requests of the last second at each arrival, the stricter reading; `second`
counts per calendar second, which lets a burst straddling two seconds through.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from dataclasses import dataclass, field

ARRIVAL = "arrival"
PROCESSING = "processing"
JITTER_PLACES = (ARRIVAL, PROCESSING)
SLIDING = "sliding"
CALENDAR_SECOND = "second"
QPS_WINDOWS = (SLIDING, CALENDAR_SECOND)


@dataclass
class LatencyJitter:
    low_ms: int = 0
    high_ms: int = 0
    seed: int = 1
    where: str = ARRIVAL
    _random: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if not 0 <= self.low_ms <= self.high_ms:
            raise ValueError("latency jitter needs 0 <= low <= high (milliseconds)")
        if self.where not in JITTER_PLACES:
            raise ValueError(f"latency jitter is added at one of {JITTER_PLACES}")
        self._random = random.Random(self.seed)

    def draw_ms(self, where: str) -> float:
        """The jitter for one request at `where` (0 at the other place)."""
        if where != self.where or self.high_ms == 0:
            return 0.0
        with self._lock:
            return self._random.uniform(self.low_ms, self.high_ms)


def parse_jitter(text: str) -> tuple[int, int]:
    """`50-300` -> (50, 300); a single number is a fixed extra latency."""
    low, _, high = text.partition("-")
    return int(low), int(high or low)


def count_over_cap(window: deque[float], now: float, cap: int, kind: str = SLIDING) -> int:
    """Record a request arriving at `now`; return the count of its window if it exceeds `cap`, else 0.

    The caller holds the lock that guards `window`."""
    if kind == CALENDAR_SECOND:
        second = int(now)
        while window and int(window[0]) != second:
            window.popleft()
    else:
        while window and window[0] <= now - 1.0:
            window.popleft()
    window.append(now)
    return len(window) if len(window) > cap else 0
