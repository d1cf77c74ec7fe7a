"""The read's progress in the log: one line at least every interval while it runs (not one per stream),
and the same counts once more when it ends.

`Progress: 812/1,402 slices, 120,455 records, 830 requests, about 1 min 5 s left`
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..cancel import Cancelled

PROGRESS_INTERVAL_SECONDS = 30.0
# Lets a demo or a test watch progress more often than a sync needs to.
INTERVAL_ENV = "SOURCE_TIKTOK_ADS_PROGRESS_SECONDS"


def progress_interval() -> float:
    """The interval between progress lines: `INTERVAL_ENV` if set to a positive number, else 30 s."""
    try:
        seconds = float(os.environ.get(INTERVAL_ENV, ""))
    except ValueError:
        return PROGRESS_INTERVAL_SECONDS
    return seconds if seconds > 0 else PROGRESS_INTERVAL_SECONDS


def count(number: int) -> str:
    return f"{number:,}"


def counted(number: int, noun: str) -> str:
    """`1 advertiser`, `2 advertisers`, `1,402 slices`."""
    return f"{count(number)} {noun}" if number == 1 else f"{count(number)} {noun}s"


def duration(seconds: float) -> str:
    """`45 s`, `2 min 22 s`, `3 h 5 min`, `12 d 4 h`: two units at most, rounded to the second."""
    total = max(0, round(seconds))
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


class ReadProgress:
    """Counts what the read did; the main thread adds records and finished slices, a timer thread logs.

    `requests_sent` reads the run's request count (every request of every stream and worker goes through
    one budget). Each finished slice counts with the fewest requests it needed, so the time left is the
    pace so far applied to the requests still planned, and never less than the budget allows for the
    planned requests not sent yet. Requests fetched ahead for slices not finished yet do not count as
    progress: they would make the first minutes look faster than the read is.
    """

    def __init__(
        self,
        slices: int,
        slice_requests: int,
        min_requests: int,
        requests_sent: Callable[[], int],
        requests_per_second: float,
        logger: logging.Logger,
        interval: float = PROGRESS_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`slice_requests`: the fewest requests of all planned slices; `min_requests`: of the whole read
        (lookups included); `requests_per_second`: the budget's actual pace."""
        self.slices = slices
        self.slices_done = 0
        self.records = 0
        self._slice_requests = slice_requests
        self._slice_requests_done = 0
        self._min_requests = min_requests
        self._requests_sent = requests_sent
        self._requests_per_second = requests_per_second
        self._logger = logger
        self._interval = interval
        self._clock = clock
        self._started = clock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def slice_done(self, fewest_requests: int = 1) -> None:
        self.slices_done += 1
        self._slice_requests_done += fewest_requests

    def add_records(self, records: int) -> None:
        self.records += records

    def line(self) -> str:
        return f"Progress: {self._counts()}, about {duration(self.seconds_left())} left"

    def final_line(self) -> str:
        return f"Read done: {self._counts()} in {duration(self._clock() - self._started)}"

    def cancelled_line(self, cancelled: Cancelled) -> str:
        """The last line of a cancelled read: not a finished one."""
        return (
            f"Read cancelled by {cancelled.signal_name} after {duration(self._clock() - self._started)}: "
            f"{self._counts()}. The state messages emitted cover the records emitted; the next sync "
            "goes on from there."
        )

    def _counts(self) -> str:
        return (
            f"{count(self.slices_done)}/{counted(self.slices, 'slice')}, {counted(self.records, 'record')}, "
            f"{counted(self._requests_sent(), 'request')}"
        )

    def seconds_left(self) -> float:
        if self.slices_done >= self.slices:
            return 0.0
        by_budget = max(0, self._min_requests - self._requests_sent()) / self._requests_per_second
        done = self._slice_requests_done
        if done == 0:
            return by_budget
        by_pace = (self._clock() - self._started) * max(0, self._slice_requests - done) / done
        return max(by_pace, by_budget)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._log_periodically, name="tiktok-progress", daemon=True)
        self._thread.start()

    def finish(self, log: bool = True) -> None:
        """Stop the timer and log the final counts (also when the read failed: they say how far it got)."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if log:
            self._logger.info(self.final_line())

    def _log_periodically(self) -> None:
        while not self._stopped.wait(self._interval):
            self._logger.info(self.line())
