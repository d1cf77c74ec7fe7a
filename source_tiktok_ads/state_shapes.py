"""Saved stream states in every shape source-tiktok-marketing writes, read into this connector's one shape:
`{"states": [{"partition": {"advertiser_id": …}, "cursor": {field: value}}]}`.

The shapes met, for a cursor field such as `stat_time_day`:
- per advertiser (airbyte-cdk's per-partition cursor): `{"states": [{"partition": {"advertiser_id": …,
  "parent_slice": {}}, "cursor": {field: value}}], "state": {field: value}, "use_global_cursor": false,
  "lookback_window": n}`; `state` is the cursor of advertisers without an entry of their own;
- one cursor for every advertiser, which the CDK switches to once a stream has many partitions:
  `{"use_global_cursor": true, "state": {field: value}, "lookback_window": n}`;
- flat, from older releases: `{field: value}`.

A cursor shared by every advertiser applies to each advertiser the config selects that has no entry of
its own, as the CDK's per-partition cursor applies it. `lookback_window` (the CDK's: how long the previous
sync took) and `parent_state` mean nothing here and are dropped. Values are put in the format the stream
writes (a day for daily reports, `YYYY-MM-DD HH:MM:SS` otherwise). A state that cannot be read, or a
cursor that is not a date, fails the read before any request, naming the stream and the value: read
silently, it would send the stream back to start_date.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from airbyte_cdk.models import (
    AirbyteStateBlob,
    AirbyteStateMessage,
    AirbyteStateType,
    AirbyteStreamState,
    FailureType,
)
from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

DAY_CURSOR = "stat_time_day"
# The CDK's marker of a stream that keeps no cursor.
NO_CURSOR_MARKER = "__ab_no_cursor_state_message"
STATE_FIX = (
    "Edit the stream's state in the connection's settings (Advanced → Connection state) to a date such as "
    '{"states": [{"partition": {"advertiser_id": "…"}, "cursor": {"%s": "%s"}}]}, or clear it to read the '
    "stream again from start_date."
)


class UnreadableState(AirbyteTracedException):
    """A saved state of a stream that cannot be read."""

    def __init__(self, stream: str, cursor_field: str, problem: str) -> None:
        example = "2026-01-31" if cursor_field == DAY_CURSOR else "2026-01-31 00:00:00"
        message = f"The saved state of stream {stream} cannot be read: {problem}. " + STATE_FIX % (
            cursor_field,
            example,
        )
        super().__init__(message=message, internal_message=message, failure_type=FailureType.config_error)


@dataclass
class SavedCursors:
    """A stream's saved cursors: per advertiser, and one for every advertiser without its own entry."""

    per_advertiser: dict[str, str] = field(default_factory=dict)
    everyone: str | None = None
    shape: str = "per advertiser"

    def canonical(self, cursor_field: str, advertiser_ids: Iterable[str] = ()) -> dict[str, Any]:
        values = dict(self.per_advertiser)
        if self.everyone is not None:
            for advertiser_id in advertiser_ids:
                values.setdefault(advertiser_id, self.everyone)
        return {
            "states": [
                {"partition": {"advertiser_id": advertiser_id}, "cursor": {cursor_field: value}}
                for advertiser_id, value in sorted(values.items())
            ]
        }


def _shown(value: Any) -> str:
    return json.dumps(value, default=str)[:200]


def cursor_value(stream: str, cursor_field: str, value: Any) -> str:
    """`value` in the format the stream writes for `cursor_field`; UnreadableState if it is not a date."""
    text = value.strip().rstrip("Z").replace("T", " ") if isinstance(value, str) else None
    try:
        if text is None:
            raise ValueError
        moment = (
            datetime.fromisoformat(text)
            if " " in text
            else datetime.combine(date.fromisoformat(text), datetime.min.time())
        )
    except ValueError:
        raise UnreadableState(
            stream, cursor_field, f"its {cursor_field} cursor {_shown(value)} is not a date (YYYY-MM-DD)"
        ) from None
    return moment.strftime("%Y-%m-%d" if cursor_field == DAY_CURSOR else "%Y-%m-%d %H:%M:%S")


def saved_cursors(stream: str, cursor_field: str, state: Any) -> SavedCursors:
    """The cursors of any shape above; UnreadableState for anything else."""
    if not isinstance(state, Mapping):
        raise UnreadableState(stream, cursor_field, f"{_shown(state)} is not an object")
    if not state or state.get(NO_CURSOR_MARKER):
        return SavedCursors()
    if "states" not in state and "state" not in state:
        if cursor_field not in state:
            raise UnreadableState(
                stream, cursor_field, f"{_shown(state)} has no 'states' list and no {cursor_field}"
            )
        return SavedCursors(everyone=cursor_value(stream, cursor_field, state[cursor_field]), shape="flat")
    cursors = SavedCursors(
        shape="one cursor for every advertiser" if state.get("use_global_cursor") else "per advertiser"
    )
    entries = state.get("states", [])
    if not isinstance(entries, list):
        raise UnreadableState(stream, cursor_field, f"'states' is {_shown(entries)}, not a list")
    for entry in entries:
        try:
            advertiser_id = str(entry["partition"]["advertiser_id"])
            value = entry["cursor"][cursor_field]
        except (KeyError, TypeError):
            raise UnreadableState(
                stream,
                cursor_field,
                f"the entry {_shown(entry)} has no partition.advertiser_id or cursor.{cursor_field}",
            ) from None
        cursors.per_advertiser[advertiser_id] = cursor_value(stream, cursor_field, value)
    shared = state.get("state")
    if shared is not None:
        if not isinstance(shared, Mapping) or cursor_field not in shared:
            raise UnreadableState(
                stream, cursor_field, f"'state' is {_shown(shared)}, without {cursor_field}"
            )
        cursors.everyone = cursor_value(stream, cursor_field, shared[cursor_field])
    return cursors


def is_canonical(state: Mapping[str, Any]) -> bool:
    return set(state) == {"states"}


def canonical_state(
    state: Mapping[str, Any] | None, cursor_field: str, stream: str = "this stream"
) -> dict[str, Any]:
    """The state in this connector's shape. A cursor for every advertiser cannot be applied here, where
    the advertisers are not known: `SourceTiktokAds.read` migrates such states before the streams see them."""
    if not state:
        return {}
    if isinstance(state, Mapping) and is_canonical(state):
        return dict(state)
    return saved_cursors(stream, cursor_field, state).canonical(cursor_field)


def migrated_states(
    cursor_fields: Mapping[str, str],
    state: list[AirbyteStateMessage] | None,
    advertiser_ids: Callable[[], list[str]],
    logger: logging.Logger,
) -> list[AirbyteStateMessage] | None:
    """The run's saved states, each stream's in this connector's shape.

    `cursor_fields`: the cursor field of each stream read incrementally. Every state is checked before
    `advertiser_ids` is asked (it may make the run's first request), and only if a cursor for every
    advertiser has to be applied."""
    if not state:
        return state
    manager = ConnectorStateManager(state=state)
    found = {
        stream: saved_cursors(stream, cursor_field, manager.get_stream_state(stream, None))
        for stream, cursor_field in cursor_fields.items()
        if manager.get_stream_state(stream, None)
    }
    migrated = {
        stream: cursors
        for stream, cursors in found.items()
        if not is_canonical(manager.get_stream_state(stream, None))
    }
    if not migrated:
        return state
    ids = advertiser_ids() if any(cursors.everyone is not None for cursors in migrated.values()) else []
    for stream, cursors in migrated.items():
        shared = f", {cursors.everyone} for every advertiser without its own" if cursors.everyone else ""
        logger.info(
            f"{stream}: saved state in source-tiktok-marketing's {cursors.shape} shape read as "
            f"{len(cursors.per_advertiser)} advertiser cursor(s){shared}."
        )
        manager.update_state_for_stream(stream, None, cursors.canonical(cursor_fields[stream], ids))
    return [_with_state(message, manager) for message in state]


def _with_state(message: AirbyteStateMessage, manager: ConnectorStateManager) -> AirbyteStateMessage:
    """A stream's state message with the stream's state as `manager` holds it now; any other as it is."""
    if message.type != AirbyteStateType.STREAM or message.stream is None:
        return message
    descriptor = message.stream.stream_descriptor
    blob = manager.get_stream_state(descriptor.name, descriptor.namespace)
    return AirbyteStateMessage(
        type=AirbyteStateType.STREAM,
        stream=AirbyteStreamState(stream_descriptor=descriptor, stream_state=AirbyteStateBlob(blob)),
    )
