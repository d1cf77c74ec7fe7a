"""Per-advertiser cursors, stored as `{"states": [{"partition": {"advertiser_id": …}, "cursor": {field: value}}]}`.

The same shape Airbyte's source-tiktok-marketing writes; its other shapes (a shared cursor, a global one,
the older flat ones) are converted by `state_shapes` first, and a state that cannot be read fails the read
before any request, naming the stream and the value.

Each cursor is a low-water mark, like the one airbyte-cdk's `ConcurrentCursor` keeps per partition: it
covers only what was read completely, from the start, without a gap. Slices of one advertiser are read
in date order, so the cursor follows them until one is left unread (`hold`); from then on, for the rest
of the run, that advertiser's cursor stays where it was, even though its later slices are still read and
emitted. The next sync starts before the slice left unread and reads it (and re-reads what followed,
which append + dedup makes harmless).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from .state_shapes import canonical_state


class AdvertiserCursors:
    def __init__(self, cursor_field: str) -> None:
        self.cursor_field = cursor_field
        self._values: dict[str, str] = {}
        # Advertisers with a slice left unread in this run: their cursors no longer move.
        self._held: set[str] = set()
        # The CDK reads a stream's state after every record; it is rebuilt only when a cursor moves.
        self._state: dict[str, Any] | None = None

    def load(self, state: Mapping[str, Any] | None, logger: logging.Logger) -> None:
        """Takes a saved state in any shape `state_shapes` reads, converted to `{"states": [...]}` first."""
        state = canonical_state(state, self.cursor_field)
        self._values = {}
        self._held = set()
        self._state = None
        if not state:
            return
        entries = state.get("states") if isinstance(state, Mapping) else None
        if not isinstance(entries, list):
            logger.warning(f"Ignoring saved state without a 'states' list for cursor {self.cursor_field}.")
            return
        for entry in entries:
            try:
                advertiser_id = str(entry["partition"]["advertiser_id"])
                value = entry["cursor"][self.cursor_field]
            except (KeyError, TypeError):
                logger.warning(f"Ignoring an unreadable saved state entry: {entry!r:.200}")
                continue
            if isinstance(value, str) and value:
                self._values[advertiser_id] = value

    def get(self, advertiser_id: str) -> str | None:
        return self._values.get(advertiser_id)

    def advance(self, advertiser_id: str, value: str | None) -> None:
        """A slice of the advertiser, and every one before it in this run, was read completely up to
        `value`. Moves the cursor forward only, and not at all once a slice was left unread; callers pass
        values in one sortable string format."""
        if advertiser_id in self._held:
            return
        if value and value > self._values.get(advertiser_id, ""):
            self._values[advertiser_id] = value
            self._state = None

    def hold(self, advertiser_id: str) -> None:
        """A slice of the advertiser was left unread: its cursor stays before it for the rest of the run."""
        self._held.add(advertiser_id)

    def held(self, advertiser_id: str) -> bool:
        return advertiser_id in self._held

    def as_state(self) -> dict[str, Any]:
        if self._state is None:
            self._state = {
                "states": [
                    {"partition": {"advertiser_id": advertiser_id}, "cursor": {self.cursor_field: value}}
                    for advertiser_id, value in sorted(self._values.items())
                ]
            }
        return self._state
