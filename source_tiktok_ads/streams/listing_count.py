"""Object listings checked against the count TikTok gives on their first page.

TikTok pages by offset. An object deleted while a listing is paged through moves every later object one
place up, so the object that was first on the next page now sits on a page already read: it is never
served. Such a listing holds fewer distinct objects than its first page's `page_info.total_number`, and
a later page counts differently (the listing changed underfoot). It is read once more, emitting only the
objects the first reading did not; if that reading is short and changing too, the advertiser's slice is
left unread, naming it, and its cursor stays before it (see `unread`). A listing that is short while its
count never changed was not shifted (no object can have been skipped): TikTok's count is taken as is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from airbyte_cdk.models import FailureType

from ..api.errors import SliceRefused

T = TypeVar("T")


class ListingCount:
    """Watches the readings of one listing: distinct objects against the first page's count."""

    def __init__(
        self, stream_name: str, request_slice: Mapping[str, Any], records_field: str, id_field: str
    ) -> None:
        self._stream_name = stream_name
        self._advertiser_id = request_slice.get("advertiser_id")
        self._records_field = records_field
        self._id_field = id_field
        # Across readings: the objects already handed on, which a second reading does not hand on again.
        self._seen: set[Any] = set()
        self.readings = 0
        self.start_reading()

    def start_reading(self) -> None:
        self.readings += 1
        self.first_total: int | None = None
        self.later_totals: set[int] = set()
        self.distinct: set[Any] = set()
        # Objects without an id: each counts as one.
        self.anonymous = 0

    def watching(self, convert: Callable[[Mapping[str, Any]], T]) -> Callable[[Mapping[str, Any]], T]:
        def watched(data: Mapping[str, Any]) -> T:
            items = list(data.get(self._records_field) or ())
            ids = [item.get(self._id_field) if isinstance(item, Mapping) else None for item in items]
            fresh = [
                item for item, key in zip(items, ids, strict=True) if key is None or key not in self._seen
            ]
            converted = convert({**data, self._records_field: fresh})
            # Kept only once the page is converted: a page may be converted again (see `TikTokStream`).
            self._count(data, ids)
            return converted

        return watched

    def _count(self, data: Mapping[str, Any], ids: list[Any]) -> None:
        total = (data.get("page_info") or {}).get("total_number")
        if isinstance(total, int):
            if self.first_total is None:
                self.first_total = total
            elif total != self.first_total:
                self.later_totals.add(total)
        known = [key for key in ids if key is not None]
        self.distinct.update(known)
        self._seen.update(known)
        self.anonymous += len(ids) - len(known)

    @property
    def read(self) -> int:
        return len(self.distinct) + self.anonymous

    @property
    def short(self) -> bool:
        """Fewer objects than the first page counted, in a listing that changed while it was paged."""
        return bool(self.later_totals) and self.first_total is not None and self.read < self.first_total

    def describe(self) -> str:
        later = ", ".join(f"{total:,}" for total in sorted(self.later_totals))
        return f"its first page counted {self.first_total:,} objects, later pages {later}; {self.read:,} came"

    def refusal(self) -> SliceRefused:
        message = (
            f"{self._stream_name}: TikTok's listing of advertiser {self._advertiser_id} changed while it was "
            f"paged through, {self.readings} times in a row ({self.describe()}); objects deleted between pages "
            "move later ones onto pages already read, so some were never served, and the advertiser is left "
            "unread."
        )
        return SliceRefused(
            message=message, internal_message=message, failure_type=FailureType.transient_error
        )
