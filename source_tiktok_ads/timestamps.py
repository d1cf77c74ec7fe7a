"""TikTok timestamps → RFC 3339 strings that every destination reads as a UTC timestamp.

Entity timestamps arrive as "YYYY-MM-DD HH:MM:SS" without an offset (TikTok documents them as UTC),
creative assets as ISO 8601 UTC ("2020-06-10T07:39:14Z"), advertiser `create_time` as epoch seconds.
All come out as "YYYY-MM-DDTHH:MM:SSZ", so cursor values of every stream compare as plain strings.
Plain string surgery: this runs for every record.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def utc_timestamp(value: Any) -> Any:
    if isinstance(value, str):
        if len(value) == 19 and value[10] in " T":
            return f"{value[:10]}T{value[11:]}Z"
        if len(value) == 25 and value.endswith("+00:00"):
            return f"{value[:10]}T{value[11:19]}Z"
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value
