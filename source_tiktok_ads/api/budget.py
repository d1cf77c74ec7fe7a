"""One request budget per run, shared by every stream and worker thread.

The CDK's APIBudget enforces the configured requests per second and per minute before each request.
On top, TikTok's throttling answers (40100 and friends, which come back as HTTP 200) pause the whole
client: every worker waits, instead of each one finding the limit on its own and retrying in step.
An endpoint whose requests keep timing out is spaced wider on its own (`endpoint_pace`).
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import requests
from airbyte_cdk.sources.streams.call_rate import APIBudget, MovingWindowCallRatePolicy, Rate

from ..cancel import CANCEL, CancelSwitch
from . import run_limits
from .endpoint_pace import EndpointPace
from .envelope import envelope_of
from .errors import RATE_LIMIT_CODES, request_context
from .waits import retry_wait_scale

FIRST_PAUSE_SECONDS = 1.0
WINDOW_MARGIN = 1.05
# TikTok asks clients to wait 5 minutes after a per-minute breach; repeated throttling grows the pause
# up to that.
MAX_PAUSE_SECONDS = 300.0
# A throttling pause that follows another within WIDEN_WITHIN_SECONDS also spaces the calls that follow
# a little wider, up to MOST_WIDENING: when the time a request takes to reach TikTok varies more than
# WINDOW_MARGIN leaves room for, evenly spaced calls still arrive bunched, and only wider spacing stops
# the throttling. A lone throttled answer only pauses (wider spacing would cost more than it saves),
# and the widening wears off (halving every WIDENING_HALF_LIFE_SECONDS).
WIDEN_WITHIN_SECONDS = 60.0
WIDEN_ON_THROTTLE = 1.1
MOST_WIDENING = 1.5
WIDENING_HALF_LIFE_SECONDS = 600.0


class AdaptiveBudget(APIBudget):
    def __init__(
        self, requests_per_second: float, requests_per_minute: int, cancel: CancelSwitch = CANCEL
    ) -> None:
        """`cancel`: once it is cancelled, every wait for a turn ends at once and no call is let through."""
        # Calls are spaced evenly, one every 1/requests_per_second, instead of in bursts at the start of
        # each second: a fractional share of the app's budget (10 QPS split between 4 connections) then
        # never sends more than its share rounded up in any second. TikTok counts a request when it
        # arrives, we when we send it: varying latency can squeeze 11 arrivals into one of TikTok's
        # seconds, so the spacing and the minute window are a little longer than TikTok's. Against
        # bursts, spacing avoids throttled answers at the cost of fuller pipelines, which the page
        # permits still bound (figures in bench/RESULTS.md).
        per_second = Rate(limit=1, interval=timedelta(seconds=WINDOW_MARGIN / requests_per_second))
        per_minute = Rate(limit=requests_per_minute, interval=timedelta(minutes=WINDOW_MARGIN))
        super().__init__(policies=[MovingWindowCallRatePolicy(rates=[per_second, per_minute], matchers=[])])
        self._lock = threading.Lock()
        self._cancel = cancel
        self._paused_until = 0.0
        self._pause_scale = retry_wait_scale()
        self._next_pause = FIRST_PAUSE_SECONDS
        self._spacing = WINDOW_MARGIN / requests_per_second
        self._next_call = 0.0
        self._widening = 1.0
        self._widened_at = 0.0
        self._last_pause_at: float | None = None
        self._endpoints = EndpointPace()
        self.throttled_responses = 0
        # Every request let through, retries included: what the read's progress counts.
        self.requests_sent = 0

    def acquire_call(self, request: Any, block: bool = True, timeout: float | None = None) -> None:
        # A limit met for the whole run (see `run_limits`) lets no request leave, even one already waiting.
        run_limits.CURRENT.raise_if_stopped()
        while True:
            with self._lock:
                wait = self._paused_until - time.monotonic()
            if wait <= 0:
                break
            self._cancel.wait(wait)
        with self._lock:
            now = time.monotonic()
            turn = max(now, self._next_call)
            self._next_call = turn + self._spacing * self._widening_at(now)
        turn = self._endpoints.turn(_path_of(request), turn, self._spacing)
        if turn > now:
            self._cancel.wait(turn - now)
        run_limits.CURRENT.check()
        super().acquire_call(request, block=block, timeout=timeout)
        self._cancel.check()  # the last moment before the request leaves
        with self._lock:
            self.requests_sent += 1

    def update_from_response(self, request: Any, response: Any) -> None:
        if not isinstance(response, requests.Response) or not response.ok:
            return
        code = envelope_of(response).code
        with self._lock:
            if code in RATE_LIMIT_CODES:
                self.throttled_responses += 1
                now = time.monotonic()
                # Several workers hit the limit at once: one pause covers them all.
                if self._paused_until <= now:
                    self._paused_until = now + self._next_pause * self._pause_scale
                    self._next_pause = min(MAX_PAUSE_SECONDS, self._next_pause * 2)
                    last, self._last_pause_at = self._last_pause_at, now
                    if last is not None and now - last <= WIDEN_WITHIN_SECONDS:
                        self._widening = min(MOST_WIDENING, self._widening_at(now) * WIDEN_ON_THROTTLE)
                        self._widened_at = now
            elif code == 0:
                self._next_pause = FIRST_PAUSE_SECONDS

    def timed_out(self, path: str) -> None:
        """A request to `path` timed out: repeated timeouts slow that endpoint (see `endpoint_pace`)."""
        self._endpoints.timed_out(path, time.monotonic())

    def endpoint_slowing(self, path: str) -> float:
        """How many times the run's spacing requests to `path` are spaced now."""
        return self._endpoints.slowing(path, time.monotonic())

    def _widening_at(self, now: float) -> float:
        """The spacing's widening at `now`, worn off since the last throttling pause."""
        worn = 0.5 ** ((now - self._widened_at) / WIDENING_HALF_LIFE_SECONDS)
        return 1.0 + (self._widening - 1.0) * worn

    @property
    def spacing_seconds(self) -> float:
        """The time between two calls now."""
        with self._lock:
            return self._spacing * self._widening_at(time.monotonic())

    @property
    def paused_for(self) -> float:
        with self._lock:
            return max(0.0, self._paused_until - time.monotonic())


def _path_of(request: Any) -> str:
    return request_context(request if isinstance(request, requests.PreparedRequest) else None)[0]
