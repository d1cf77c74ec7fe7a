"""Per-partition cursors, stored as `{"states": [{"partition": {"advertiser_id": …}, "cursor": {field: value}}]}`.

The same shape Airbyte's source-tiktok-marketing writes; its other shapes (a shared cursor, a global one,
the older flat ones) are converted by `state_shapes` first, and a state that cannot be read fails the read
before any request, naming the stream and the value. A partition is one advertiser (`AdvertiserCursors`),
or one store of one advertiser for GMV Max reports (`StoreCursors`), whose reads are per store.

Each cursor is a low-water mark, like the one airbyte-cdk's `ConcurrentCursor` keeps per partition: it
covers only what was read completely, from the start, without a gap. Slices of one partition are read
in date order, so the cursor follows them until one is left unread (`hold`); from then on, for the rest
of the run, that partition's cursor stays where it was, even though its later slices are still read and
emitted. The next sync starts before the slice left unread and reads it (and re-reads what followed,
which append + dedup makes harmless).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from .state_shapes import canonical_state

# A partition's values, in the order of the cursor's partition fields: (advertiser_id,) or
# (advertiser_id, store_id). A shorter key stands for the whole advertiser.
Key = tuple[str, ...]
# Where a cursor applies: an advertiser id, or a partition / slice holding the partition fields.
Where = str | Mapping[str, Any]


class AdvertiserCursors:
    partition_fields: tuple[str, ...] = ("advertiser_id",)

    def __init__(self, cursor_field: str) -> None:
        self.cursor_field = cursor_field
        self._values: dict[Key, str] = {}
        # Partitions with a slice left unread in this run: their cursors no longer move.
        self._held: set[Key] = set()
        # The CDK reads a stream's state after every record; it is rebuilt only when a cursor moves.
        self._state: dict[str, Any] | None = None

    def key(self, where: Where) -> Key:
        if isinstance(where, str):
            return (where,)
        key: list[str] = []
        for field in self.partition_fields:
            if where.get(field) is None:
                break
            key.append(str(where[field]))
        if not key:
            raise KeyError(f"{self.partition_fields[0]} missing from {dict(where)!r:.200}")
        return tuple(key)

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
                key = self.key(entry["partition"])
                value = entry["cursor"][self.cursor_field]
            except (KeyError, TypeError, AttributeError):
                logger.warning(f"Ignoring an unreadable saved state entry: {entry!r:.200}")
                continue
            if isinstance(value, str) and value:
                self._values[key] = value

    def get(self, where: Where) -> str | None:
        """The partition's cursor; for an advertiser whose cursors are split further, the latest of them."""
        key = self.key(where)
        value = self._values.get(key)
        if value is None and len(key) < len(self.partition_fields):
            value = max((v for k, v in self._values.items() if k[: len(key)] == key), default=None)
        return value

    def advance(self, where: Where, value: str | None) -> None:
        """A slice of the partition, and every one before it in this run, was read completely up to
        `value`. Moves the cursor forward only, and not at all once a slice was left unread; callers pass
        values in one sortable string format."""
        key = self.key(where)
        if self.held(where):
            return
        if value and value > self._values.get(key, ""):
            self._values[key] = value
            self._state = None

    def hold(self, where: Where) -> None:
        """A slice of the partition was left unread: its cursor stays before it for the rest of the run.
        Held as a whole advertiser, every partition of the advertiser stays."""
        self._held.add(self.key(where))

    def held(self, where: Where) -> bool:
        key = self.key(where)
        return any(key[:length] in self._held for length in range(1, len(key) + 1))

    def as_state(self) -> dict[str, Any]:
        if self._state is None:
            self._state = {
                "states": [
                    {
                        "partition": dict(zip(self.partition_fields, key, strict=False)),
                        "cursor": {self.cursor_field: value},
                    }
                    for key, value in sorted(self._values.items())
                ]
            }
        return self._state


class StoreCursors(AdvertiserCursors):
    """GMV Max report cursors, one per (advertiser, store): TikTok reports GMV Max one store at a time,
    and a store listed for the first time has its whole history to read, whatever the others reached.

    State saved per advertiser (the format before stores had cursors of their own) is read as the
    cursor of each store the advertiser has, once its stores are listed (`spread`): no store re-reads
    what the advertiser's cursor covered, and none skips what it did not."""

    partition_fields = ("advertiser_id", "store_id")

    def __init__(self, cursor_field: str) -> None:
        super().__init__(cursor_field)
        # The stores listed in this run, per advertiser: the same saved state is loaded again when the
        # stream is read after being planned, and is spread over them again.
        self._stores: dict[str, list[str]] = {}

    def load(self, state: Mapping[str, Any] | None, logger: logging.Logger) -> None:
        super().load(state, logger)
        for advertiser_id, store_ids in self._stores.items():
            self._spread(advertiser_id, store_ids)

    def spread(self, advertiser_id: str, store_ids: list[str]) -> None:
        """The advertiser's stores are known: its cursor saved per advertiser, if any, becomes the cursor
        of each of them that has none of its own, and is no longer kept for the advertiser as a whole."""
        self._stores[advertiser_id] = list(store_ids)
        self._spread(advertiser_id, store_ids)

    def _spread(self, advertiser_id: str, store_ids: list[str]) -> None:
        whole = self._values.pop((advertiser_id,), None)
        if whole is None:
            return
        for store_id in store_ids:
            self._values.setdefault((advertiser_id, store_id), whole)
        self._state = None
