"""The fetch-ahead workers: in-order delivery, bounded buffering, errors handed over, no stuck workers."""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

from source_tiktok_ads.pipeline import workers
from source_tiktok_ads.pipeline.events import Reservation
from source_tiktok_ads.pipeline.feed import PAGES_PER_FEED, Feed
from source_tiktok_ads.pipeline.listing import NO_HELPERS, PAGES_AHEAD_OF_READER, ListingHelpers, PagesAhead
from source_tiktok_ads.pipeline.page_permits import PagePermits
from source_tiktok_ads.pipeline.workers import PAGE_PERMITS_PER_WORKER, Prefetcher, slice_key

# Only a test that never gets to the state it waits for takes this long: it then fails.
NEVER_SECONDS = 10.0


class Source:
    """Fake slices: each yields `pages` pages and records how far its worker got."""

    def __init__(self) -> None:
        self.produced: dict[int, int] = {}
        self.started: list[int] = []
        self.lock = threading.Lock()

    def pages(self, index: int, pages: int = 3, fail_at: int | None = None, delay: float = 0.0):
        def generate(listing: ListingHelpers = NO_HELPERS) -> Iterator[list[dict]]:
            with self.lock:
                self.started.append(index)
            for page in range(pages):
                if fail_at == page:
                    raise RuntimeError(f"slice {index} failed on page {page}")
                time.sleep(delay)
                with self.lock:
                    self.produced[index] = page + 1
                yield [{"slice": index, "page": page}]

        return generate


def key(index: int) -> tuple[str, str]:
    return slice_key("stream", {"index": index})


class CountingExecutor(ThreadPoolExecutor):
    """The workers' pool, counting its tasks queued and running."""

    def __init__(self, max_workers: int, **kwargs: Any) -> None:
        super().__init__(max_workers, **kwargs)
        self.workers = max_workers
        self.queued = 0
        self.running = 0
        self.count_lock = threading.Lock()

    @property
    def unfinished(self) -> int:
        with self.count_lock:
            return self.queued + self.running

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self.count_lock:
            self.queued += 1
        future = super().submit(self._run, fn, *args, **kwargs)
        future.add_done_callback(self._cancelled)
        return future

    def _run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with self.count_lock:
            self.queued -= 1
            self.running += 1
        try:
            return fn(*args, **kwargs)
        finally:
            with self.count_lock:
                self.running -= 1

    def _cancelled(self, future: Future[Any]) -> None:
        if future.cancelled():  # never ran
            with self.count_lock:
                self.queued -= 1


class SleepersCondition(threading.Condition):
    """The permits' condition, knowing which threads wait on it and have not been woken since."""

    def __init__(self) -> None:
        super().__init__()
        self.sleepers: set[int] = set()

    def wait(self, timeout: float | None = None) -> bool:
        # Called with the lock held: the thread has just found nothing it can take.
        self.sleepers.add(threading.get_ident())
        try:
            return super().wait(timeout)
        finally:
            self.sleepers.discard(threading.get_ident())

    def notify(self, n: int = 1) -> None:
        self.sleepers.clear()  # which of them wakes is not known: none counts as asleep any more
        super().notify(n)

    def notify_all(self) -> None:
        self.sleepers.clear()
        super().notify_all()


@pytest.fixture
def executors(monkeypatch: pytest.MonkeyPatch) -> list[CountingExecutor]:
    """The pools of the prefetchers the test makes, in order."""
    made: list[CountingExecutor] = []

    def make(max_workers: int, **kwargs: Any) -> CountingExecutor:
        made.append(CountingExecutor(max_workers, **kwargs))
        return made[-1]

    monkeypatch.setattr(workers, "ThreadPoolExecutor", make)
    return made


def watched(prefetcher: Prefetcher) -> Prefetcher:
    """`prefetcher`, its permits' waiters visible: call before `plan` starts any worker."""
    prefetcher.permits._condition = SleepersCondition()
    return prefetcher


def waiting_in_feed_put(permits: PagePermits) -> int:
    """Threads blocked in `Feed.put` of a feed of `permits`, waiting for room for a page of the slice
    being read. Only the reader makes room, so while it does not read they stay there."""
    count = 0
    for frame in sys._current_frames().values():
        if frame.f_code.co_filename != threading.__file__ or frame.f_code.co_name != "wait":
            continue
        caller = frame
        while caller is not None and caller.f_code.co_filename == threading.__file__:
            caller = caller.f_back
        owner = caller.f_locals.get("self") if caller is not None else None
        if caller is not None and caller.f_code is Feed.put.__code__ and owner.permits is permits:
            count += 1
    return count


def settle(prefetcher: Prefetcher, executor: CountingExecutor) -> None:
    """Wait until no worker can do anything more without the reader: every task running is blocked, on
    the permits (with no wake-up since it looked) or on room in the slice being read, and a task still
    queued has no free thread to run on."""

    def settled() -> bool:
        condition = prefetcher.permits._condition
        assert isinstance(condition, SleepersCondition)
        # Holding the permits' lock, no permit comes back and nobody is woken while this looks.
        with condition, executor.count_lock:
            blocked = len(condition.sleepers) + waiting_in_feed_put(prefetcher.permits)
            running, queued = executor.running, executor.queued
        return blocked == running and (queued == 0 or running == executor.workers)

    wait_until(settled, "the workers settled")


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + NEVER_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"never reached: {what}"
        time.sleep(0.001)


def test_pages_come_back_in_plan_order_from_parallel_workers() -> None:
    source = Source()
    prefetcher = Prefetcher(num_workers=4)
    prefetcher.plan((key(i), source.pages(i, delay=0.01 * (5 - i))) for i in range(5))
    try:
        seen = [row for i in range(5) for page in prefetcher.take(key(i)) for row in page]
    finally:
        prefetcher.close()
    assert seen == [{"slice": i, "page": p} for i in range(5) for p in range(3)]


def test_pages_ahead_are_bounded_by_permits_and_the_lookahead(executors: list[CountingExecutor]) -> None:
    source = Source()
    prefetcher = watched(Prefetcher(num_workers=2, lookahead=2, page_permits=3))
    prefetcher.plan((key(i), source.pages(i, pages=10)) for i in range(6))
    try:
        settle(prefetcher, executors[0])
        # Nothing is being read yet: only the look-ahead slices start, and together they fetch as many
        # pages as there are permits.
        assert set(source.started) <= {0, 1}
        assert sum(source.produced.values()) == 3
        # The slice being read needs no permit: it streams through while the others wait.
        assert len([row for page in prefetcher.take(key(0)) for row in page]) == 10
        settle(prefetcher, executors[0])
        # Its pages read, its permits went to the slices ahead, the next one in the look-ahead too.
        assert set(source.started) <= {0, 1, 2}
        assert sum(count for index, count in source.produced.items() if index != 0) == 3
    finally:
        prefetcher.close()


def test_by_default_each_worker_brings_its_share_of_page_permits(executors: list[CountingExecutor]) -> None:
    """Slices ahead fill exactly their permits, and no more, while the reader is busy elsewhere."""
    source = Source()
    prefetcher = watched(Prefetcher(num_workers=3, lookahead=3))
    prefetcher.plan((key(i), source.pages(i, pages=10)) for i in range(6))
    try:
        settle(prefetcher, executors[0])
        assert sum(source.produced.values()) == 3 * PAGE_PERMITS_PER_WORKER
    finally:
        prefetcher.close()


def test_a_slice_ahead_fetches_past_its_queue_while_permits_last(executors: list[CountingExecutor]) -> None:
    """Slices ahead are bounded by the permits alone: a slice whose pages all fit in them is fetched
    whole, so the reader does not later fetch its last pages one after another."""
    source = Source()
    prefetcher = watched(Prefetcher(num_workers=2, lookahead=2, page_permits=8))
    prefetcher.plan((key(i), source.pages(i, pages=5)) for i in range(2))
    try:
        settle(prefetcher, executors[0])
        assert sum(source.produced.values()) == 8
        # However the two workers share the permits, one slice got past what its queue holds.
        assert max(source.produced.values()) > PAGES_PER_FEED + 1
    finally:
        prefetcher.close()


def test_the_slice_being_read_queues_at_most_its_own_few_pages(executors: list[CountingExecutor]) -> None:
    """The slice being read needs no permit, so its own queue bound is what holds its memory."""
    source = Source()
    prefetcher = watched(Prefetcher(num_workers=1, lookahead=1, page_permits=1))
    prefetcher.plan([(key(0), source.pages(0, pages=20))])
    try:
        settle(prefetcher, executors[0])
        assert source.produced == {0: 1}
        feed = prefetcher.take(key(0))
        assert feed is not None
        settle(prefetcher, executors[0])
        # One page under the permit, PAGES_PER_FEED queued without one, one waiting to be queued.
        assert source.produced[0] == 1 + PAGES_PER_FEED + 1
        assert [row["page"] for page in feed for row in page] == list(range(20))
    finally:
        prefetcher.close()


@pytest.mark.parametrize("seed", range(12))
def test_every_permit_comes_back_whatever_the_reader_skips_or_abandons(
    seed: int, executors: list[CountingExecutor]
) -> None:
    """Slices read whole, read in part, or skipped, in a random mix: each slice read whole arrives
    complete and in order, and once the workers are done every permit is free again."""
    rng = random.Random(seed)
    source = Source()
    sizes = [rng.randint(0, 6) for _ in range(10)]
    prefetcher = Prefetcher(num_workers=3, lookahead=4, page_permits=5)
    prefetcher.plan((key(i), source.pages(i, pages=size)) for i, size in enumerate(sizes))
    try:
        for i, size in enumerate(sizes):
            choice = rng.choice(("whole", "whole", "part", "skip"))
            if choice == "skip":
                continue
            time.sleep(rng.random() * 0.02)  # let the workers run ahead by a varying amount
            feed = prefetcher.take(key(i))
            assert feed is not None
            if choice == "whole":
                assert [row["page"] for page in feed for row in page] == list(range(size))
            else:  # the reader stops after a few pages and keeps the generator, as a failing stream does
                pages = iter(feed)
                for _ in range(rng.randint(0, size)):
                    next(pages)
    finally:
        prefetcher.close()
    wait_until(lambda: executors[0].unfinished == 0, "every worker done")
    assert prefetcher.permits.free == 5


def test_errors_are_raised_to_the_reader_of_that_slice_only() -> None:
    source = Source()
    prefetcher = Prefetcher(num_workers=2)
    prefetcher.plan([(key(0), source.pages(0, fail_at=1)), (key(1), source.pages(1))])
    try:
        feed = iter(prefetcher.take(key(0)))
        assert next(feed) == [{"slice": 0, "page": 0}]
        with pytest.raises(RuntimeError, match="slice 0 failed on page 1"):
            next(feed)
        assert len([row for page in prefetcher.take(key(1)) for row in page]) == 3
    finally:
        prefetcher.close()


def test_skipped_and_abandoned_slices_release_their_workers() -> None:
    source = Source()
    prefetcher = Prefetcher(num_workers=1, lookahead=3)
    prefetcher.plan((key(i), source.pages(i, pages=50)) for i in range(4))
    try:
        # Read one page of slice 0, then jump to slice 3 (as when a stream fails or hits a record limit).
        first = iter(prefetcher.take(key(0)))
        next(first)
        rows = [row for page in prefetcher.take(key(3)) for row in page]
        assert len(rows) == 50  # the only worker was freed from slice 0 and skipped 1 and 2
        assert 1 not in source.produced and 2 not in source.produced
    finally:
        prefetcher.close()


def test_unplanned_or_already_read_slices_are_fetched_directly() -> None:
    source = Source()
    prefetcher = Prefetcher(num_workers=1)
    prefetcher.plan([(key(0), source.pages(0))])
    try:
        assert prefetcher.take(key(9)) is None
        list(prefetcher.take(key(0)))
        assert prefetcher.take(key(0)) is None
    finally:
        prefetcher.close()


class Listing:
    """A fake listing of `last` pages: page 1 fetched by its own worker, the rest through `PagesAhead`,
    as `TikTokStream.fetch_listing` does. Records which thread fetched each page and how many of its
    requests were in flight at once. With `overlap_at`, that page's request lasts until another one
    of the listing is in flight too (a listing nobody helps then never gets past it: the test fails)."""

    def __init__(
        self,
        name: str,
        last: int,
        delay: float = 0.0,
        fail_at: int | None = None,
        overlap_at: int | None = None,
    ) -> None:
        self.name, self.last, self.delay, self.fail_at, self.overlap_at = (
            name,
            last,
            delay,
            fail_at,
            overlap_at,
        )
        self.fetched_by: dict[int, str] = {}
        self.in_flight = 0
        self.most_in_flight = 0
        self.lock = threading.Condition()

    def fetch(self, page: int) -> list[dict]:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.lock.notify_all()
            if page == self.overlap_at:
                overlapped = self.lock.wait_for(lambda: self.in_flight > 1, timeout=NEVER_SECONDS)
                assert overlapped, f"{self.name}: no other request while page {page} was in flight"
        try:
            time.sleep(self.delay)
            if page == self.fail_at:
                raise RuntimeError(f"{self.name} page {page} failed")
            with self.lock:
                self.fetched_by[page] = threading.current_thread().name
            return [{"listing": self.name, "page": page}]
        finally:
            with self.lock:
                self.in_flight -= 1

    def pages(self, listing: ListingHelpers = NO_HELPERS) -> Iterator[list[dict]]:
        yield self.fetch(1)
        with listing.offering(PagesAhead(self.fetch, first=2, last=self.last)) as pages_ahead:
            for page in range(2, self.last + 1):
                yield pages_ahead.take(page)


def test_a_listing_nobody_helps_fetches_its_pages_itself_in_order() -> None:
    listing = Listing("alone", last=6)
    pages = [row["page"] for page in listing.pages() for row in page]
    assert pages == [1, 2, 3, 4, 5, 6]
    assert set(listing.fetched_by.values()) == {threading.current_thread().name}


def test_helpers_fetch_no_further_ahead_of_the_reader_than_allowed() -> None:
    listing = Listing("bounded", last=20)
    pages_ahead = PagesAhead(listing.fetch, first=2, last=20)
    claimed = []
    while (page := pages_ahead.claim()) is not None:
        claimed.append(page)
        pages_ahead.fetch_claimed(page)
    assert claimed == list(range(2, 2 + PAGES_AHEAD_OF_READER))
    assert pages_ahead.take(2) == [{"listing": "bounded", "page": 2}]
    assert pages_ahead.claim() == 2 + PAGES_AHEAD_OF_READER  # taking a page makes room for one more
    assert pages_ahead.claim() is None


def test_pages_past_the_first_count_are_fetched_by_the_reader() -> None:
    """Rows added while the listing is read can add a page: it was never offered, so the reader fetches it."""
    listing = Listing("grew", last=3)
    pages_ahead = PagesAhead(listing.fetch, first=2, last=2)
    assert pages_ahead.claim() == 2
    pages_ahead.fetch_claimed(2)
    assert pages_ahead.claim() is None
    assert pages_ahead.take(2)[0]["page"] == 2
    assert pages_ahead.take(3)[0]["page"] == 3
    assert listing.fetched_by[3] == threading.current_thread().name


def test_a_helpers_error_is_raised_when_the_reader_reaches_that_page() -> None:
    listing = Listing("broken", last=4, fail_at=3)
    pages_ahead = PagesAhead(listing.fetch, first=2, last=4)
    for _ in range(3):
        page = pages_ahead.claim()
        assert page is not None
        pages_ahead.fetch_claimed(page)  # page 3 fails on the helper, which carries on
    assert pages_ahead.take(2)[0]["page"] == 2
    with pytest.raises(RuntimeError, match="broken page 3 failed"):
        pages_ahead.take(3)


def test_workers_out_of_permits_fetch_the_listing_being_read() -> None:
    """Slices ahead hold every permit; their workers then fetch the pages of the long listing being
    read, which arrive complete and in order, with never more requests in flight than workers."""
    long = Listing("long", last=24, overlap_at=3)
    ahead = [Listing(f"ahead{i}", last=10) for i in range(3)]
    prefetcher = Prefetcher(num_workers=4, lookahead=4, page_permits=2)
    prefetcher.plan([(key(0), long.pages), *((key(i + 1), listing.pages) for i, listing in enumerate(ahead))])
    try:
        feed = prefetcher.take(key(0))
        assert [row["page"] for page in feed for row in page] == list(range(1, 25))
        assert len(set(long.fetched_by.values())) > 1
        assert 1 < long.most_in_flight <= 4
        # The slices ahead are intact: each page exactly once, in order.
        for i in range(len(ahead)):
            assert [row["page"] for page in prefetcher.take(key(i + 1)) for row in page] == list(range(1, 11))
    finally:
        prefetcher.close()


def test_workers_with_no_slice_to_fetch_help_a_lone_long_listing() -> None:
    """One long listing and nothing else planned (one advertiser's ads, a lifetime report): the
    workers that have no slice fetch its pages too, never more at once than there are workers."""
    long = Listing("lone", last=30, overlap_at=3)
    prefetcher = Prefetcher(num_workers=3)
    prefetcher.plan([(key(0), long.pages)])
    try:
        assert [row["page"] for page in prefetcher.take(key(0)) for row in page] == list(range(1, 31))
    finally:
        prefetcher.close()
    assert len(set(long.fetched_by.values())) > 1
    assert 1 < long.most_in_flight <= 3


def test_a_listing_the_reader_abandons_stops_its_helpers(executors: list[CountingExecutor]) -> None:
    long = Listing("abandoned", last=200, delay=0.01)
    blocker = Listing("ahead", last=50)
    prefetcher = Prefetcher(num_workers=3, lookahead=3, page_permits=1)
    prefetcher.plan([(key(0), long.pages), (key(1), blocker.pages)])
    try:
        pages = iter(prefetcher.take(key(0)))
        for _ in range(5):
            next(pages)
        assert [row["page"] for page in prefetcher.take(key(1)) for row in page] == list(range(1, 51))
        # Every task ends (nothing is submitted again unless the reader takes a slice): no worker is left
        # to fetch more, and what the abandoned listing fetched is all it will ever fetch.
        wait_until(lambda: executors[0].unfinished == 0, "every worker done")
        assert len(long.fetched_by) < 5 + PAGES_PER_FEED + PAGES_AHEAD_OF_READER + 3
    finally:
        prefetcher.close()


def test_the_permit_count_is_asked_each_time_so_it_may_change_during_a_read() -> None:
    total = 2
    permits = PagePermits(lambda: total)
    feed = Feed(permits)
    assert [permits.reserve(feed), permits.reserve(feed)] == [Reservation.PERMIT, Reservation.PERMIT]
    assert permits.free == 0
    total = 3
    assert permits.free == 1 and permits.reserve(feed) is Reservation.PERMIT
    permits.set_current(feed)
    assert permits.reserve(feed) is Reservation.EXEMPT  # the slice being read needs none
    feed.cancel()
    assert permits.reserve(feed) is Reservation.CANCELLED
