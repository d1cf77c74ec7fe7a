"""Fault injection plan for the emulator.

Every ``*_every`` counter is evaluated against the number of API requests served since the plan
was installed (1-based), so a test that swaps the plan knows exactly which request fails.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

HTTP_ERROR_STATUSES = (500, 502, 503, 504)
HTTP_ERROR_BODIES = ("json", "html", "empty")


@dataclass
class FaultPlan:
    rate_limit_every: int = 0
    qps_cap: int = 0
    advertiser_qps_cap: int = 0
    http_error_every: int = 0
    http_error_status: int = 500
    http_error_body: str = "json"
    code_every: int = 0
    code: int = 50000
    truncated_every: int = 0
    not_object_every: int = 0
    missing_data_every: int = 0
    latency_ms: int = 0
    spike_every: int = 0
    spike_ms: int = 0
    revoke_after: int = 0
    deny: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    query_too_large_rows: int = 0

    def __post_init__(self) -> None:
        if self.http_error_status not in HTTP_ERROR_STATUSES:
            raise ValueError(f"http_error_status must be one of {HTTP_ERROR_STATUSES}")
        if self.http_error_body not in HTTP_ERROR_BODIES:
            raise ValueError(f"http_error_body must be one of {HTTP_ERROR_BODIES}")
        # Paths are compared without the leading slash so "/ad/get/" and "ad/get/" both work.
        self.deny = frozenset((str(adv), str(path).lstrip("/")) for adv, path in self.deny)

    def is_denied(self, advertiser_id: str, path: str) -> bool:
        return (advertiser_id, path.lstrip("/")) in self.deny

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultPlan:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        values = dict(data)
        if "deny" in values:
            values["deny"] = frozenset(tuple(pair) for pair in values["deny"])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["deny"] = sorted([list(pair) for pair in self.deny])
        return data


def hits(every: int, n: int) -> bool:
    """True when request number ``n`` (1-based) is one of every ``every``-th requests."""
    return every > 0 and n % every == 0
