"""Which report windows to ask for when some days are known to have no delivery.

Days still settling (the look-back the next incremental sync reads again, and TikTok's data latency)
are always asked for; a settled day without delivery is not. The windows are the fewest of at most
`max_days` days that cover every day asked for: one per day for hourly reports, and for daily ones a
window starting at each first day to ask after the previous window.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

Span = tuple[date, date]

# Today and yesterday, in the advertiser's zone, may still be filling in on TikTok's side whatever the
# look-back: never skipped.
LATENCY_DAYS = 2


def covering_windows(days: Iterable[date], max_days: int) -> list[Span]:
    """The fewest windows of at most `max_days` days covering every one of `days`, in date order; none
    reaches past the last of them."""
    ordered = sorted(set(days))
    result: list[Span] = []
    for day in ordered:
        if not result or day > result[-1][1]:
            result.append((day, min(day + timedelta(days=max_days - 1), ordered[-1])))
    return result


def last_settled_day(first_provisional: date, today: date) -> date:
    """The last day whose report rows no longer change: before the look-back and TikTok's latency."""
    return min(first_provisional - timedelta(days=1), today - timedelta(days=LATENCY_DAYS))


def days_to_ask(first: date, end: date, quiet: set[date]) -> list[date]:
    """Every day of first..end but the quiet ones."""
    every_day = (first + timedelta(days=offset) for offset in range((end - first).days + 1))
    return [day for day in every_day if day not in quiet]
