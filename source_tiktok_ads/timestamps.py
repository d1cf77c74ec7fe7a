"""TikTok timestamps → RFC 3339 strings that every destination reads as a UTC timestamp.

Entity timestamps arrive as "YYYY-MM-DD HH:MM:SS" without an offset (TikTok documents them as UTC),
advertiser `create_time` as epoch seconds. Plain string surgery: this runs for every record.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def utc_timestamp(value: Any) -> Any:
    if isinstance(value, str):
        if len(value) == 19 and value[10] == " ":
            return f"{value[:10]}T{value[11:]}Z"
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value
