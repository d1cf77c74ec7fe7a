"""Pixels, their event statistics and the Instant Page events they support. Production only.

- `pixels`: `pixel/list/`, at most 20 per page.
- `pixel_events_statistics`: `pixel/event/stats/`, per advertiser with all its pixels (in batches of
  10, the documented maximum of `pixel_ids`), over the configured dates in 30-day windows.
- `pixel_instant_page_events`: `pixel/instant_page/event/`, one request per (objective type,
  optimization goal), because the endpoint requires both and has no "all" form.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any

import requests
from airbyte_cdk.sources.streams.http.error_handlers import ErrorHandler, ErrorResolution, ResponseAction

from ..api.envelope import envelope_of
from ..api.errors import PARAMETER_CODE, TikTokErrorHandler, raise_for_stream_handled_code
from ..pipeline.events import Page
from ..pipeline.listing import NO_HELPERS, ListingHelpers
from ..reports.windows import windows
from .base import SyncContext, TikTokStream
from .entities import AdvertiserObjectStream, EntityKind
from .instant_page_pairs import RefusedPairs

PIXELS = EntityKind(
    "pixels", "pixel/list/", "pixel_id", ("create_time",), records_field="pixels", page_size=20
)

PIXEL_STATS_PATH = "pixel/event/stats/"
# Documented maximum number of ids in `pixel_ids`.
PIXEL_IDS_PER_REQUEST = 10
# "The range may not exceed 30 days": whether that means 30 inclusive days or end - start <= 30 is
# not stated [?]; 30 inclusive days is accepted under both readings.
PIXEL_STATS_WINDOW_DAYS = 30

INSTANT_PAGE_PATH = "pixel/instant_page/event/"


class PixelsStream(AdvertiserObjectStream):
    pass


def _creation_day(value: Any) -> date | None:
    """The day a pixel was created, if its `create_time` is readable; its format is not documented [?]."""
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


class PixelEventsStatistics(TikTokStream):
    """One record per pixel and date window: `{advertiser_id, pixel_id, start_date, end_date, statistics}`."""

    # Airbyte declares no key here; one exists, and deduplicating destinations need it. The advertiser
    # is part of it because a pixel can be shared between ad accounts.
    primary_key = ["advertiser_id", "pixel_id", "start_date"]
    page_size = 0

    def __init__(self, context: SyncContext, pixels: PixelsStream) -> None:
        self._pixels = pixels
        super().__init__(context)

    @property
    def name(self) -> str:
        return "pixel_events_statistics"

    @property
    def is_resumable(self) -> bool:
        return False

    def path(self, **kwargs: Any) -> str:
        return PIXEL_STATS_PATH

    def query(self, stream_slice: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "advertiser_id": stream_slice["advertiser_id"],
            "pixel_ids": list(stream_slice["pixel_ids"]),
            "date_range": {"start_date": stream_slice["start_date"], "end_date": stream_slice["end_date"]},
        }

    def transform(self, item: dict[str, Any], stream_slice: Mapping[str, Any]) -> dict[str, Any] | None:
        item.setdefault("advertiser_id", stream_slice.get("advertiser_id"))
        item["start_date"] = stream_slice["start_date"]
        item["end_date"] = stream_slice["end_date"]
        return item

    def date_range(self, today_utc: date) -> tuple[date, date]:
        # TikTok counts pixel events in UTC days, so "today" is the UTC one, not the advertiser's.
        end = min(self.config.end_date or today_utc, today_utc)
        return self.config.start_date, end

    def request_slices(self, stream_slice: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
        advertiser_id = stream_slice["advertiser_id"]
        # The pixel list is read here, not through the pixels stream's own slices: a denied pixel list
        # fails this stream for this advertiser, with the scope it needs.
        listing = {"advertiser_id": advertiser_id}
        pixels = [pixel for records in self._pixels.fetch_pages(listing) for pixel in records]
        start, end = self.date_range(datetime.now(UTC).date())
        ids = [str(pixel["pixel_id"]) for pixel in pixels if pixel.get("pixel_id") is not None]
        created = {str(pixel.get("pixel_id")): _creation_day(pixel.get("create_time")) for pixel in pixels}
        for offset in range(0, len(ids), PIXEL_IDS_PER_REQUEST):
            batch = ids[offset : offset + PIXEL_IDS_PER_REQUEST]
            # No pixel has events before it existed: skip those windows when every creation date is known.
            days = [created[pixel_id] for pixel_id in batch]
            first = max(start, min(days)) if all(days) else start  # type: ignore[type-var]
            for window_start, window_end in windows(first, end, PIXEL_STATS_WINDOW_DAYS):
                yield {
                    "advertiser_id": advertiser_id,
                    "pixel_ids": batch,
                    "start_date": window_start.isoformat(),
                    "end_date": window_end.isoformat(),
                }


class UnsupportedCombinationTolerant(TikTokErrorHandler):
    """40002 on the Instant Page endpoint means "this objective/goal pair is not offered": the answer is
    handed to the stream, which skips the pair and counts it (`SkippedCombinations`)."""

    def interpret_response(
        self, response_or_exception: requests.Response | Exception | None = None
    ) -> ErrorResolution:
        if isinstance(response_or_exception, requests.Response) and response_or_exception.ok:
            envelope = envelope_of(response_or_exception)
            if envelope.problem is None and envelope.code == PARAMETER_CODE:
                # Not IGNORE: the HTTP client logs a line for every ignored answer, and a read skips dozens
                # of pairs per advertiser; the stream logs one line for all of them.
                return ErrorResolution(ResponseAction.SUCCESS)
        return super().interpret_response(response_or_exception)


PAIR_PARAMETERS = ("objective_type", "optimization_goal")


def _templates(message: str, combination: Mapping[str, Any]) -> list[str]:
    """TikTok's message with the pair's values replaced by the parameters' names, every way it reads: a
    value both parameters have (LEAD_GENERATION, REACH) could stand for either, at each place."""
    values = {name: str(combination.get(name) or "") for name in PAIR_PARAMETERS}
    asked = [re.escape(value) for value in dict.fromkeys(values.values()) if value]
    if not asked:
        return [message]
    # Split on the values as whole words: every other piece is one of them.
    pieces = re.split(rf"(?<![A-Za-z0-9_])({'|'.join(asked)})(?![A-Za-z0-9_])", message)
    readings = [pieces[0]]
    for value, text in zip(pieces[1::2], pieces[2::2], strict=True):
        names = [name for name, asked_value in values.items() if asked_value == value]
        readings = [f"{reading}<{name}>{text}" for reading in readings for name in names]
    return readings


class SkippedCombinations:
    """The objective/goal pairs of one advertiser TikTok does not serve, counted by TikTok's reason.

    TikTok's message names the pair ("optimization_goal: CLICK is not supported for objective_type
    REACH."); with the pair's values replaced by the parameters' names, one reason reads the same for
    every pair, so one line gives each reason with its count."""

    def __init__(self, stream_name: str, advertiser_id: str, asked: int) -> None:
        self._stream_name = stream_name
        self._advertiser_id = advertiser_id
        self.asked = asked
        # Per skipped pair: the ways its reason reads.
        self._skipped: list[list[str]] = []

    def skip(self, combination: Mapping[str, Any], message: str) -> None:
        self._skipped.append(_templates(message, combination))

    @property
    def count(self) -> int:
        return len(self._skipped)

    def by_reason(self) -> Counter[str]:
        """Skipped pairs per reason; an ambiguous reading joins a reason an unambiguous pair gave."""
        plain = Counter(readings[0] for readings in self._skipped if len(readings) == 1)
        reasons: Counter[str] = Counter()
        for readings in self._skipped:
            reasons[next((reading for reading in readings if reading in plain), readings[0])] += 1
        return reasons

    def summary(self) -> str:
        reasons = "; ".join(f'{count}: "{reason}"' for reason, count in self.by_reason().most_common())
        return (
            f"{self._stream_name}: advertiser {self._advertiser_id}: TikTok refused {self.count} of {self.asked} "
            f"objective/goal combinations as not offered; they were skipped ({reasons})."
        )

    def log(self, logger: logging.Logger) -> None:
        """One line, if any pair was skipped; a warning when all were: that looks more like a broken
        request than like a quiet account."""
        if not self.count:
            return
        logger.log(logging.WARNING if self.count == self.asked else logging.INFO, self.summary())


class PixelInstantPageEvents(TikTokStream):
    """One record per listed Instant Page event set, tagged with the objective and goal asked for."""

    # Airbyte declares no key; the request's objective and goal plus the business type identify a record.
    primary_key = ["advertiser_id", "objective_type", "optimization_goal", "business_type"]
    page_size = 0

    @property
    def name(self) -> str:
        return "pixel_instant_page_events"

    @property
    def is_resumable(self) -> bool:
        return False

    def __init__(self, context: SyncContext) -> None:
        self._refusals = RefusedPairs()
        super().__init__(context)

    def path(self, **kwargs: Any) -> str:
        return INSTANT_PAGE_PATH

    def get_error_handler(self) -> ErrorHandler | None:
        return UnsupportedCombinationTolerant(self.logger)

    def query(self, stream_slice: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "advertiser_id": stream_slice["advertiser_id"],
            "objective_type": stream_slice["objective_type"],
            "optimization_goal": stream_slice["optimization_goal"],
        }

    def transform(self, item: dict[str, Any], stream_slice: Mapping[str, Any]) -> dict[str, Any] | None:
        item.setdefault("advertiser_id", stream_slice.get("advertiser_id"))
        item["objective_type"] = stream_slice["objective_type"]
        item["optimization_goal"] = stream_slice["optimization_goal"]
        return item

    def request_slices(self, stream_slice: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        return [
            {**stream_slice, "objective_type": objective, "optimization_goal": goal}
            for objective, goal in self._refusals.pairs_to_ask()
        ]

    def fewest_requests(self, stream_slice: Mapping[str, Any] | None) -> int:
        # How many pairs an advertiser asks depends on what the run learns first (see RefusedPairs).
        return 1

    def fetch_pages(
        self, stream_slice: Mapping[str, Any], listing: ListingHelpers = NO_HELPERS
    ) -> Iterator[Page]:
        # The first advertiser asks every pair; the others wait for it and ask only the pairs it was served.
        # The learning read keeps its few pages until it is done, so that no page permit is waited for
        # while other advertisers wait for it.
        with self._refusals.lock:
            learned = None if self._refusals.settled else list(self._fetch_pairs(stream_slice, learns=True))
        yield from learned if learned is not None else self._fetch_pairs(stream_slice, learns=False)

    def _fetch_pairs(self, stream_slice: Mapping[str, Any], learns: bool) -> Iterator[Page]:
        refusals = self._refusals
        asked = 0
        skipped = SkippedCombinations(self.name, stream_slice["advertiser_id"], 0)
        for objective, goal in refusals.pairs_to_ask():
            if learns and not refusals.worth_asking(objective, goal):
                continue
            combination = {**stream_slice, "objective_type": objective, "optimization_goal": goal}
            asked += 1
            _, response = self._fetch_next_page(combination, {}, None)
            envelope = envelope_of(response)
            if envelope.problem is None and envelope.code == PARAMETER_CODE:
                skipped.skip(combination, envelope.message)
                if learns:
                    refusals.refused(objective, goal, envelope.message)
                continue
            items = raise_for_stream_handled_code(response).data.get(self.records_field) or []
            records = self.records_of(items, combination, self.transform)
            del response, envelope, items  # a suspended generator keeps its locals: hold only the records
            yield records
        skipped.asked = asked
        if learns:
            refusals.settle()
        skipped.log(self.logger)


def pixel_streams(context: SyncContext) -> list[TikTokStream]:
    # The statistics stream lists pixels through its own instance, so the two never share paging state.
    return [
        PixelsStream(context, PIXELS),
        PixelEventsStatistics(context, PixelsStream(context, PIXELS)),
        PixelInstantPageEvents(context),
    ]
