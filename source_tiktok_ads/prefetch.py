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
  slice the main thread waits for is always running or next to run: work ahead can never starve it.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

PAGES_PER_FEED = 2
# Page permits per worker. A permit is taken before the request and held until the page is emitted,
# so it also covers the wait for the rate budget and the request itself: with 100 ms latency and two
# permits each, the workers spent about a third of their time waiting for one. Medium benchmark,
# 100 ms latency, 10/s: 1.21-1.27x its budget floor with 2, 1.18x with 3, 1.16x with 4, for a peak
# RSS of about 300, 420 and 360-390 MiB (run.tune_malloc returns large buffers; noise is +-40 MiB).
PAGE_PERMITS_PER_WORKER = 4
_END = object()
_POLL_SECONDS = 0.2

Page = list[dict[str, Any]]
SliceKey = tuple[str, str]


def slice_key(stream_name: str, stream_slice: Mapping[str, Any] | None) -> SliceKey:
    return stream_name, json.dumps(stream_slice or {}, sort_keys=True, default=str)


class PageBudget:
    """Page permits shared by the workers; the slice being read is exempt."""

    def __init__(self, permits: int) -> None:
        self._condition = threading.Condition()
        self._free = permits
        self._current: Feed | None = None

    def reserve(self, feed: Feed) -> bool | None:
        """True: a permit was taken. False: none needed (the slice is being read). None: cancelled."""
        with self._condition:
            while True:
                if feed.cancelled:
                    return None
                if feed is self._current:
                    return False
                if self._free > 0:
                    self._free -= 1
                    return True
                self._condition.wait(_POLL_SECONDS)

    def release(self) -> None:
        with self._condition:
            self._free += 1
            self._condition.notify_all()

    @property
    def free(self) -> int:
        with self._condition:
            return self._free

    def set_current(self, feed: Feed | None) -> None:
        with self._condition:
            self._current = feed
            self._condition.notify_all()


class _Error:
    def __init__(self, error: BaseException) -> None:
        self.error = error


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


def _produce(pages: Callable[[], Iterable[Any]], feed: Feed) -> None:
    if feed.cancelled:  # skipped before a worker got to it: make no request
        return
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
        self, num_workers: int, lookahead: int | None = None, page_permits: int | None = None
    ) -> None:
        self._executor = ThreadPoolExecutor(max_workers=num_workers, thread_name_prefix="tiktok-fetch")
        self._lookahead = lookahead or num_workers * 2
        self._budget = PageBudget(page_permits or num_workers * PAGE_PERMITS_PER_WORKER)
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
