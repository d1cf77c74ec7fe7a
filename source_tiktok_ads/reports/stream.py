"""One generic stream reads any report definition from `report/integrated/get/`.

Slices are (advertiser, date window) in date order. An advertiser's cursor moves to a window's last
day only once that whole window and every earlier one of the run is read (see `state`), so a run that
stops half-way, or leaves a window unread, resumes with no gap; each
incremental run re-reads `attribution_window` days before the cursor, because TikTok keeps
updating conversions after the day they are attributed to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from airbyte_cdk.models import FailureType, SyncMode
from airbyte_cdk.sources.streams.core import CheckpointMixin

from ..advertisers import Advertiser
from ..api.errors import SliceRefused
from ..config import DataLevel
from ..pipeline.listing import NO_HELPERS, ListingHelpers
from ..state import AdvertiserCursors, Where
from ..streams.base import FetchedPage, SyncContext, TikTokStream
from .day_plan import covering_windows, days_to_ask, last_settled_day
from .definitions import STATUS_FIELD_BY_LEVEL, ReportDefinition
from .healing import MetricHealing, ReportErrorHandler, raise_if_rejected
from .id_split import CutSplit, cut_query
from .lifespan import first_report_day
from .records import RecordBuilder, report_json_schema
from .row_context import RowStamp, first_provisional_day
from .skipped import BEFORE_CREATION, WITHOUT_DELIVERY, SkippedRequests
from .window_read import EMITTED_KEYS, CompleteWindow
from .windows import MAX_DAYS_NO_TIME_DIMENSION, local_today, windows

REPORT_PATH = "report/integrated/get/"
# Slice key of an advertiser whose time zone `advertiser/info/` could not give: why.
UNDATED = "time_zone_unknown"


def report_query(
    definition: ReportDefinition,
    advertiser_id: str,
    window: tuple[str, str] | None,
    include_deleted: bool,
    top_view: bool = False,
    reach_frequency: bool = False,
    metrics: Iterable[str] | None = None,
) -> dict[str, Any]:
    """The parameters of one report request (before paging); `window` is None for a lifetime query.

    `metrics` replaces the definition's when some were dropped during the run."""
    params: dict[str, Any] = {
        "advertiser_id": advertiser_id,
        "service_type": "AUCTION",
        "report_type": definition.report_type.value,
        "data_level": definition.data_level.value,
        "dimensions": list(definition.dimensions),
        "metrics": list(definition.metrics if metrics is None else metrics),
    }
    if window is None:
        params["query_lifetime"] = True
    else:
        params["start_date"], params["end_date"] = window
    filtering = [dict(entry) for entry in definition.filters]
    if top_view:
        filtering.append(
            {"field_name": "buying_type", "filter_type": "IN", "filter_value": '["RESERVATION_TOP_VIEW"]'}
        )
    if reach_frequency:
        # The value is what public clients send; TikTok's docs name only the TopView one [?].
        filtering.append(
            {"field_name": "buying_type", "filter_type": "IN", "filter_value": '["RESERVATION_RF"]'}
        )
    status_field = STATUS_FIELD_BY_LEVEL.get(definition.data_level)
    if include_deleted and status_field and all(entry["field_name"] != status_field for entry in filtering):
        filtering.append({"field_name": status_field, "filter_type": "IN", "filter_value": '["STATUS_ALL"]'})
    if filtering:
        params["filtering"] = filtering
    return params


class ReportStream(TikTokStream, CheckpointMixin):
    writes_lines_on_worker = True

    def __init__(self, context: SyncContext, definition: ReportDefinition) -> None:
        self.definition = definition
        self._records = RecordBuilder(definition)
        # The CDK asks for the schema once per record; build it once.
        self._schema = report_json_schema(definition)
        self._cursors = AdvertiserCursors(definition.time_dimension or "")
        self._now = datetime.now(UTC)
        self.metric_healing = MetricHealing(definition.name, definition.metrics)
        self.window_read = CompleteWindow(
            definition.name,
            definition.dimensions,
            self.records_field,
            self.metric_healing,
            self.fetch_listing_unchecked,
            self.logger,
            CutSplit(
                definition.name, str(definition.data_level), bool(definition.time_dimension), self.logger
            ),
        )
        # Per advertiser, made when its slices are planned: the fields every record of it gets.
        self._stamps: dict[str, RowStamp] = {}
        # The requests the planned slices leave out, and why (for the plan line).
        self.skipped = SkippedRequests()
        super().__init__(context)

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def primary_key(self) -> list[str]:
        return self.definition.primary_key

    @property
    def cursor_field(self) -> str | list[str]:
        return self.definition.time_dimension or []

    @property
    def is_resumable(self) -> bool:
        return bool(self.definition.time_dimension)

    @property
    def state(self) -> Mapping[str, Any]:
        return self._cursors.as_state() if self.definition.time_dimension else {}

    @state.setter
    def state(self, value: Mapping[str, Any]) -> None:
        if self.definition.time_dimension:
            self._cursors.load(value, self.logger)

    def get_json_schema(self) -> Mapping[str, Any]:
        return self._schema

    def read(self, *args: Any, **kwargs: Any) -> Iterable[Any]:
        try:
            yield from super().read(*args, **kwargs)
        finally:
            # Once per stream: windows read side by side may each find a refused metric of one advertiser.
            self.metric_healing.announce(self.logger)

    def path(self, **kwargs: Any) -> str:
        return REPORT_PATH

    def get_error_handler(self) -> ReportErrorHandler:
        return ReportErrorHandler(self.logger, on_timeout=self.timeout_listener())

    # --- slices -------------------------------------------------------------------------------------

    def plan_slices(
        self, *, sync_mode: SyncMode, cursor_field: list[str] | None = None, stream_state: Any = None
    ) -> Iterable[Mapping[str, Any] | None]:
        self.skipped = SkippedRequests()
        # Per advertiser: its one slice, or its dated range (first day, last day, today) to cut in windows.
        planned: list[dict[str, Any] | tuple[Advertiser, date, date, date]] = []
        for advertiser in self.context.directory.details().values():
            if advertiser.unknown_because:
                # Its report days cannot be dated: one slice that fails, naming why, and makes no request.
                planned.append(
                    {"advertiser_id": advertiser.advertiser_id, UNDATED: advertiser.unknown_because}
                )
                continue
            today = local_today(advertiser.timezone, self._now)
            if self.definition.uses_query_lifetime:
                self._stamps[advertiser.advertiser_id] = RowStamp(advertiser, None, None)
                planned.append({"advertiser_id": advertiser.advertiser_id})
                continue
            start, end = self._date_range(advertiser.advertiser_id, today, sync_mode)
            self._stamps[advertiser.advertiser_id] = self._stamp(advertiser, end)
            planned.append((advertiser, start, end, today))
        ranges = [entry for entry in planned if isinstance(entry, tuple)]
        self._ask_delivery_days(ranges)
        for entry in planned:
            if isinstance(entry, dict):
                yield entry
            else:
                yield from self._advertiser_windows(*entry)

    @property
    def follows_advertiser_delivery(self) -> bool:
        """Whether the stream's rows exist only on days its advertiser delivered, so that the days it did
        not can be left out: every dated report of `report/integrated/get/` but the advertiser-level
        daily one without breakdowns, which is read whole (its rows are the account's own days)."""
        definition = self.definition
        if not definition.time_dimension:
            return False
        return not (
            definition.data_level == DataLevel.AUCTION_ADVERTISER
            and definition.time_dimension == "stat_time_day"
            and not definition.breakdowns
        )

    def _skippable_span(
        self, advertiser: Advertiser, start: date, end: date, today: date
    ) -> tuple[date, date]:
        """The days of the range that may be skipped when quiet: settled ones, from the creation day."""
        cursor_after = self._cursor_after(advertiser.advertiser_id, end)
        settled = last_settled_day(first_provisional_day(cursor_after, self.config.attribution_window), today)
        return first_report_day(advertiser, start), min(end, settled)

    def _ask_delivery_days(self, ranges: list[tuple[Advertiser, date, date, date]]) -> None:
        delivery = self.context.delivery_days
        if delivery is None or not self.follows_advertiser_delivery:
            return
        spans = {
            advertiser.advertiser_id: self._skippable_span(advertiser, *dates)
            for advertiser, *dates in ranges
        }
        delivery.prepare({advertiser_id: span for advertiser_id, span in spans.items() if span[0] <= span[1]})

    def _advertiser_windows(
        self, advertiser: Advertiser, start: date, end: date, today: date
    ) -> Iterator[dict[str, Any]]:
        """The advertiser's windows from the later of `start` and its creation day, without the settled
        days it did not deliver on; what is left out is counted by reason (see `skipped`)."""
        max_days = self.definition.max_window_days
        first = first_report_day(advertiser, start)
        from_creation = windows(first, end, max_days)
        planned = from_creation
        delivery = self.context.delivery_days
        if delivery is not None and self.follows_advertiser_delivery and first <= end:
            quiet = delivery.quiet_days(
                advertiser.advertiser_id, self._skippable_span(advertiser, start, end, today)
            )
            planned = covering_windows(days_to_ask(first, end, quiet), max_days)
        requests = self._window_requests(advertiser)
        if first > start:
            unbounded = len(windows(start, end, max_days))
            self.skipped.add(BEFORE_CREATION, requests * (unbounded - len(from_creation)))
        self.skipped.add(WITHOUT_DELIVERY, requests * (len(from_creation) - len(planned)))
        for window_start, window_end in planned:
            yield {
                "advertiser_id": advertiser.advertiser_id,
                "start_date": window_start.isoformat(),
                "end_date": window_end.isoformat(),
            }

    def _window_requests(self, advertiser: Advertiser) -> int:
        """What one window of the advertiser costs at the least (buying-type listings included)."""
        return self.fewest_requests({"advertiser_id": advertiser.advertiser_id})

    def _stamp(self, advertiser: Advertiser, end: date) -> RowStamp:
        time_dimension = self.definition.time_dimension
        if not time_dimension:
            return RowStamp(advertiser, None, None)
        cursor_after = self._cursor_after(advertiser.advertiser_id, end)
        return RowStamp(
            advertiser, time_dimension, first_provisional_day(cursor_after, self.config.attribution_window)
        )

    def _cursor_after(self, partition: Where, end: date) -> date:
        """The cursor this sync leaves once it completes: the saved one or the range's last day, whichever
        is later; the next incremental sync resumes from it."""
        saved = self._cursors.get(partition)
        return max(end, date.fromisoformat(saved[:10])) if saved else end

    def _date_range(self, partition: Where, today: date, sync_mode: SyncMode) -> tuple[date, date]:
        config = self.config
        end = min(config.end_date, today) if config.end_date else today
        if not self.definition.time_dimension:
            # A range query without a time dimension sums over the longest span TikTok accepts.
            return max(config.start_date, end - timedelta(days=MAX_DAYS_NO_TIME_DIMENSION - 1)), end
        start = config.start_date
        saved = self._cursors.get(partition) if sync_mode == SyncMode.incremental else None
        if saved:
            resume_from = date.fromisoformat(saved[:10]) - timedelta(days=config.attribution_window)
            # A cursor beyond `end` (e.g. a hand-edited future state) yields no window at all.
            start = max(start, resume_from)
        return start, end

    def fewest_requests(self, stream_slice: Mapping[str, Any] | None) -> int:
        return 0 if (stream_slice or {}).get(UNDATED) else super().fewest_requests(stream_slice)

    def fetch_pages(
        self, stream_slice: Mapping[str, Any], listing: ListingHelpers = NO_HELPERS
    ) -> Iterator[FetchedPage]:
        undated = stream_slice.get(UNDATED)
        if undated:
            raise SliceRefused(
                message=f"{self.name}: its time zone is unknown, so its report days cannot be dated ({undated}).",
                failure_type=FailureType.system_error,
            )
        yield from super().fetch_pages(stream_slice, listing)

    # --- requests -----------------------------------------------------------------------------------

    def query(self, stream_slice: Mapping[str, Any]) -> dict[str, Any]:
        window = (
            None
            if self.definition.uses_query_lifetime
            else (stream_slice["start_date"], stream_slice["end_date"])
        )
        params = report_query(
            self.definition,
            stream_slice["advertiser_id"],
            window,
            self.config.include_deleted,
            top_view=bool(stream_slice.get("top_view")),
            reach_frequency=bool(stream_slice.get("reach_frequency")),
            metrics=stream_slice.get("metrics"),
        )
        # A part of a window TikTok cut, or the listing of its ids (see `id_split`).
        return cut_query(params, stream_slice)

    @property
    def probes_topview(self) -> bool:
        # TikTok reports reservation delivery (TopView, Reach & Frequency) below advertiser level only
        # when asked for it by buying type; the advertiser level already includes it.
        return self.definition.data_level != DataLevel.AUCTION_ADVERTISER

    def request_slices(self, stream_slice: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
        # Rows already emitted by the unfiltered request, shared with the R&F one (see below).
        stream_slice = {**stream_slice, EMITTED_KEYS: set()}
        yield stream_slice
        if not self.probes_topview:
            return
        directory = self.context.directory
        advertiser_id = stream_slice["advertiser_id"]
        if directory.has_topview(advertiser_id):
            yield {**stream_slice, "top_view": True, EMITTED_KEYS: set()}
        # Reach & Frequency rows may or may not come without a filter [?]: asked for by buying type
        # too, and a row the unfiltered request already brought is not emitted twice.
        if directory.has_reach_frequency(advertiser_id):
            yield {**stream_slice, "reach_frequency": True}

    def repeat_key_getter(self) -> None:
        # `window_read` already drops every row whose key was emitted for the window, on any page:
        # checking each record's key a second time would only cost CPU on wide report reads.
        return None

    def record_transform(self) -> Callable[[dict[str, Any], Mapping[str, Any]], dict[str, Any] | None]:
        # The record builder already types every dimension and metric from the catalog.
        return self.transform

    def transform(self, item: dict[str, Any], stream_slice: Mapping[str, Any]) -> dict[str, Any] | None:
        advertiser_id = stream_slice["advertiser_id"]
        stamp = self._stamps.get(advertiser_id) or self._unplanned_stamp(advertiser_id)
        return stamp.apply(self._records.build(item, advertiser_id))

    def _unplanned_stamp(self, advertiser_id: str) -> RowStamp:
        """The stamp of a slice fetched without its stream's slices being planned (never in a read, whose
        slices always are): no request is made from here, so the advertiser's zone and currency stay
        unknown."""
        advertiser = Advertiser(advertiser_id)
        _, end = self._date_range(advertiser_id, local_today(None, self._now), SyncMode.full_refresh)
        stamp = self._stamps[advertiser_id] = self._stamp(advertiser, end)
        return stamp

    def read_slice_pages(
        self, sync_mode: SyncMode, stream_slice: Mapping[str, Any], stream_state: Mapping[str, Any]
    ) -> Iterable[FetchedPage]:
        yield from super().read_slice_pages(sync_mode, stream_slice, stream_state)
        if self.definition.time_dimension:
            # Moves only while every earlier window of the advertiser in this run was read completely.
            self._cursors.advance(stream_slice, self._cursor_value(stream_slice["end_date"]))

    def left_unread(self, stream_slice: Mapping[str, Any], refused: SliceRefused) -> None:
        super().left_unread(stream_slice, refused)
        if "advertiser_id" in stream_slice:
            self._cursors.hold(stream_slice)

    def _cursor_value(self, last_day: str) -> str:
        # Same format as the field: a day for daily reports, the day's last hour for hourly ones.
        return last_day if self.definition.time_dimension == "stat_time_day" else f"{last_day} 23:00:00"

    def fetch_listing(
        self,
        request_slice: Mapping[str, Any],
        convert: Callable[[Mapping[str, Any]], Any],
        listing: ListingHelpers = NO_HELPERS,
    ) -> Iterator[Any]:
        return self.window_read.read(request_slice, convert, listing)

    def _fetch_next_page(
        self,
        stream_slice: Mapping[str, Any] | None = None,
        stream_state: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> tuple[Any, Any]:
        request, response = super()._fetch_next_page(stream_slice, stream_state, next_page_token)
        raise_if_rejected(response)
        return request, response

    def fetch_listing_unchecked(
        self,
        request_slice: Mapping[str, Any],
        convert: Callable[[Mapping[str, Any]], Any],
        listing: ListingHelpers = NO_HELPERS,
    ) -> Iterator[Any]:
        """One listing's pages as TikTok serves them, with none of `window_read`'s checks."""
        return super().fetch_listing(request_slice, convert, listing)


def report_streams(context: SyncContext, definitions: Iterable[ReportDefinition]) -> list[ReportStream]:
    return [ReportStream(context, definition) for definition in definitions]
