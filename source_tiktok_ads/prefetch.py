"""Fetch ahead on worker threads; emit in order on the main thread.

The CDK reads streams one after another and a stream's slices one after another, which leaves a
sync waiting on one request at a time. airbyte-cdk's concurrent machinery (StreamFacade +
ConcurrentCursor) keeps one cursor per stream, not one per advertiser, so it cannot hold our
per-advertiser state. Instead, the source plans every (stream, slice) of the run up front and this
executor fetches the pages of the next slices while the CDK is still emitting earlier ones:
- records are still emitted in plan order on the main thread, so state only ever covers slices
  whose records were all emitted;
- a worker takes a page permit before each request for a slice ahead of the one being read, and
  the permit comes back once the main thread is done with that page: memory is bounded by the
  permits (four per worker, plus PAGES_PER_FEED pages of the slice being read), not by the size of
  the sync;
- the slice being read never waits for a permit, and the worker pool is FIFO in plan order, so the
  slice the main thread waits for is always running or next to run: work ahead can never starve it;
- a worker that would wait for a permit, or has no slice to fetch, fetches the next pages of the
  listing being read instead (`PagesAhead`), so a long listing keeps the budget busy.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from .concurrency import InFlightLimit

PAGES_PER_FEED = 2
# Page permits per worker. A permit is taken before the request and held until the page is emitted,
# so it also covers the wait for the rate budget and the request itself: with 100 ms latency and two
# permits each, the workers spent about a third of their time waiting for one. Medium benchmark,
# 100 ms latency, 10/s: 1.21-1.27x its budget floor with 2, 1.18x with 3, 1.16x with 4, for a peak
# RSS of about 300, 420 and 360-390 MiB (run.tune_malloc returns large buffers; noise is +-40 MiB).
# With idle workers fetching ahead for the listing being read (PagesAhead), on a faster day: 357 s
# with 2 and 348-351 s with 4, both at a peak of 280-300 MiB.
PAGE_PERMITS_PER_WORKER = 4
# Responses of the listing being read that may wait for its reader, fetched by otherwise idle workers.
PAGES_AHEAD_OF_READER = 4
_END = object()
_POLL_SECONDS = 0.2

Page = list[dict[str, Any]]
SliceKey = tuple[str, str]


def slice_key(stream_name: str, stream_slice: Mapping[str, Any] | None) -> SliceKey:
    return stream_name, json.dumps(stream_slice or {}, sort_keys=True, default=str)


class PageBudget:
    """Page permits shared by the workers; the slice being read is exempt."""

    def __init__(
        self, permits: int | Callable[[], int], call_idle_workers: Callable[[], None] = lambda: None
    ) -> None:
        self._condition = threading.Condition()
        # A callable total is read at each reservation: the permits follow the in-flight limit.
        self._total = permits if callable(permits) else lambda: permits
        self._taken = 0
        self._current: Feed | None = None
        self._call_idle_workers = call_idle_workers

    def reserve(self, feed: Feed) -> bool | None:
        """True: a permit was taken. False: none needed (the slice is being read). None: cancelled.

        While it waits, the worker fetches pages of the listing being read, if it offers any."""
        while True:
            with self._condition:
                if feed.cancelled:
                    return None
                if feed is self._current:
                    return False
                if self._taken < self._total():
                    self._taken += 1
                    return True
                claimed = self._claim_page_ahead()
                if claimed is None:
                    self._condition.wait(_POLL_SECONDS)
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
        with self._condition:
            self._current = feed
        self.wake()


class _Error:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class PagesAhead:
    """The later pages of one listing, for workers that would otherwise wait for a permit or sit idle.

    A listing is read page after page by one worker. When a long one (the 30-odd pages of a month of
    ad-level audience rows) became the slice being read while the slices ahead held every permit, or
    was the only slice left, it went at one request at a time and the budget sat idle. Once its
    first page says how many there are, the listing offers the rest here: while its slice is the one
    being read, a worker waiting for a permit, or with no slice to fetch, claims the next page and
    makes its request. The listing's own worker still takes every page in order and converts it; a
    page nobody claimed it fetches itself, so without helpers it reads exactly as before. At most
    PAGES_AHEAD_OF_READER responses wait for it.
    """

    def __init__(self, fetch: Callable[[int], Any], first: int, last: int) -> None:
        self._fetch = fetch
        self._condition = threading.Condition()
        self._next_unclaimed = first
        self._last = last
        self._reader_at = first
        self._fetched: dict[int, tuple[bool, Any]] = {}
        self._closed = False
        self.wake_helpers: Callable[[], None] = lambda: None

    def claim(self) -> int | None:
        """The next page for a helper to fetch, or None: all claimed, or enough already waiting."""
        with self._condition:
            page = self._next_unclaimed
            if self._closed or page > self._last or page >= self._reader_at + PAGES_AHEAD_OF_READER:
                return None
            self._next_unclaimed += 1
            return page

    def fetch_claimed(self, page: int) -> None:
        try:
            outcome: tuple[bool, Any] = (True, self._fetch(page))
        except BaseException as error:  # raised by the listing's worker when it gets to this page
            outcome = (False, error)
        with self._condition:
            if not self._closed:
                self._fetched[page] = outcome
            self._condition.notify_all()

    def take(self, page: int) -> Any:
        """The response for `page`, fetched by a helper or, if none claimed it, here and now."""
        with self._condition:
            self._reader_at = page + 1
            claimed = page < self._next_unclaimed
            if claimed:
                while page not in self._fetched:
                    self._condition.wait()
                fetched, outcome = self._fetched.pop(page)
            else:
                self._next_unclaimed = page + 1
        self.wake_helpers()  # one more page may be claimed now
        if not claimed:
            return self._fetch(page)
        if not fetched:
            raise outcome
        return outcome

    def close(self) -> None:
        """The listing is done: responses nobody will take are dropped, and nothing more is claimed."""
        with self._condition:
            self._closed = True
            self._fetched.clear()
            self._condition.notify_all()


class Feed:
    """The pages of one slice, handed from one worker to the main thread."""

    def __init__(self, budget: PageBudget) -> None:
        self._queue: queue.Queue[Any] = queue.Queue()
        self._unheld_room = threading.Semaphore(PAGES_PER_FEED)
        self._handover = threading.Lock()
        # Whether the page the reader holds took a permit (None: it holds none).
        self._handed_out: bool | None = None
        self._cancelled = threading.Event()
        self.budget = budget
        self.pages_ahead: PagesAhead | None = None

    def offer(self, pages_ahead: PagesAhead) -> None:
        pages_ahead.wake_helpers = self.budget.wake
        self.pages_ahead = pages_ahead
        self.budget.wake()

    def withdraw(self, pages_ahead: PagesAhead) -> None:
        if self.pages_ahead is pages_ahead:
            self.pages_ahead = None
        pages_ahead.close()

    def put(self, item: Any, held: bool = True) -> bool:
        """Hand an item over; False once the consumer gave up on this slice.

        A page that holds a permit is already counted against the memory bound and never waits. A
        page of the slice being read holds none, so its worker waits while PAGES_PER_FEED such pages
        are queued: bounding the queue itself would instead stop a slice ahead after a couple of
        pages, and the slice being read would then fetch the rest one after another."""
        if not held:
            while not self._unheld_room.acquire(timeout=_POLL_SECONDS):
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
                return
            if isinstance(item, tuple) and item[1]:
                self.budget.release()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def __iter__(self) -> Iterator[Any]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, _Error):
                raise item.error
            page, held = item
            with self._handover:
                self._handed_out = held
            try:
                yield page
            finally:
                # Also when the reader stops here for good: its generator is closed, or the feed cancelled.
                self._done_with_page()

    def _done_with_page(self) -> None:
        with self._handover:
            held, self._handed_out = self._handed_out, None
        if held is True:
            self.budget.release()
        elif held is False:
            self._unheld_room.release()


def _permits_of(num_workers: int, in_flight: InFlightLimit | None) -> int | Callable[[], int]:
    """Page permits for the workers on the wire: the in-flight limit's, else all of them."""
    if in_flight is None:
        return num_workers * PAGE_PERMITS_PER_WORKER
    return lambda: in_flight.limit * PAGE_PERMITS_PER_WORKER


_worker = threading.local()


@contextmanager
def offered_to_idle_workers(pages_ahead: PagesAhead) -> Iterator[None]:
    """Lets waiting or idle workers fetch these pages while this worker's slice is the one being
    read. Outside a worker (a slice fetched directly) the listing fetches every page itself."""
    feed: Feed | None = getattr(_worker, "feed", None)
    if feed is None:
        try:
            yield
        finally:
            pages_ahead.close()
        return
    feed.offer(pages_ahead)
    try:
        yield
    finally:
        feed.withdraw(pages_ahead)


def _produce(pages: Callable[[], Iterable[Any]], feed: Feed) -> None:
    if feed.cancelled:  # skipped before a worker got to it: make no request
        return
    _worker.feed = feed
    try:
        _produce_pages(pages, feed)
    finally:
        _worker.feed = None


def _produce_pages(pages: Callable[[], Iterable[Any]], feed: Feed) -> None:
    iterator = iter(())
    try:
        iterator = iter(pages())
        while True:
            held = feed.budget.reserve(feed)
            if held is None:
                break
            try:
                page = next(iterator)
            except StopIteration:
                if held:
                    feed.budget.release()
                feed.put(_END)
                return
            except BaseException:
                if held:
                    feed.budget.release()
                raise
            if not feed.put((page, held), held):
                if held:
                    feed.budget.release()
                break
    except BaseException as error:  # handed to the main thread, which raises it in the stream
        feed.put(_Error(error))
        return
    close = getattr(iterator, "close", None)
    if close:
        close()


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
        self._budget = PageBudget(page_permits or _permits_of(num_workers, in_flight), self._call_helper)
        # Help tasks queued or running: each fetches pages of the listing being read while it offers
        # any, then ends, so a worker with no slice to fetch (the last slices of a run, or a single
        # long listing) helps too, and one that has a slice waits at most for a page.
        self._helpers = 0
        self._helpers_lock = threading.Lock()
        self._lock = threading.Lock()
        self._plan: list[tuple[SliceKey, Callable[[], Iterable[Page]]]] = []
        self._feeds: dict[SliceKey, Feed] = {}
        self._position: dict[SliceKey, int] = {}
        self._next_to_submit = 0
        self._consumed_up_to = 0
        # The feed being read; a reader that stops early (a record limit, an error) leaves its worker
        # waiting to hand over the next page, so it is released when the next slice is taken.
        self._current: Feed | None = None

    def plan(self, entries: Iterable[tuple[SliceKey, Callable[[], Iterable[Page]]]]) -> None:
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
            self._budget.set_current(feed)
            self._fill()
            return feed

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
            while self._budget.help_once():
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
        feed = Feed(self._budget)
        self._executor.submit(_produce, self._plan[position][1], feed)
        return feed
