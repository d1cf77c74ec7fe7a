"""What a fetch worker hands the reader of a slice, and what it learns before fetching a page.

A worker asks the page permits before each page (`Reservation`), then puts one `FeedItem` after
another into the slice's feed: pages (`PageItem`), and at the end either `SLICE_END` or the error
the slice failed with (`SliceFailed`), which the reader raises in its stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

Page = list[dict[str, Any]]


class Reservation(Enum):
    """The page permits' answer to a worker about to fetch the next page of its slice."""

    # A permit was taken: it comes back once the reader is done with the page.
    PERMIT = "permit"
    # The slice is the one being read: no permit needed; the feed's own room bounds its pages.
    EXEMPT = "exempt"
    # The reader gave up on the slice: fetch nothing more.
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class PageItem:
    """A page of the slice, and whether it holds a permit (`Reservation.PERMIT`) or not (`EXEMPT`)."""

    page: Any
    reservation: Reservation

    @property
    def holds_permit(self) -> bool:
        return self.reservation is Reservation.PERMIT


@dataclass(frozen=True, slots=True)
class SliceFailed:
    """The slice failed on its worker; the reader raises `error`."""

    error: BaseException


class SliceEnd:
    """Every page of the slice was handed over."""

    __slots__ = ()


SLICE_END = SliceEnd()

FeedItem = PageItem | SliceFailed | SliceEnd
