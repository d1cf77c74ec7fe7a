"""Objects deleted while a client pages through a listing of campaigns, ad groups or ads.

TikTok pages by offset. When objects a client already read on page 1 are deleted before it asks for
page 2, every later object moves up by as many places, so page 2 starts that many objects further on:
the objects that were first on page 2 are never served to that client, and `total_number` drops. See
`FaultPlan.rows_deleted_between_pages`.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .dataset import EntityQuery
    from .faults import FaultPlan


def keeps_deleted(query: EntityQuery) -> bool:
    """Whether the listing shows deleted objects too: one it holds still, with another status (which is
    not modelled here), so that a deletion moves nothing."""
    return query.primary_status in ("STATUS_ALL", "STATUS_DELETE") or bool(
        query.secondary_status and query.secondary_status.endswith(("_ALL", "_DELETE"))
    )


class ListingDeletions:
    """The objects the installed fault plan deleted, and how many listings saw a deletion."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._deleted: set[str] = set()
        self._listings = 0

    def reset(self) -> None:
        """A new fault plan: its world has nothing deleted yet."""
        with self._lock:
            self._deleted.clear()
            self._listings = 0

    def listed(
        self,
        selected: list[dict[str, Any]],
        id_key: str,
        query: EntityQuery,
        page_no: int,
        page_size: int,
        faults: FaultPlan,
    ) -> list[dict[str, Any]]:
        """`selected` as the listing stands when this page is asked for."""
        if keeps_deleted(query):
            return selected
        with self._lock:
            remaining = [entity for entity in selected if entity[id_key] not in self._deleted]
            count = faults.rows_deleted_between_pages
            if count and page_no == 2 and self._listings < faults.listings_with_deletions:
                # The first objects page 1 served are deleted just before page 2 is asked for.
                self._deleted.update(entity[id_key] for entity in remaining[: min(count, page_size)])
                self._listings += 1
                remaining = [entity for entity in remaining if entity[id_key] not in self._deleted]
            return remaining
