"""The page permits shared by the fetch workers: what bounds the memory of pages fetched ahead.

A worker takes a permit before each request for a slice ahead of the one being read, and the permit
comes back once the reader is done with that page. The slice being read never waits for a permit.
A worker that would wait for one fetches pages of the listing being read instead, if it offers any
(`pipeline.listing`), so a long listing keeps the rate budget busy.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from .events import Reservation
from .listing import PagesAhead

if TYPE_CHECKING:
    from .feed import Feed

# How often a waiting worker looks again without being woken (a cancel, a permit count that grew).
POLL_SECONDS = 0.2


class PagePermits:
    """`total()` says how many permits there are: it is asked each time a worker wants one, so the
    count may change while the read runs."""

    def __init__(
        self, total: Callable[[], int], call_idle_workers: Callable[[], None] = lambda: None
    ) -> None:
        self._condition = threading.Condition()
        self._total = total
        self._taken = 0
        self._current: Feed | None = None
        self._call_idle_workers = call_idle_workers

    def reserve(self, feed: Feed) -> Reservation:
        """A permit for the next page of `feed`, or none needed, or the feed is cancelled.

        While it waits, the worker fetches pages of the listing being read, if it offers any."""
        while True:
            with self._condition:
                if feed.cancelled:
                    return Reservation.CANCELLED
                if feed is self._current:
                    return Reservation.EXEMPT
                if self._taken < self._total():
                    self._taken += 1
                    return Reservation.PERMIT
                claimed = self._claim_page_ahead()
                if claimed is None:
                    self._condition.wait(POLL_SECONDS)
                    continue
            pages_ahead, page = claimed
            pages_ahead.fetch_claimed(page)  # without the lock: the request takes a while

    def help_once(self) -> bool:
        """Fetch one page of the listing being read, if it offers one; False if it does not."""
        with self._condition:
            claimed = self._claim_page_ahead()
        if claimed is None:
            return False
        pages_ahead, page = claimed
        pages_ahead.fetch_claimed(page)
        return True

    def _claim_page_ahead(self) -> tuple[PagesAhead, int] | None:
        pages_ahead = self._current.pages_ahead if self._current is not None else None
        page = pages_ahead.claim() if pages_ahead is not None else None
        return None if pages_ahead is None or page is None else (pages_ahead, page)

    def wake(self) -> None:
        """A permit, or a page to fetch ahead, may be there now: waiting workers look again, and idle
        ones are called in."""
        with self._condition:
            self._condition.notify_all()
        self._call_idle_workers()

    def release(self) -> None:
        with self._condition:
            self._taken -= 1
            self._condition.notify_all()

    @property
    def free(self) -> int:
        with self._condition:
            return self._total() - self._taken

    def set_current(self, feed: Feed | None) -> None:
        """`feed` is the slice being read now."""
        with self._condition:
            self._current = feed
        self.wake()
