"""The complete-window guarantee of a report read: one listing's rows arrive whole, once, or not at all.

A report listing is one request window of one advertiser (optionally filtered by buying type). Read
through `CompleteWindow`, it yields converted pages such that:

- every row TikTok counts for the window (`page_info.total_number`) arrived; rows added while the pages
  are read shift the pages and can hide rows, so a count mismatch reads the window once more, and a
  second mismatch fails the stream with a transient error;
- no row is emitted twice for one listing (or for listings sharing the set under `EMITTED_KEYS`): rows
  are told apart by their dimensions, on any page and across the re-read;
- no row without its key dimensions is emitted; they are counted and fail the stream once the window's
  other rows are through (`RowsWithoutKey`);
- metrics TikTok refuses (40002) before the first page are dropped for the run, for that advertiser, and
  the window is asked for again (`MetricHealing`); a refusal after a page was handed over is the user's
  to fix;
- a window TikTok finds too large (40067) is read as two halves, each with the same guarantees, unless a
  page was already handed over or the window is a single day; a report without a time dimension (a
  lifetime query, or one summed over its window) is read in parts by id instead (`id_split`), since its
  halves' rows would share keys and the second half's be dropped as repeats;
- a window of several days that timed out (`timeout_shrink`) is read as two halves the same way, even
  after a page was handed over: the halves' rows already emitted are not emitted again;
- a listing TikTok cut at its id limit (`report_cut`) is read again in parts (`id_split`), each with
  the same guarantees; a part still cut at the finest split fails the window.

Pages come from a callable reading one listing unchecked: `(request_slice, convert, helpers)`, where
`helpers` lets idle fetch workers take later pages of the listing (`pipeline.listing`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from typing import Any

from airbyte_cdk.models import FailureType

from ..api.cut_notice import CUT_NOTICE
from ..api.errors import QueryTimedOut, QueryTooLarge, SliceRefused
from ..pipeline.listing import NO_HELPERS, ListingHelpers
from .definitions import TIME_DIMENSION
from .healing import MetricHealing, ParameterRejected, rejection_error
from .id_split import CutSplit
from .keyless_rows import RowsWithoutKey
from .report_cut import TOO_LARGE, CutTooFine, ReportCut, cut_seen, id_dimension_index
from .windows import halves

# Request-slice key of the set of row keys emitted by the slice's earlier requests.
EMITTED_KEYS = "_emitted_keys"
WINDOW_ATTEMPTS = 2

Convert = Callable[[Mapping[str, Any]], Any]
ListingReader = Callable[..., Iterable[Any]]
RowKey = tuple[Any, ...]


class PageRows:
    """One page's rows not emitted yet, kept to itself until the page is converted whole: a page asked
    for again after a broken body must not be mistaken for rows already emitted."""

    def __init__(
        self, dimensions: tuple[str, ...], emitted: set[RowKey], id_index: int | None = None
    ) -> None:
        self._dimensions = dimensions
        self._emitted = emitted
        self._id_index = id_index
        # The ids of every row of the page, emitted or not: what TikTok's id cut counts.
        self.ids: set[Any] = set()
        self.keys: set[RowKey] = set()
        self.rows = 0
        self.keyless: list[RowKey] = []

    def fresh(self, items: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
        """The items whose key was neither emitted before nor seen earlier on this page."""
        dimensions, emitted, keys, id_index = self._dimensions, self._emitted, self.keys, self._id_index
        for item in items:
            self.rows += 1
            row_dimensions = item.get("dimensions")
            if not isinstance(row_dimensions, dict):
                row_dimensions = {}
            key = tuple(map(row_dimensions.get, dimensions))
            if None in key:
                self.keyless.append(key)
                continue
            if id_index is not None:
                self.ids.add(key[id_index])
            if key not in emitted and key not in keys:
                keys.add(key)
                yield item


class WindowAttempt:
    """One read of a window: the rows that arrived, the totals TikTok gave, the keyless rows."""

    def __init__(
        self, dimensions: tuple[str, ...], records_field: str, emitted: set[RowKey], convert: Convert
    ) -> None:
        self._dimensions = dimensions
        self._records_field = records_field
        self._emitted = emitted
        self._convert = convert
        self._id_index = id_dimension_index(dimensions)
        self.rows = 0
        self.ids: set[Any] = set()
        self.cut_notice: str | None = None
        self.totals: set[int] = set()
        self.keyless_rows = 0
        # The key dimensions missing from keyless rows, in the order first seen.
        self.missing: dict[str, None] = {}

    def convert_page(self, data: Mapping[str, Any]) -> Any:
        """`convert` of the page's fresh rows; what the page taught is kept once it is converted."""
        page = PageRows(self._dimensions, self._emitted, self._id_index)
        converted = self._convert({self._records_field: page.fresh(data.get(self._records_field) or ())})
        self._emitted.update(page.keys)
        self.ids.update(page.ids)
        if CUT_NOTICE in data:
            self.cut_notice = str(data[CUT_NOTICE])
        self.rows += page.rows
        for key in page.keyless:
            self.keyless_rows += 1
            self.missing.update(
                (name, None) for name, value in zip(self._dimensions, key, strict=True) if value is None
            )
        total = (data.get("page_info") or {}).get("total_number")
        if isinstance(total, int):
            self.totals.add(total)
        return converted

    @property
    def complete(self) -> bool:
        """TikTok gave no count, or one count that equals the rows that arrived."""
        return not self.totals or (len(self.totals) == 1 and self.rows == next(iter(self.totals)))


class CompleteWindow:
    """Reads report listings with the guarantees of this module, for one stream."""

    def __init__(
        self,
        stream_name: str,
        dimensions: Iterable[str],
        records_field: str,
        healing: MetricHealing,
        read_unchecked: ListingReader,
        logger: logging.Logger,
        cut_split: CutSplit | None = None,
    ) -> None:
        self.stream_name = stream_name
        self.dimensions = tuple(dimensions)
        self.records_field = records_field
        self.healing = healing
        self.read_unchecked = read_unchecked
        self.logger = logger
        self.cut_split = cut_split
        # Only a report with a time dimension keeps its rows apart when its window is split by date.
        self.by_time = any(name in TIME_DIMENSION.values() for name in self.dimensions)
        # Parts by id keep rows apart only when each row is about one id (not advertiser-level rows).
        self.splits_by_id = cut_split is not None and id_dimension_index(self.dimensions) is not None

    def read(
        self, request_slice: Mapping[str, Any], convert: Convert, helpers: ListingHelpers = NO_HELPERS
    ) -> Iterator[Any]:
        """The converted pages of one listing, whole; metrics refused on the way are dropped (the stream
        announces them once it is read, so that each advertiser gets one warning whatever the timing)."""
        healing = self.healing
        advertiser_id = str(request_slice["advertiser_id"])
        if EMITTED_KEYS not in request_slice:
            # Shared by the parts of a window read again in parts, whose rows overlap.
            request_slice = {**request_slice, EMITTED_KEYS: set()}
        learned = self.cut_split.recalls(request_slice) if self.cut_split is not None else None
        if learned is not None:
            # An earlier window of the advertiser had to be split: this one is asked for in its groups.
            assert self.cut_split is not None
            yield from self.cut_split.read_learned(self, request_slice, learned, convert, helpers)
            return
        for _ in range(healing.max_rounds):
            # Every page of one listing asks for the same metrics, even if another worker drops one meanwhile.
            asked = healing.metrics(advertiser_id)
            asking = {**request_slice, "metrics": asked}
            fetched_a_page = False
            try:
                for page in self.read_counted(asking, convert, helpers):
                    fetched_a_page = True
                    yield page
            except ParameterRejected as rejection:
                self._drop_refused(rejection, asked, fetched_a_page, advertiser_id)
                continue
            except (QueryTooLarge, QueryTimedOut) as too_large:
                yield from self.read_smaller(asking, fetched_a_page, too_large, convert, helpers)
            except ReportCut as cut:
                if self.cut_split is None:
                    raise CutTooFine(
                        self.stream_name, cut.request_slice, "the whole window", cut.why
                    ) from None
                yield from self.cut_split.read_parts(self, cut, convert, helpers)
            return
        raise AssertionError("unreachable: every round drops at least one metric")

    def _drop_refused(
        self, rejection: ParameterRejected, asked: tuple[str, ...], fetched_a_page: bool, advertiser_id: str
    ) -> None:
        # Metrics TikTok accepted for a first page cannot be refused for a later one; a 40002 there, or
        # one naming no metric asked for, is the user's to fix.
        if fetched_a_page or not self.healing.drop(rejection, asked, advertiser_id):
            raise rejection_error(rejection) from None

    def read_smaller(
        self,
        request_slice: Mapping[str, Any],
        fetched_a_page: bool,
        refusal: QueryTooLarge | QueryTimedOut,
        convert: Convert,
        helpers: ListingHelpers = NO_HELPERS,
    ) -> Iterator[Any]:
        """The window TikTok found too large or did not answer in time, read in smaller parts: halves by
        date (each split again if need be), or parts by id for a report without a time dimension."""
        start, end = request_slice.get("start_date"), request_slice.get("end_date")
        timed_out = isinstance(refusal, QueryTimedOut)
        # TikTok decides "too large" before paging; if it ever came after a page was handed over, the
        # parts would be read under a count that already failed once, so fail instead of guessing.
        if fetched_a_page and not timed_out:
            raise refusal
        if self.by_time and start is not None and start != end:
            problem = "timed out" if timed_out else "too large for TikTok"
            self.logger.info(f"{self.stream_name}: window {start}..{end} {problem}; splitting it in two.")
            yield from self._read_halves(request_slice, start, end, convert, helpers)
        elif not (self.by_time or timed_out) and self.splits_by_id:
            cut = ReportCut(request_slice, refusal.internal_message or refusal.message)
            assert self.cut_split is not None
            yield from self.cut_split.read_parts(self, cut, convert, helpers, TOO_LARGE)
        else:
            raise refusal

    def _read_halves(
        self,
        request_slice: Mapping[str, Any],
        start: str,
        end: str,
        convert: Convert,
        helpers: ListingHelpers,
    ) -> Iterator[Any]:
        for part_start, part_end in halves(date.fromisoformat(start), date.fromisoformat(end)):
            part = {**request_slice, "start_date": part_start.isoformat(), "end_date": part_end.isoformat()}
            yield from self.read(part, convert, helpers)

    def read_counted(
        self, request_slice: Mapping[str, Any], convert: Convert, helpers: ListingHelpers = NO_HELPERS
    ) -> Iterator[Any]:
        """The window's rows checked against TikTok's own count, read once more on a mismatch."""
        emitted: set[RowKey] = request_slice.get(EMITTED_KEYS, set())
        for attempt_number in range(1, WINDOW_ATTEMPTS + 1):
            attempt = WindowAttempt(self.dimensions, self.records_field, emitted, convert)
            yield from self.read_unchecked(request_slice, attempt.convert_page, helpers)
            why = cut_seen(attempt.cut_notice, len(attempt.ids))
            if why is not None:
                raise ReportCut(request_slice, why)
            if attempt.complete:
                if attempt.keyless_rows:
                    raise RowsWithoutKey(
                        self.stream_name, attempt.keyless_rows, attempt.missing, request_slice
                    )
                return
            self._warn_short(request_slice, attempt, attempt_number)
        raise SliceRefused(
            message=f"{self.stream_name}: rows of advertiser {request_slice['advertiser_id']} kept changing while "
            f"they were read ({WINDOW_ATTEMPTS} attempts); the window is left for the next sync to read again.",
            failure_type=FailureType.transient_error,
        )

    def _warn_short(
        self, request_slice: Mapping[str, Any], attempt: WindowAttempt, attempt_number: int
    ) -> None:
        self.logger.warning(
            f"{self.stream_name}: advertiser {request_slice['advertiser_id']} window "
            f"{request_slice.get('start_date', 'lifetime')}..{request_slice.get('end_date', '')}: TikTok counted "
            f"{sorted(attempt.totals)} rows, {attempt.rows} arrived (attempt {attempt_number} of "
            f"{WINDOW_ATTEMPTS}); reading it again."
        )
