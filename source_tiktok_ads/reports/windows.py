"""Date windows for report requests, within TikTok's span limits (inclusive dates)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from .row_context import zone_of

# Days per request by time dimension. The day limit is read as "30 inclusive days" (sources disagree
# whether end - start may reach 30); 30 inclusive days is accepted under both readings.
MAX_DAYS_DAILY = 30
MAX_DAYS_HOURLY = 1
MAX_DAYS_NO_TIME_DIMENSION = 365


def windows(start: date, end: date, max_days: int) -> list[tuple[date, date]]:
    """Consecutive inclusive windows covering start..end, each at most max_days long."""
    result = []
    cursor = start
    while cursor <= end:
        window_end = min(end, cursor + timedelta(days=max_days - 1))
        result.append((cursor, window_end))
        cursor = window_end + timedelta(days=1)
    return result


def halves(start: date, end: date) -> list[tuple[date, date]]:
    """Split a window in two for a retry after TikTok's "query too large"; a single day cannot split."""
    days = (end - start).days + 1
    if days <= 1:
        return [(start, end)]
    middle = start + timedelta(days=days // 2 - 1)
    return [(start, middle), (middle + timedelta(days=1), end)]


def local_today(timezone_name: str | None, now: datetime) -> date:
    """Today in the advertiser's reporting time zone: TikTok's report dates are local to the account.
    `now` must be timezone-aware. An unknown zone falls back to UTC."""
    zone = zone_of(timezone_name)
    return now.astimezone(zone).date() if zone is not None else now.date()
