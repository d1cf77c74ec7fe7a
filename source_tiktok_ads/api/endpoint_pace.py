"""Endpoints slowed after repeated timeouts: their requests leave further apart than the run's spacing.

TikTok blocks requests that keep timing out and may lower the app's rate. A lone timeout is a blip and
changes nothing; a timeout that follows another on the same endpoint within `REPEATED_WITHIN_SECONDS`
doubles that endpoint's spacing (up to `MOST_SLOWING` times the run's), and the slowing wears off by
itself (halving every `SLOWING_HALF_LIFE_SECONDS`), so a read that got past a slow hour speeds up again.
Other endpoints keep the run's pace. Times are passed in, so that the caller's clock rules.
"""

from __future__ import annotations

import threading

REPEATED_WITHIN_SECONDS = 60.0
SLOW_DOWN_FACTOR = 2.0
MOST_SLOWING = 8.0
SLOWING_HALF_LIFE_SECONDS = 600.0


class EndpointPace:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_timeout: dict[str, float] = {}
        # path -> (slowing when set, when set)
        self._slowing: dict[str, tuple[float, float]] = {}
        self._next_call: dict[str, float] = {}

    def timed_out(self, path: str, now: float) -> None:
        """Note a request to `path` that timed out at `now`."""
        with self._lock:
            last, self._last_timeout[path] = self._last_timeout.get(path), now
            if last is not None and now - last <= REPEATED_WITHIN_SECONDS:
                slowed = min(MOST_SLOWING, self._slowing_at(path, now) * SLOW_DOWN_FACTOR)
                self._slowing[path] = (slowed, now)

    def slowing(self, path: str, now: float) -> float:
        """How many times the run's spacing requests to `path` are spaced now (1: not slowed)."""
        with self._lock:
            return self._slowing_at(path, now)

    def turn(self, path: str, earliest: float, spacing: float) -> float:
        """When a request to `path` that may leave at `earliest` leaves; books the endpoint's next turn."""
        with self._lock:
            slowing = self._slowing_at(path, earliest)
            if slowing == 1.0 and path not in self._next_call:
                return earliest
            turn = max(earliest, self._next_call.get(path, earliest))
            self._next_call[path] = turn + spacing * slowing
            return turn

    def _slowing_at(self, path: str, now: float) -> float:
        slowed, since = self._slowing.get(path, (1.0, now))
        worn = 0.5 ** (max(0.0, now - since) / SLOWING_HALF_LIFE_SECONDS)
        return 1.0 + (slowed - 1.0) * worn
