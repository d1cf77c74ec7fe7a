"""An endpoint's own rate bucket in front of the run's shared budget.

TikTok gives some endpoints (GMV Max reports) a per-app bucket of their own, counted on top of the
app's global limit: a call to such an endpoint must fit both. The endpoint's bucket is checked first,
then the shared budget, which also sees the answer (so its throttling pause covers these calls too).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airbyte_cdk.sources.streams.call_rate import APIBudget, MovingWindowCallRatePolicy, Rate

from .budget import WINDOW_MARGIN

SECONDS_PER_DAY = 86400


def endpoint_rates(per_second: float, per_minute: int, per_day: int) -> list[Rate]:
    """Evenly spaced calls, a per-minute and a per-day cap; a cap the shorter ones already imply is left
    out (the limiter refuses a list whose longer windows allow a higher rate)."""
    rates = [Rate(limit=1, interval=timedelta(seconds=WINDOW_MARGIN / per_second))]
    if per_minute < per_second * 60:
        rates.append(Rate(limit=per_minute, interval=timedelta(minutes=WINDOW_MARGIN)))
    if per_day < min(per_minute, per_second * 60) * 1440:
        rates.append(Rate(limit=per_day, interval=timedelta(seconds=SECONDS_PER_DAY)))
    return rates


class EndpointBudget(APIBudget):
    def __init__(self, shared: APIBudget | None, per_second: float, per_minute: int, per_day: int) -> None:
        rates = endpoint_rates(per_second, per_minute, per_day)
        super().__init__(policies=[MovingWindowCallRatePolicy(rates=rates, matchers=[])])
        self.shared = shared

    def acquire_call(self, request: Any, block: bool = True, timeout: float | None = None) -> None:
        super().acquire_call(request, block=block, timeout=timeout)
        if self.shared is not None:
            self.shared.acquire_call(request, block=block, timeout=timeout)

    def update_from_response(self, request: Any, response: Any) -> None:
        super().update_from_response(request, response)
        if self.shared is not None:
            self.shared.update_from_response(request, response)

    def timed_out(self, path: str) -> None:
        """Repeated timeouts slow the endpoint in the shared budget, which paces every request."""
        timed_out = getattr(self.shared, "timed_out", None)
        if timed_out is not None:
            timed_out(path)
