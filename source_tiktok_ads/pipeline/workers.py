"""The fetch-ahead executor: worker threads fetch the pages of the planned slices; the reader takes
them slice after slice, in plan order, on the main thread.

The CDK reads streams one after another and a stream's slices one after another, which leaves a
sync waiting on one request at a time. airbyte-cdk's concurrent machinery (StreamFacade +
ConcurrentCursor) keeps one cursor per stream, not one per advertiser, so it cannot hold our
per-advertiser state. Instead the source plans every (stream, slice) of the run up front
(`pipeline.plan`) and the workers fetch the pages of the next slices while the CDK is still
emitting earlier ones:
- records are still emitted in plan order on the main thread, so state only ever covers slices
  whose records were all emitted;
- memory is bounded by the page permits (`pipeline.page_permits`), plus PAGES_PER_FEED pages of the
  slice being read, not by the size of the sync;
- the slice being read never waits for a permit, and the worker pool is FIFO in plan order, so the
  slice the reader waits for is always running or next to run: work ahead can never starve it;
- a worker that would wait for a permit, or has no slice to fetch, fetches the next pages of the
  listing being read instead (`pipeline.listing`), so a long listing keeps the budget busy.

A slice's pages come from `fetch(listing)`: the worker passes its feed as the listing handle.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..concurrency import InFlightLimit
from .events import SLICE_END, PageItem, Reservation, SliceFailed
from .feed import Feed
from .listing import ListingHelpers
from .page_permits import PagePermits

# Page permits per worker. A permit is taken before the request and held until the page is emitted,
# so it also covers the wait for the rate budget and the request itself: with too few, workers spend
# their time waiting for one.
PAGE_PERMITS_PER_WORKER = 4

SliceKey = tuple[str, str]
# The pages of one slice, given the listing handle its listings offer their later pages through.
SlicePages = Callable[[ListingHelpers], Iterable[Any]]


def slice_key(stream_name: str, stream_slice: Mapping[str, Any] | None) -> SliceKey:
    return stream_name, json.dumps(stream_slice or {}, sort_keys=True, default=str)


def _produce(pages: SlicePages, feed: Feed) -> None:
    """Fetch the slice's pages and hand them over, each under the reservation the permits gave it."""
    if feed.cancelled:  # skipped before a worker got to it: make no request
        return
    iterator: Iterator[Any] = iter(())
    try:
        iterator = iter(pages(feed))
        while (reservation := feed.permits.reserve(feed)) is not Reservation.CANCELLED:
            try:
                page = next(iterator)
            except StopIteration:
                if reservation is Reservation.PERMIT:
                    feed.permits.release()
                feed.put(SLICE_END)
                return
            except BaseException:
                if reservation is Reservation.PERMIT:
                    feed.permits.release()
                raise
            if not feed.put(PageItem(page, reservation)):
                if reservation is Reservation.PERMIT:
                    feed.permits.release()
                break
    except BaseException as error:  # handed to the main thread, which raises it in the stream
        feed.put(SliceFailed(error))
        return
    close = getattr(iterator, "close", None)
    if close:
        close()


def page_permit_total(
    num_workers: int, page_permits: int | None, in_flight: InFlightLimit | None
) -> Callable[[], int]:
    """How many pages may wait ahead of the reader: a fixed number if given, else PAGE_PERMITS_PER_WORKER
    for each request the in-flight limit lets on the wire (read at each reservation, so memory follows
    the limit as it changes), or for each worker when there is no limit."""
    if page_permits:
        return lambda: page_permits
    if in_flight is None:
        return lambda: num_workers * PAGE_PERMITS_PER_WORKER
    return lambda: in_flight.limit * PAGE_PERMITS_PER_WORKER


class Prefetcher:
    def __init__(
        self,
        num_workers: int,
        lookahead: int | None = None,
        page_permits: int | None = None,
        in_flight: InFlightLimit | None = None,
    ) -> None:
        self._executor = ThreadPoolExecutor(max_workers=num_workers, thread_name_prefix="tiktok-fetch")
        self._num_workers = num_workers
        self._lookahead = lookahead or num_workers * 2
        self.permits = PagePermits(page_permit_total(num_workers, page_permits, in_flight), self._call_helper)
        # Help tasks queued or running: each fetches pages of the listing being read while it offers
        # any, then ends, so a worker with no slice to fetch (the last slices of a run, or a single
        # long listing) helps too, and one that has a slice waits at most for a page.
        self._helpers = 0
        self._helpers_lock = threading.Lock()
        self._lock = threading.Lock()
        self._plan: list[tuple[SliceKey, SlicePages]] = []
        self._feeds: dict[SliceKey, Feed] = {}
        self._position: dict[SliceKey, int] = {}
        self._next_to_submit = 0
        self._consumed_up_to = 0
        # The feed being read; a reader that stops early (a record limit, an error) leaves its worker
        # waiting to hand over the next page, so it is released when the next slice is taken.
        self._current: Feed | None = None
        # Set when the read was stopped (`interrupt`): raised by every later `take`.
        self._interrupted: BaseException | None = None

    def plan(self, entries: Iterable[tuple[SliceKey, SlicePages]]) -> None:
        with self._lock:
            for key, pages in entries:
                if key in self._position:
                    continue
                self._position[key] = len(self._plan)
                self._plan.append((key, pages))
            self._fill()

    def take(self, key: SliceKey) -> Feed | None:
        """The feed of a planned slice (None: not planned, fetch it directly). Planned slices before it
        that were never taken belong to a stream that stopped early: they are cancelled."""
        with self._lock:
            if self._interrupted is not None:
                raise self._interrupted
            position = self._position.get(key)
            if position is None or position < self._consumed_up_to:
                return None
            for skipped in range(self._consumed_up_to, position):
                feed = self._feeds.pop(self._plan[skipped][0], None)
                if feed is not None:
                    feed.cancel()
            self._consumed_up_to = position + 1
            if self._current is not None:
                self._current.cancel()
            feed = self._feeds.pop(key, None)
            if feed is None:  # beyond the look-ahead: start it now, ahead of the queue
                feed = self._start(position)
                self._next_to_submit = max(self._next_to_submit, position + 1)
            self._current = feed
            self.permits.set_current(feed)
            self._fill()
            return feed

    def interrupt(self, error: BaseException) -> None:
        """Stops the read at once: the reader raises `error`, and no worker starts another request."""
        with self._lock:
            self._interrupted = error
            current = self._current
        if current is not None:
            current.interrupt(error)
        self.close()

    def close(self) -> None:
        with self._lock:
            for feed in [*self._feeds.values(), self._current]:
                if feed is not None:
                    feed.cancel()
            self._feeds.clear()
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _call_helper(self) -> None:
        with self._helpers_lock:
            if self._helpers >= self._num_workers:
                return
            self._helpers += 1
        try:
            self._executor.submit(self._help)
        except RuntimeError:  # shut down: nothing left to help
            self._helper_done()

    def _help(self) -> None:
        try:
            while self.permits.help_once():
                pass
        finally:
            self._helper_done()

    def _helper_done(self) -> None:
        with self._helpers_lock:
            self._helpers -= 1

    def _fill(self) -> None:
        while (
            self._next_to_submit < len(self._plan)
            and self._next_to_submit < self._consumed_up_to + self._lookahead
        ):
            key = self._plan[self._next_to_submit][0]
            self._feeds[key] = self._start(self._next_to_submit)
            self._next_to_submit += 1

    def _start(self, position: int) -> Feed:
        feed = Feed(self.permits)
        self._executor.submit(_produce, self._plan[position][1], feed)
        return feed
