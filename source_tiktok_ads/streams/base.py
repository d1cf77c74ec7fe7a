"""What every TikTok stream shares: the base URL and auth, JSON-encoded query parameters, the
envelope, `page_info` pagination, the error policy, and per-advertiser failure isolation."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import requests
from airbyte_cdk.models import FailureType, SyncMode
from airbyte_cdk.sources.streams.call_rate import APIBudget
from airbyte_cdk.sources.streams.http.error_handlers import BackoffStrategy, ErrorHandler
from airbyte_cdk.sources.streams.http.http_client import HttpClient
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from ..advertisers import AdvertiserDirectory
from ..api.auth import AccessTokenAuthenticator
from ..api.cut_notice import with_cut_notice
from ..api.envelope import PARSE_LOCK, UnusableBody, convert_page
from ..api.errors import (
    API_PATH_MARKER,
    AccessDenied,
    SliceRefused,
    TikTokApiError,
    TikTokBackoffStrategy,
    TikTokErrorHandler,
    gave_up,
    raise_for_stream_handled_code,
)
from ..api.params import encode_params, request_timeout
from ..api.transport import TikTokTransport
from ..cdk_adapter import AdaptedHttpStream
from ..config import TikTokAdsConfig
from ..pipeline.encoder import MESSAGE_PER_RECORD, EncodedPage, OutputEncoder, RecordLines
from ..pipeline.events import Page
from ..pipeline.listing import NO_HELPERS, ListingHelpers, PagesAhead
from ..pipeline.progress import ReadProgress
from ..pipeline.workers import Prefetcher, slice_key
from ..scrub import scrub
from ..unread import UnreadParts
from .string_ids import IdPlan, id_plan, with_string_ids

if TYPE_CHECKING:
    from ..reports.activity import DeliveryDays

MAX_PAGE_SIZE = 1000
# A page of records, or the same page already written as RECORD lines on the worker.
FetchedPage = EncodedPage
UNUSABLE_BODY_ATTEMPTS = 4


@dataclass
class SyncContext:
    """What one run shares between its streams."""

    config: TikTokAdsConfig
    directory: AdvertiserDirectory
    authenticator: AccessTokenAuthenticator
    api_budget: APIBudget | None = None
    # Set while a read runs: fetches planned slices ahead on worker threads.
    prefetcher: Prefetcher | None = None
    # Set while a read runs: counts finished slices and records for the progress lines.
    progress: ReadProgress | None = None
    # Set when a read starts: how pages become output.
    encoder: OutputEncoder = MESSAGE_PER_RECORD
    # Under every request of the run: the in-flight gate and the one-piece body read.
    transport: TikTokTransport | None = None
    # Which days each advertiser delivered on (see `reports.activity`); None: every day is read.
    delivery_days: DeliveryDays | None = None


def next_page_from_page_info(
    data: Mapping[str, Any], records_field: str = "list"
) -> Mapping[str, Any] | None:
    """TikTok's `page_info` says how many pages exist; an empty page also ends the listing, so a
    changing `total_page` can never make us loop."""
    page_info = data.get("page_info") or {}
    page = page_info.get("page")
    total_page = page_info.get("total_page")
    if not isinstance(page, int) or not isinstance(total_page, int):
        return None
    if page >= total_page or not data.get(records_field):
        return None
    return {"page": page + 1}


def last_page_of(data: Mapping[str, Any]) -> int:
    """The listing's last page as `page_info` counts it (0 when it does not say)."""
    total_page = (data.get("page_info") or {}).get("total_page")
    return total_page if isinstance(total_page, int) else 0


def primary_key_getter(primary_key: Any) -> Callable[[Mapping[str, Any]], Any] | None:
    """A record's primary key value, or None when the stream has no primary key."""
    if not primary_key:
        return None
    if isinstance(primary_key, str):
        return lambda record: record.get(primary_key)
    fields = [field if isinstance(field, str) else field[0] for field in primary_key]
    return lambda record: tuple(record.get(field) for field in fields)


def drop_repeats(
    records: Page, previous_keys: set[Any], key_of: Callable[[Mapping[str, Any]], Any]
) -> tuple[Page, set[Any]]:
    """TikTok pages by offset, so rows created while a listing is paged through push rows already
    served onto the next page: page N+1 can start with the last rows of page N again (and
    `total_number` grows). The repeat is the same object, so the copy already emitted stands. Only the
    previous page's keys are kept: a shift of more than a whole page (1000 rows created in the instant
    between two requests) is not realistic, and memory stays bounded by one page."""
    keys: set[Any] = set()
    kept = []
    for record in records:
        key = key_of(record)
        if key not in previous_keys and key not in keys:
            kept.append(record)
        # Repeats count too: the next page may repeat them again if more rows arrive meanwhile.
        keys.add(key)
    return kept, keys


# The TikTok for Business permission each endpoint needs, as the developer portal names it, so a
# 40001 tells the user exactly which box to tick. Endpoints missing here get the generic hint only.
PERMISSION_SCOPES: dict[str, str] = {
    "file/image/ad/search/": "Creative Management > Image Management > Read Image Library",
    "file/video/ad/search/": "Creative Management > Video Management > Read Video Library",
    "file/music/get/": "Creative Management > Music management > Read music library",
    "creative/portfolio/list/": "Creative Management > Creative Recommendation > CTA Recommendation",
    # The portal's exact wording for the audience read scope was not found [?]; the family is certain.
    "dmp/custom_audience/list/": "Audience Management",
    "pixel/list/": "Pixel Management > Read Pixels",
    "pixel/event/stats/": "Pixel Management > Pixel Level Reporting",
    "pixel/instant_page/event/": "Pixel Management > Create and Update Pixels",
    "tt_video/list/": "Creative Management > TikTok Posts Management > Authorize TikTok Posts",
}


def with_scope_hint(denied: AccessDenied) -> AccessDenied:
    """Name the portal permission in the message: "no permission" alone does not say what to grant."""
    scope = PERMISSION_SCOPES.get(denied.path)
    if scope and scope not in denied.message:
        denied.message = f"{denied.message} The app needs the permission scope '{scope}' for {denied.path}."
    return denied


class TikTokStream(AdaptedHttpStream, ABC):
    page_size = MAX_PAGE_SIZE
    records_field = "list"
    # Streams whose records nothing on the main thread looks at (and that need no repeat filter after
    # conversion) have their pages written as lines on the worker: a waiting page then holds the text,
    # less than half the memory of the records.
    writes_lines_on_worker = False

    def __init__(self, context: SyncContext) -> None:
        self.context = context
        self.unread = UnreadParts()
        self._planning_failure: Exception | None = None
        self._planned_slices: list[Mapping[str, Any] | None] | None = None
        self._id_plan: tuple[IdPlan, frozenset[str]] | None = None
        super().__init__(authenticator=context.authenticator, api_budget=self.request_budget())
        if context.transport is not None:
            self.use_transport(context.transport)

    def request_budget(self) -> APIBudget | None:
        """The budget this stream's requests pass through: the run's, unless an endpoint has its own."""
        return self.context.api_budget

    @property
    def url_base(self) -> str:
        return self.context.config.api_base_url

    @property
    def config(self) -> TikTokAdsConfig:
        return self.context.config

    def get_error_handler(self) -> ErrorHandler | None:
        return TikTokErrorHandler(self.logger, on_timeout=self.timeout_listener())

    def timeout_listener(self) -> Callable[[str], None] | None:
        """Where this stream's timeouts are told: its budget, which slows an endpoint that keeps timing out."""
        return getattr(self.request_budget(), "timed_out", None)

    def get_backoff_strategy(self) -> BackoffStrategy | list[BackoffStrategy] | None:
        return TikTokBackoffStrategy()

    def request_kwargs(self, **kwargs: Any) -> Mapping[str, Any]:
        return {"timeout": request_timeout()}

    @abstractmethod
    def query(self, stream_slice: Mapping[str, Any]) -> dict[str, Any]:
        """The endpoint's parameters for one slice, before JSON encoding and paging."""

    def request_params(
        self,
        stream_state: Mapping[str, Any] | None,
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> MutableMapping[str, Any]:
        params = self.query(stream_slice or {})
        if self.page_size:
            params["page_size"] = self.page_size
            params["page"] = 1
        if next_page_token:
            params.update(next_page_token)
        return encode_params(params)

    def next_page_token(self, response: requests.Response) -> Mapping[str, Any] | None:
        if not self.page_size:
            return None
        return next_page_from_page_info(raise_for_stream_handled_code(response).data, self.records_field)

    # --- slices ---------------------------------------------------------------------------------

    def plan_slices(
        self, *, sync_mode: SyncMode, cursor_field: list[str] | None = None, stream_state: Any = None
    ) -> Iterable[Mapping[str, Any] | None]:
        """The CDK slices of this stream for the current state (one advertiser, or advertiser x window)."""
        return self.advertiser_slices()

    def use_planned_slices(self, slices: list[Mapping[str, Any] | None]) -> None:
        """The source planned this run's slices (and is fetching them ahead): hand the same ones to the CDK."""
        self._planned_slices = slices

    def planning_failed(self, error: Exception) -> None:
        """Planning this stream failed: reading it raises that error, named for the stream, and makes no
        request."""
        reason = (error.message if isinstance(error, AirbyteTracedException) else None) or str(error)
        internal = error.internal_message if isinstance(error, AirbyteTracedException) else None
        # The CDK's own texts name the status, not the endpoint: the URL in the internal message does.
        path = re.search(rf"{re.escape(API_PATH_MARKER)}([\w/]+)", internal or "")
        where = f" (asking {path.group(1)})" if path else ""
        failure_type = (
            error.failure_type if isinstance(error, AirbyteTracedException) else None
        ) or FailureType.system_error
        message = scrub(f"Stream {self.name} could not be planned{where}, so it was not read: {reason}")
        self._planning_failure = TikTokApiError(
            message=message, internal_message=message, failure_type=failure_type
        )

    def stream_slices(
        self, *, sync_mode: SyncMode, cursor_field: list[str] | None = None, stream_state: Any = None
    ) -> Iterable[Mapping[str, Any] | None]:
        if self._planned_slices is not None:
            planned, self._planned_slices = self._planned_slices, None
            return planned
        return self.plan_slices(sync_mode=sync_mode, cursor_field=cursor_field, stream_state=stream_state)

    # --- fetching: I/O only, safe on worker threads ---------------------------------------------------

    def request_slices(self, stream_slice: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
        """The listings that together make up one CDK slice (e.g. one per buying-type group)."""
        return [stream_slice]

    def fewest_requests(self, stream_slice: Mapping[str, Any] | None) -> int:
        """The requests a slice costs at the least: one per listing it is made of, known in advance when
        the stream lists them without asking TikTok (otherwise one); every further page costs one more."""
        listings = self.request_slices(stream_slice or {})
        return len(listings) if isinstance(listings, list | tuple) else 1

    def fetch_pages(
        self, stream_slice: Mapping[str, Any], listing: ListingHelpers = NO_HELPERS
    ) -> Iterator[FetchedPage]:
        """Pages of records for one CDK slice. Items become records here, on the worker: a page of
        records takes far less memory than the parsed page it came from, and it is what waits.
        `listing`: the handle the slice's listings offer their later pages to idle workers through."""
        transform = self.record_transform()
        records_field = self.records_field
        key_of = self.repeat_key_getter()
        previous_keys: set[Any] = set()
        name = self.name
        encoder = (
            self.context.encoder if self.writes_lines_on_worker and key_of is None else MESSAGE_PER_RECORD
        )
        for request_slice in self.request_slices(stream_slice):

            def to_records(
                data: Mapping[str, Any], request_slice: Mapping[str, Any] = request_slice
            ) -> FetchedPage:
                items = data.get(records_field) or []
                return encoder.page(name, self.each_record(items, request_slice, transform))

            for records in self.fetch_listing(request_slice, to_records, listing):
                if key_of is not None:
                    records, previous_keys = drop_repeats(records, previous_keys, key_of)
                yield records

    def repeat_key_getter(self) -> Callable[[Mapping[str, Any]], Any] | None:
        """The key by which a page's repeats of the previous page are recognised (None: no check)."""
        return primary_key_getter(self.primary_key)

    @staticmethod
    def records_of(items: list[dict[str, Any]], request_slice: Mapping[str, Any], transform: Any) -> Page:
        return list(TikTokStream.each_record(items, request_slice, transform))

    @staticmethod
    def each_record(
        items: list[dict[str, Any]], request_slice: Mapping[str, Any], transform: Any
    ) -> Iterator[dict[str, Any]]:
        for item in items:
            record = transform(item, request_slice)
            if record is not None:
                yield record

    def fetch_listing(
        self,
        request_slice: Mapping[str, Any],
        convert: Callable[[Mapping[str, Any]], Any],
        listing: ListingHelpers = NO_HELPERS,
    ) -> Iterator[Any]:
        """Every page of one listing, following `page_info`, each passed through `convert(data)`.

        The first page says how many there are; the rest are offered to idle workers to fetch ahead
        through `listing` (see `pipeline.listing`), and still converted here, in order. The parsed
        page and its response are dropped before the result is handed on: a generator suspended at
        `yield` keeps its locals alive, and a waiting worker must hold only the result.
        """
        converted, page_token, last_page = self._fetch_and_convert(request_slice, None, convert)
        yield converted
        if not page_token:
            return
        pages_ahead = PagesAhead(
            lambda page: self.fetch_page(request_slice, {"page": page}),
            first=page_token["page"],
            last=last_page,
        )
        with listing.offering(pages_ahead):
            while page_token:
                # No local keeps the response: it is dropped before the page is handed on.
                converted, page_token, _ = self._fetch_and_convert(
                    request_slice, page_token, convert, pages_ahead.take(page_token["page"])
                )
                yield converted

    def _fetch_and_convert(
        self,
        request_slice: Mapping[str, Any],
        page_token: Mapping[str, Any] | None,
        convert: Callable[[Mapping[str, Any]], Any],
        response: requests.Response | None = None,
    ) -> tuple[Any, Mapping[str, Any] | None, int]:
        """One page, parsed and converted under PARSE_LOCK so that one page at a time is being converted;
        also the next page's token and the listing's last page number as this page counts them.

        `response` is the page's if it was already fetched. A large body is only checked by its first
        bytes in the HTTP client and its rows are parsed as `convert` reads them (see `api.envelope`);
        if it then proves unusable (cut short), `convert`'s partial work is dropped and the page is
        asked for again, like any other transient failure, so `convert` must keep what it learns from
        a page to itself until it returns.
        """
        for attempt in range(1, UNUSABLE_BODY_ATTEMPTS + 1):
            if response is None:
                response = self.fetch_page(request_slice, page_token)
            with PARSE_LOCK:
                try:
                    data, converted = convert_page(
                        raise_for_stream_handled_code(response),
                        self.records_field,
                        with_cut_notice(response, convert),
                    )
                    if not self.page_size:
                        return converted, None, 1
                    return converted, next_page_from_page_info(data, self.records_field), last_page_of(data)
                except UnusableBody as problem:
                    if attempt == UNUSABLE_BODY_ATTEMPTS:
                        raise TikTokApiError(
                            message=f"Unusable response from {self.path()} after {attempt} attempts: {problem}.",
                            failure_type=FailureType.transient_error,
                        ) from None
                    self.logger.info(f"{self.name}: unusable page ({problem}); asking for it again.")
                    response = None
        raise AssertionError("unreachable")

    def retries_ran_out(self, error: AirbyteTracedException, client: HttpClient, seconds: float) -> Exception:
        # The message says how many attempts, how long, and for which request.
        return gave_up(error, client, seconds)

    def pages(self, stream_slice: Mapping[str, Any]) -> Iterable[FetchedPage]:
        """Prefetched pages of a planned slice, or fetched here and now."""
        prefetcher = self.context.prefetcher
        feed = prefetcher.take(slice_key(self.name, stream_slice)) if prefetcher else None
        return feed if feed is not None else self.fetch_pages(stream_slice, NO_HELPERS)

    # --- emitting: main thread, in slice order ------------------------------------------------------

    def parse_response(
        self,
        response: requests.Response,
        *,
        stream_state: Mapping[str, Any],
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> Iterable[Mapping[str, Any]]:
        data = raise_for_stream_handled_code(response).data
        transform = self.record_transform()
        for item in data.get(self.records_field) or []:
            record = transform(item, stream_slice or {})
            if record is not None:
                yield record

    def transform(self, item: dict[str, Any], stream_slice: Mapping[str, Any]) -> dict[str, Any] | None:
        """Shape one API item into a record (None drops it). Runs once per record: keep it cheap."""
        return item

    def record_transform(self) -> Callable[[dict[str, Any], Mapping[str, Any]], dict[str, Any] | None]:
        """`transform`, with the schema's id fields made strings whatever JSON type TikTok sent."""
        if self._id_plan is None:
            # Read once: the CDK loads a packaged schema from disk on every call.
            schema = self.get_json_schema()
            self._id_plan = (id_plan(schema), frozenset(schema.get("properties") or ()))
        return with_string_ids(self.transform, *self._id_plan)

    def read_records(
        self,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterable[Mapping[str, Any] | RecordLines]:
        # A slice TikTok refuses for reasons of its own (a missing permission for one advertiser, rows
        # without their key, …) fails this stream for that slice only: the other slices are still read,
        # and the stream names what it left once all of them are done.
        try:
            pages = self.read_slice_pages(sync_mode, stream_slice or {}, stream_state or {})
            yield from self.context.encoder.messages(self.name, pages)
        except SliceRefused as refused:
            if isinstance(refused, AccessDenied):
                with_scope_hint(refused)
            # A warning: the stream goes on, and its error at the end names every slice it left.
            self.logger.warning(refused.message)
            self.left_unread(stream_slice or {}, refused)
        if self.context.progress is not None:
            self.context.progress.slice_done(self.fewest_requests(stream_slice))

    def left_unread(self, stream_slice: Mapping[str, Any], refused: SliceRefused) -> None:
        """Note a slice left unread; streams with cursors also hold the advertiser's cursor before it."""
        self.unread.add(stream_slice, refused)

    def read_slice_pages(
        self, sync_mode: SyncMode, stream_slice: Mapping[str, Any], stream_state: Mapping[str, Any]
    ) -> Iterable[FetchedPage]:
        """The records of one CDK slice, a page at a time, in order."""
        return self.pages(stream_slice)

    def read(self, *args: Any, **kwargs: Any) -> Iterable[Any]:
        if self._planning_failure is not None:
            # Planning this stream failed (an error outside any slice): it fails alone, at its turn.
            failure, self._planning_failure = self._planning_failure, None
            raise failure
        self.unread.clear()
        yield from super().read(*args, **kwargs)
        failure = self.unread.failure(self.name)
        if failure is not None:
            raise failure

    def advertiser_slices(self) -> list[dict[str, Any]]:
        return [{"advertiser_id": advertiser_id} for advertiser_id in self.context.directory.selected_ids()]
