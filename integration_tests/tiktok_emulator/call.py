"""One API request as a route handler sees it."""

from __future__ import annotations

from dataclasses import dataclass, field

from .faults import FaultPlan


@dataclass
class Call:
    path: str
    params: dict[str, str]
    # The advertisers the request's access token may see.
    visible: tuple[str, ...]
    faults: FaultPlan
    # Response headers the route adds (e.g. `X-Tt-Ads-Throttle`).
    headers: dict[str, str] = field(default_factory=dict)
