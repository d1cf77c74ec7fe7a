"""What a stream left unread in a run, and the one failure that names it once the stream is done.

A slice TikTok refuses for reasons that concern that slice alone (`SliceRefused`: a permission missing
for one advertiser, rows without their key, a window that kept changing, a time zone that could not be
looked up) is noted here and the stream reads on. Once every slice is through, the stream fails with one
message naming each advertiser left, the windows left, and why, counted as advertisers. The cursors of
those advertisers stayed before what was left (see `state`), so the next sync reads it without being asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from airbyte_cdk.models import AirbyteMessage, FailureType, StreamDescriptor

from .api.errors import TikTokApiError

# Windows named per advertiser in the message; the rest are counted.
WINDOWS_NAMED = 5


@dataclass(frozen=True)
class LeftUnread:
    advertiser_id: str | None
    # (first day, last day) of a report window; None: the advertiser's whole slice.
    window: tuple[str, str] | None
    reason: str
    failure_type: FailureType


def window_of(stream_slice: Mapping[str, Any]) -> tuple[str, str] | None:
    start, end = stream_slice.get("start_date"), stream_slice.get("end_date")
    return (str(start), str(end or start)) if start else None


def merged(windows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Windows in date order, adjacent ones joined: ten 30-day windows left in a row read as one range."""
    joined: list[tuple[str, str]] = []
    for start, end in sorted(set(windows)):
        if joined and date.fromisoformat(start) <= date.fromisoformat(joined[-1][1]) + timedelta(days=1):
            joined[-1] = (joined[-1][0], max(end, joined[-1][1]))
        else:
            joined.append((start, end))
    return joined


def span(window: tuple[str, str]) -> str:
    return window[0] if window[0] == window[1] else f"{window[0]}..{window[1]}"


class UnreadParts:
    """One stream's slices left unread in this run."""

    def __init__(self) -> None:
        self._parts: list[LeftUnread] = []

    def clear(self) -> None:
        self._parts = []

    def add(self, stream_slice: Mapping[str, Any], error: TikTokApiError) -> None:
        advertiser_id = stream_slice.get("advertiser_id")
        self._parts.append(
            LeftUnread(
                None if advertiser_id is None else str(advertiser_id),
                window_of(stream_slice),
                error.message or str(error),
                error.failure_type or FailureType.system_error,
            )
        )

    @property
    def advertisers(self) -> list[str | None]:
        return list(dict.fromkeys(part.advertiser_id for part in self._parts))

    def __bool__(self) -> bool:
        return bool(self._parts)

    def failure(self, stream_name: str) -> UnreadFailure | None:
        """The stream's failure naming everything it left, or None when it left nothing."""
        if not self._parts:
            return None
        advertisers = self.advertisers
        details = " | ".join(self._describe(stream_name, advertiser_id) for advertiser_id in advertisers)
        counted = "1 advertiser" if len(advertisers) == 1 else f"{len(advertisers)} advertisers"
        message = (
            f"Stream {stream_name} left {counted} unread, in part or whole: {details}. Their cursors stay before "
            "what was left, so the next sync reads it."
        )
        # A config error only when every part is the user's to fix (permissions, parameters).
        types = {part.failure_type for part in self._parts}
        failure_type = (
            FailureType.config_error if types == {FailureType.config_error} else FailureType.system_error
        )
        return UnreadFailure(message=message, internal_message=message, failure_type=failure_type)

    def _describe(self, stream_name: str, advertiser_id: str | None) -> str:
        parts = [part for part in self._parts if part.advertiser_id == advertiser_id]
        who = f"advertiser {advertiser_id}" if advertiser_id is not None else "the stream"
        windows = merged([part.window for part in parts if part.window is not None])
        where = ""
        if windows:
            named = ", ".join(span(window) for window in windows[:WINDOWS_NAMED])
            more = len(windows) - WINDOWS_NAMED
            where = f" ({'window' if len(windows) == 1 else 'windows'} {named}{f' and {more} more' if more > 0 else ''})"
        reasons = "; ".join(dict.fromkeys(reason_of(stream_name, part.reason) for part in parts))
        return f"{who}{where}: {reasons}"


def reason_of(stream_name: str, message: str) -> str:
    """A slice's error as one clause of the stream's message: without the stream's name or a final stop."""
    return message.removeprefix(f"{stream_name}: ").rstrip(". ")


class UnreadFailure(TikTokApiError):
    """A stream's failure for what it left: a fact about TikTok's answers, with no code path to show."""

    def as_airbyte_message(self, stream_descriptor: StreamDescriptor | None = None) -> AirbyteMessage:
        message = super().as_airbyte_message(stream_descriptor)
        message.trace.error.stack_trace = None  # type: ignore[union-attr]
        return message
