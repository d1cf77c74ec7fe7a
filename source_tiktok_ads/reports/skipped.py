"""The report requests a read leaves out because their answer is known to be empty, counted by reason
for the plan line: windows before an advertiser existed, and days on which it delivered nothing."""

from __future__ import annotations

from collections import Counter

BEFORE_CREATION = "before the advertiser existed"
WITHOUT_DELIVERY = "on days without delivery"
# The order reasons are named in.
REASONS = (BEFORE_CREATION, WITHOUT_DELIVERY)


class SkippedRequests:
    """Requests left out of one stream's plan, by reason."""

    def __init__(self) -> None:
        self.by_reason: Counter[str] = Counter()

    def add(self, reason: str, requests: int) -> None:
        if requests > 0:
            self.by_reason[reason] += requests

    def merge(self, other: SkippedRequests) -> None:
        self.by_reason.update(other.by_reason)

    @property
    def total(self) -> int:
        return sum(self.by_reason.values())
