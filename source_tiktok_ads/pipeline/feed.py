"""The pages of one slice, handed from the worker that fetches them to the reader of the slice."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from .events import FeedItem, PageItem, Reservation, SliceEnd, SliceFailed
from .listing import ListingHelpers, PagesAhead
from .page_permits import POLL_SECONDS, PagePermits

# Pages of the slice being read (which hold no permit) that may wait for its reader.
PAGES_PER_FEED = 2


class Feed(ListingHelpers):
    """A queue of `FeedItem`s; also the listing handle its worker gives the slice's listings, so
    idle workers can fetch their later pages while this slice is the one being read."""

    def __init__(self, permits: PagePermits) -> None:
        self._queue: queue.Queue[FeedItem] = queue.Queue()
        self._unheld_room = threading.Semaphore(PAGES_PER_FEED)
        self._handover = threading.Lock()
        # The page the reader holds, until it is done with it.
        self._handed_out: PageItem | None = None
        self._cancelled = threading.Event()
        # Set when the whole run stops: the reader raises it instead of taking the next page.
        self._interrupted: BaseException | None = None
        self.permits = permits
        self.pages_ahead: PagesAhead | None = None

    @contextmanager
    def offering(self, pages_ahead: PagesAhead) -> Iterator[PagesAhead]:
        pages_ahead.wake_helpers = self.permits.wake
        self.pages_ahead = pages_ahead
        self.permits.wake()
        try:
            yield pages_ahead
        finally:
            if self.pages_ahead is pages_ahead:
                self.pages_ahead = None
            pages_ahead.close()

    def put(self, item: FeedItem) -> bool:
        """Hand an item over; False once the reader gave up on this slice.

        A page that holds a permit is already counted against the memory bound and never waits. A
        page of the slice being read holds none, so its worker waits while PAGES_PER_FEED such pages
        are queued: bounding the queue itself would instead stop a slice ahead after a couple of
        pages, and the slice being read would then fetch the rest one after another."""
        if isinstance(item, PageItem) and not item.holds_permit:
            while not self._unheld_room.acquire(timeout=POLL_SECONDS):
                if self._cancelled.is_set():
                    return False
        with self._handover:  # after a cancel nothing enters the queue, so no permit is lost there
            if self._cancelled.is_set():
                return False
            self._queue.put(item)
        return True

    def cancel(self) -> None:
        with self._handover:
            self._cancelled.set()
        # Pages nobody will read give their permits back, and so does the page the reader stopped at.
        self._done_with_page()
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, PageItem) and item.holds_permit:
                self.permits.release()
        if self._interrupted is not None:
            self._queue.put(SliceFailed(self._interrupted))  # wakes a reader waiting for the next item

    def interrupt(self, error: BaseException) -> None:
        """The reader raises `error` at once, even while it waits, whatever pages are queued before it."""
        self._interrupted = error
        self.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def __iter__(self) -> Iterator[object]:
        while True:
            item = self._queue.get()
            if self._interrupted is not None:
                raise self._interrupted
            if isinstance(item, SliceEnd):
                return
            if isinstance(item, SliceFailed):
                raise item.error
            with self._handover:
                self._handed_out = item
            try:
                yield item.page
            finally:
                # Also when the reader stops here for good: its generator is closed, or the feed cancelled.
                self._done_with_page()

    def _done_with_page(self) -> None:
        with self._handover:
            item, self._handed_out = self._handed_out, None
        if item is None:
            return
        if item.reservation is Reservation.PERMIT:
            self.permits.release()
        else:
            self._unheld_room.release()
