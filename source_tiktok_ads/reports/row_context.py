"""What a report row means without a join: the currency of its money, the time zone of its dates, the UTC
instant its local day or hour starts, and whether the next incremental sync will read its day again.

One `RowStamp` per (stream, advertiser), made when the stream plans that advertiser's slices; `apply`
adds four top-level fields to a built record. Everything that does not depend on the row is worked out
once, and each `stat_time_*` string is converted to UTC once per stamp.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..advertisers import Advertiser

# A report window has at most a few hundred distinct times; past this the cache starts again.
UTC_CACHE_SIZE = 4096
# TikTok names zones the IANA way (`Europe/Moscow`, `Etc/GMT+8`). Whether it ever sends a bare offset
# such as `UTC+08:00` is not known [?]; if it does, it is read as that fixed offset (the usual sign, not
# the inverted POSIX one of `Etc/GMT+8`), and any other unknown name leaves `stat_time_utc` null rather
# than guessed.
_OFFSET_NAME = re.compile(r"(?:UTC|GMT)\s*([+-])(\d{1,2})(?::?(\d{2}))?")


def row_context_schema(dated: bool) -> dict[str, Any]:
    """The JSON schema of the fields `RowStamp.apply` adds (`stat_time_utc` only on dated reports)."""
    properties: dict[str, Any] = {
        "currency": {"type": ["null", "string"]},
        "timezone": {"type": ["null", "string"]},
    }
    if dated:
        properties["stat_time_utc"] = {
            "type": ["null", "string"],
            "format": "date-time",
            "airbyte_type": "timestamp_with_timezone",
        }
    properties["is_provisional"] = {"type": ["null", "boolean"]}
    return properties


def zone_of(name: str | None) -> tzinfo | None:
    """The tz of a TikTok time zone name, or None when the name means nothing known."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        pass
    match = _OFFSET_NAME.fullmatch(name.strip())
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if offset > timedelta(hours=14):
        return None
    return timezone(-offset if sign == "-" else offset)


def utc_instant(local: str, zone: tzinfo) -> str | None:
    """`YYYY-MM-DD HH:MM:SS` local to `zone` as an RFC 3339 UTC instant.

    A local time that does not exist (the hour skipped when clocks go forward) is read with the offset
    in force before the change, which is the instant the change happens: a day that starts at such a
    time starts then. A time that occurs twice (clocks going back) is its first occurrence [?] (what
    TikTok puts in the repeated hour is not documented)."""
    try:
        naive = datetime.fromisoformat(local)
    except (TypeError, ValueError):
        return None
    if naive.tzinfo is not None:
        return None
    return naive.replace(tzinfo=zone).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class RowStamp:
    """The added fields of one advertiser's rows in one report stream."""

    __slots__ = ("_currency", "_first_provisional_day", "_time_dimension", "_timezone", "_utc", "_zone")

    def __init__(
        self,
        advertiser: Advertiser,
        time_dimension: str | None,
        first_provisional_day: date | None,
    ) -> None:
        """`first_provisional_day`: the first day the next incremental sync reads again (None for a
        report without a time dimension, which every sync reads whole)."""
        self._currency = advertiser.currency or None
        self._timezone = advertiser.timezone or None
        self._zone = zone_of(advertiser.timezone)
        self._time_dimension = time_dimension
        self._first_provisional_day = first_provisional_day.isoformat() if first_provisional_day else None
        self._utc: dict[str, str | None] = {}

    def apply(self, record: dict[str, Any]) -> dict[str, Any]:
        record["currency"] = self._currency
        record["timezone"] = self._timezone
        if self._time_dimension is None:
            record["is_provisional"] = True
            return record
        local = record.get(self._time_dimension)
        if local.__class__ is not str:
            # No day, no promise: a row TikTok sent without its time cannot be said to be final.
            record["stat_time_utc"] = None
            record["is_provisional"] = True
            return record
        utc = self._utc.get(local, "")
        if utc == "":
            utc = self._convert(local)
        record["stat_time_utc"] = utc
        # `YYYY-MM-DD…` strings compare as their days do.
        record["is_provisional"] = local[:10] >= self._first_provisional_day  # type: ignore[operator]
        return record

    def _convert(self, local: str) -> str | None:
        utc = utc_instant(local, self._zone) if self._zone is not None else None
        if len(self._utc) >= UTC_CACHE_SIZE:
            self._utc.clear()
        self._utc[local] = utc
        return utc


def first_provisional_day(cursor_after: date, attribution_window: int) -> date:
    """The first day the next incremental sync reads again: it resumes `attribution_window` days before
    the cursor this sync leaves (see `ReportStream._date_range`)."""
    return cursor_after - timedelta(days=attribution_window)
