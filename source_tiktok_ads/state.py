"""Per-advertiser cursors, stored as `{"states": [{"partition": {"advertiser_id": …}, "cursor": {field: value}}]}`.

The same shape Airbyte's source-tiktok-marketing writes, so its state (which also carries
`parent_slice`, `state`, `lookback_window`, …) is read without complaint. Anything unreadable is
dropped with a warning, and those advertisers start again from the configured start date.
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
        # The CDK reads a stream's state after every record; it is rebuilt only when a cursor moves.
        self._state: dict[str, Any] | None = None

    def load(self, state: Mapping[str, Any] | None, logger: logging.Logger) -> None:
        state = canonical_state(state, self.cursor_field)
        self._values = {}
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
        """Move the cursor forward only; callers pass values in one sortable string format."""
        if value and value > self._values.get(advertiser_id, ""):
            self._values[advertiser_id] = value
            self._state = None

    def as_state(self) -> dict[str, Any]:
        if self._state is None:
            self._state = {
                "states": [
                    {"partition": {"advertiser_id": advertiser_id}, "cursor": {self.cursor_field: value}}
                    for advertiser_id, value in sorted(self._values.items())
                ]
            }
        return self._state
