"""The first day an advertiser's reports can have rows: the local day its account was created.

TikTok reports delivery only, and an ad account delivers nothing before it exists, so each report range
starts at the later of `start_date` and that day: without `start_date` (the default backfill from
2016-09-01) this leaves out years of windows that could only come back empty. The day is taken in the
advertiser's own time zone, the one its report days are counted in, so the creation day itself is read.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from ..advertisers import Advertiser
from .row_context import zone_of

# Epoch seconds before 2012 or past 2100 are not a TikTok ad account's creation: such a value is read as
# unknown rather than trusted to drop days.
EARLIEST_CREATION = datetime(2012, 1, 1, tzinfo=UTC).timestamp()
LATEST_CREATION = datetime(2100, 1, 1, tzinfo=UTC).timestamp()


def created_at(create_time: Any) -> datetime | None:
    """`advertiser/info/`'s `create_time` as a UTC instant: Unix seconds as a number or a string of digits
    (what TikTok sends), or `YYYY-MM-DD HH:MM:SS` in UTC (the entity endpoints' form); None otherwise."""
    if isinstance(create_time, bool):
        return None
    if isinstance(create_time, str) and create_time.strip().isdigit():
        create_time = int(create_time.strip())
    if isinstance(create_time, int | float):
        if not EARLIEST_CREATION <= create_time < LATEST_CREATION:
            return None
        return datetime.fromtimestamp(create_time, UTC)
    if isinstance(create_time, str):
        try:
            parsed = datetime.fromisoformat(create_time.strip())
        except ValueError:
            return None
        parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        return parsed if EARLIEST_CREATION <= parsed.timestamp() < LATEST_CREATION else None
    return None


def creation_day(advertiser: Advertiser) -> date | None:
    """The local day (in the advertiser's report time zone) its account was created; None when unknown."""
    instant = created_at(advertiser.create_time)
    zone = zone_of(advertiser.timezone)
    if instant is None or zone is None:
        return None
    return instant.astimezone(zone).date()


def first_report_day(advertiser: Advertiser | None, start_date: date) -> date:
    """The later of `start_date` and the advertiser's creation day."""
    created = creation_day(advertiser) if advertiser is not None else None
    return max(start_date, created) if created else start_date
