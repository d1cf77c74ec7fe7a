"""The later pages of one listing, offered to workers that would otherwise wait or sit idle.

A listing is read page after page by the worker that fetches its slice. Once its first page says how
many there are, the listing offers the rest through the handle it was given (`ListingHelpers`):
while its slice is the one being read, a worker waiting for a page permit, or with no slice to fetch,
claims the next page and makes its request. The listing's own worker still takes every page in order
and converts it; a page nobody claimed it fetches itself, so without helpers it reads the same
pages in the same order. A slice fetched directly (no worker) gets `NO_HELPERS`: every page is fetched by its reader.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# Responses of the listing being read that may wait for its reader, fetched by otherwise idle workers.
PAGES_AHEAD_OF_READER = 4


class PagesAhead:
    """The pages `first`..`last` of one listing, fetched by `fetch(page)`, by helpers or by the reader.

    At most PAGES_AHEAD_OF_READER responses wait for the reader."""

    def __init__(self, fetch: Callable[[int], Any], first: int, last: int) -> None:
        self._fetch = fetch
        self._condition = threading.Condition()
        self._next_unclaimed = first
        self._last = last
        self._reader_at = first
        # Per page: (True, response) or (False, the error its helper met).
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


class ListingHelpers:
    """The handle a listing offers its later pages through. This one has no helpers: the listing's
    reader fetches every page itself. A worker's feed (`pipeline.feed.Feed`) lends it idle workers."""

    @contextmanager
    def offering(self, pages_ahead: PagesAhead) -> Iterator[PagesAhead]:
        """`pages_ahead`, open to helpers until the listing is done with it."""
        try:
            yield pages_ahead
        finally:
            pages_ahead.close()


NO_HELPERS = ListingHelpers()
