"""One API request as a route handler sees it."""

from __future__ import annotations

from dataclasses import dataclass

from .faults import FaultPlan


@dataclass
class Call:
    path: str
    params: dict[str, str]
    # The advertisers the request's access token may see.
    visible: tuple[str, ...]
    faults: FaultPlan
