"""Limits no retry gets past, met once for the whole run: TikTok's daily request quota, and maintenance
that outlasts the retry budget.

A request that meets one stops the run: every request not sent yet is refused here before it leaves
(`check`, from the request budget), the stream that met it fails, the read stops after it, and the run
ends with one error saying what was met and when the sync can resume. Cursors stay at what was read.

A 40100 is TikTok's answer to any of its rate limits. It is the daily quota when TikTok's message
says so, or when this run alone has already sent the day's quota (`DAILY_QUOTA`, the Basic tier's, by
UTC day) — TikTok's daily-limit wording is not documented [?]. Otherwise it is a per-second or
per-minute limit, and the budget's pauses deal with it.

One object per process (`CURRENT`): a connector process runs one read.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .envelope import Envelope

# Requests per day of TikTok's Basic tier (the default for a new app).
DAILY_QUOTA = 864_000
DAILY_QUOTA_CODE = 40100
MAINTENANCE_CODE = 60001
_DAILY_WORDS = re.compile(r"\b(daily|per day|a day|qpd|today)\b", re.IGNORECASE)


class RunStopped(AirbyteTracedException):
    """The one error a stopped run ends with: raised to every request not sent yet, and by the read."""

    def __init__(self, message: str) -> None:
        super().__init__(message=message, internal_message=message, failure_type=FailureType.transient_error)


def says_daily(message: str) -> bool:
    return bool(_DAILY_WORDS.search(message))


def next_utc_midnight(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)


class RunLimits:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._day: date | None = None
        self._sent_today = 0
        self.stopped: RunStopped | None = None

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def raise_if_stopped(self) -> None:
        stopped = self.stopped
        if stopped is not None:
            raise stopped

    def check(self) -> None:
        """Raise the stop if one was met; otherwise count the request about to be sent."""
        with self._lock:
            if self.stopped is not None:
                raise self.stopped
            today = self._now().date()
            if today != self._day:
                self._day, self._sent_today = today, 0
            self._sent_today += 1

    def judge_throttle(self, envelope: Envelope, path: str) -> RunStopped | None:
        """The stop a 40100 means when it is the daily quota (see the module's docstring), else None."""
        if envelope.code != DAILY_QUOTA_CODE:
            return None
        with self._lock:
            counted = self._sent_today >= DAILY_QUOTA
        if not (says_daily(envelope.message) or counted):
            return None
        now = self._now()
        resume = next_utc_midnight(now)
        how = (
            "TikTok's message says so"
            if says_daily(envelope.message)
            else f"this run sent {DAILY_QUOTA:,} today"
        )
        return self.stop(
            f"TikTok's daily request quota for this app was met at {now:%Y-%m-%d %H:%M} UTC on {path} ({how}: "
            f"{envelope.message}). No request was sent after it; the sync can resume after "
            f"{resume:%Y-%m-%d %H:%M} UTC, from where this one stopped."
        )

    def maintenance_outlasted(self, path: str, message: str, attempts: str, seconds: float) -> RunStopped:
        now = self._now()
        return self.stop(
            f"TikTok was in maintenance (code 60001: {message}) on {path} through {attempts} over "
            f"{seconds:.0f} s, until {now:%Y-%m-%d %H:%M} UTC. No request was sent after it; the sync can "
            "resume once TikTok's maintenance is over, from where this one stopped."
        )

    def stop(self, message: str) -> RunStopped:
        """Stop the run (the first stop met stands)."""
        with self._lock:
            if self.stopped is None:
                self.stopped = RunStopped(message)
            return self.stopped


CURRENT = RunLimits()


def start_run(clock: Callable[[], float] = time.time) -> RunLimits:
    """A fresh set of limits for a read that starts."""
    global CURRENT
    CURRENT = RunLimits(clock)
    return CURRENT
