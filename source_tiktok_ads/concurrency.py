"""How many requests may be on the wire at once, sized while the sync runs.

The rate budget lets a request out every 1/rate seconds; to keep that pace without waiting, as many
requests must be on the wire as arrive during one request's time (Little's law: rate x request time).
More than that buys no speed, only pages waiting in memory for the reader. The request time is only
known once requests are made, and changes with the endpoint and TikTok's load, so the limit follows a
moving average of it, with some headroom for the spread, between 1 and the user's `num_workers`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# The limit is rate x mean request time x HEADROOM: enough that a request a little slower than the
# mean does not hold the next one back, not so much that pages pile up (the spread of request times
# is not added: a few slow requests would then keep many pages waiting, see bench/RESULTS).
HEADROOM = 1.2
# Weight of the newest request time in the moving average: it follows a change of endpoint or load
# within a few dozen requests, and one slow request moves it little.
SMOOTHING = 0.1
INITIAL_LIMIT = 2


class InFlightLimit:
    """The in-flight limit, and the gate requests pass through: a request holds its slot from before
    it waits for the rate budget until its body is read (see `api.transport`)."""

    def __init__(self, requests_per_second: float, upper_bound: int, initial: int = INITIAL_LIMIT) -> None:
        self._rate = requests_per_second
        self._upper = max(1, upper_bound)
        self._condition = threading.Condition()
        self._limit = min(self._upper, max(1, initial))
        self._mean_seconds: float | None = None
        self._in_flight = 0
        # The most requests seen on the wire at once, and the highest limit reached (for the logs).
        self.most_in_flight = 0
        self.highest_limit = self._limit

    @property
    def limit(self) -> int:
        with self._condition:
            return self._limit

    @property
    def mean_request_seconds(self) -> float | None:
        with self._condition:
            return self._mean_seconds

    @property
    def in_flight(self) -> int:
        with self._condition:
            return self._in_flight

    def observe(self, seconds: float) -> None:
        """A request took `seconds` on the wire: the mean moves, and the limit with it."""
        with self._condition:
            mean = self._mean_seconds
            mean = seconds if mean is None else mean + SMOOTHING * (seconds - mean)
            self._mean_seconds = mean
            wanted = math.ceil(self._rate * mean * HEADROOM - 1e-9)
            limit = min(self._upper, max(1, wanted))
            if limit != self._limit:
                self._limit = limit
                self.highest_limit = max(self.highest_limit, limit)
                self._condition.notify_all()

    def acquire(self) -> None:
        with self._condition:
            while self._in_flight >= self._limit:
                self._condition.wait()
            self._in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self._in_flight)

    def release(self) -> None:
        with self._condition:
            self._in_flight -= 1
            self._condition.notify()

    def summary(self) -> str:
        mean = self.mean_request_seconds
        took = f"; a request took {mean:.2f} s on average" if mean is not None else ""
        return (
            f"Requests in flight: at most {self.most_in_flight} at once, limit up to {self.highest_limit} "
            f"(of num_workers {self._upper}){took}."
        )

    @contextmanager
    def slot(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()
