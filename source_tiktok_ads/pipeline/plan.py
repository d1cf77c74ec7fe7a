"""Plan a read: every (stream, slice) in the order the CDK will read them, so they can be fetched ahead,
and what the plan costs, for the line the log starts with:

`Plan: 30 streams, 2 advertisers, 1,402 slices, at least 1,415 requests, about 2 min 29 s at 10 requests/s`
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from airbyte_cdk.models import AirbyteStateMessage, ConfiguredAirbyteCatalog
from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.streams import Stream

from ..advertisers import AdvertiserDirectory
from ..api.budget import WINDOW_MARGIN
from ..config import DEFAULT_START_DATE, TikTokAdsConfig
from ..reports.skipped import REASONS, SkippedRequests
from ..reports.stream import ReportStream
from ..streams.base import TikTokStream
from .progress import count, counted, duration
from .workers import SliceKey, SlicePages, slice_key


def least_seconds(requests: int, requests_per_second: float, requests_per_minute: int) -> float:
    """The shortest time the run's budget lets `requests` requests take (see `api.budget`)."""
    if requests <= 0:
        return 0.0
    per_second = requests * WINDOW_MARGIN / requests_per_second
    per_minute = ((requests - 1) // requests_per_minute) * 60 * WINDOW_MARGIN
    return max(per_second, per_minute)


# TopView and Reach & Frequency: one look-up each per advertiser (see AdvertiserDirectory).
BUYING_TYPE_PROBES = 2


@dataclass
class ReadPlan:
    """What the planned slices of a read add up to."""

    streams: int = 0
    slices: int = 0
    slice_requests: int = 0
    advertisers: set[str] = field(default_factory=set)
    # Advertisers whose reports below advertiser level ask once whether they have TopView campaigns, and
    # once whether they have Reach & Frequency campaigns.
    topview_probes: set[str] = field(default_factory=set)
    # Report slices of advertisers whose report days start at the default start date.
    backfill_requests: int = 0
    # Report requests left out because their answer is known to be empty, by reason.
    skipped: SkippedRequests = field(default_factory=SkippedRequests)
    # Where the buying-type look-ups made while planning are known.
    directory: AdvertiserDirectory | None = None

    def add(self, stream: TikTokStream, slices: list[Mapping[str, Any] | None]) -> None:
        # Estimated first: an estimate may ask TikTok and fail, and then the stream adds nothing.
        costs = [stream.fewest_requests(piece) for piece in slices]
        self.streams += 1
        self.slices += len(slices)
        if isinstance(stream, ReportStream):
            self.skipped.merge(stream.skipped)
            self.directory = stream.context.directory
        first_day: dict[str, str] = {}
        for piece, requests in zip(slices, costs, strict=True):
            self.slice_requests += requests
            advertiser_id = (piece or {}).get("advertiser_id")
            if advertiser_id is None:
                continue
            self.advertisers.add(advertiser_id)
            if isinstance(stream, ReportStream) and stream.probes_topview:
                self.topview_probes.add(advertiser_id)
            if isinstance(stream, ReportStream) and "start_date" in piece:  # type: ignore[operator]
                first_day.setdefault(advertiser_id, piece["start_date"])  # type: ignore[index]
                if first_day[advertiser_id] == DEFAULT_START_DATE.isoformat():
                    self.backfill_requests += requests

    def min_requests(self, requests_made: int) -> int:
        """`requests_made`: those already sent while planning (the advertiser lookups, and the buying-type
        look-ups and activity queries some report streams make to plan their windows)."""
        return requests_made + self.slice_requests + self.probes_pending()

    def probes_pending(self) -> int:
        if self.directory is None:
            return BUYING_TYPE_PROBES * len(self.topview_probes)
        return sum(self.directory.probes_pending(advertiser_id) for advertiser_id in self.topview_probes)

    def lines(self, config: TikTokAdsConfig, requests_made: int) -> list[str]:
        requests = self.min_requests(requests_made)
        rate = config.requests_per_second
        seconds = least_seconds(requests, rate, config.requests_per_minute)
        lines = [
            f"Plan: {counted(self.streams, 'stream')}, {counted(len(self.advertisers), 'advertiser')}, "
            f"{counted(self.slices, 'slice')}, at least {counted(requests, 'request')}, about {duration(seconds)} "
            f"at {rate:g} requests/s"
        ]
        if self.skipped.total:
            reasons = ", ".join(
                f"{count(self.skipped.by_reason[reason])} {reason}"
                for reason in REASONS
                if self.skipped.by_reason[reason]
            )
            lines.append(
                f"Skipped {counted(self.skipped.total, 'report request')} whose answer can only be empty: {reasons}."
            )
        if (
            self.backfill_requests
            and "start_date" not in config.model_fields_set
            and not config.credentials.is_sandbox
        ):
            days = (datetime.now(UTC).date() - DEFAULT_START_DATE).days + 1
            backfill = least_seconds(self.backfill_requests, rate, config.requests_per_minute)
            lines.append(
                f"No start_date is set, so report streams backfill from {DEFAULT_START_DATE.isoformat()} "
                f"({count(days)} days): {count(self.backfill_requests)} of those requests, about "
                f"{duration(backfill)}. Set start_date to read less."
            )
        return lines


def plan_read(
    streams: Iterable[Stream],
    catalog: ConfiguredAirbyteCatalog,
    state: list[AirbyteStateMessage] | None,
    logger: logging.Logger,
    summary: ReadPlan | None = None,
) -> list[tuple[SliceKey, SlicePages]]:
    """The CDK reads the catalog's streams in order and each stream's slices in order; this lists the
    same slices, computed from the same state, and hands them to the streams to reuse. `summary`, if
    given, adds up what they cost."""
    by_name = {stream.name: stream for stream in streams}
    state_manager = ConnectorStateManager(state=state)
    entries: list[tuple[SliceKey, SlicePages]] = []
    for configured in catalog.streams:
        stream = by_name.get(configured.stream.name)
        if not isinstance(stream, TikTokStream):
            continue
        try:
            stream_state = state_manager.get_stream_state(stream.name, configured.stream.namespace)
            stream.state = stream_state
            slices = list(
                stream.plan_slices(
                    sync_mode=configured.sync_mode,
                    cursor_field=configured.cursor_field,
                    stream_state=stream_state,
                )
            )
            if summary is not None:
                summary.add(stream, slices)
        except Exception as error:  # whatever it is, it concerns this stream alone
            # Planning or estimating a stream may already ask TikTok (stores, look-ups): the stream fails
            # with that error at its turn, and the others are read.
            logger.warning(
                f"{stream.name}: could not be planned ({type(error).__name__}); it will fail alone."
            )
            stream.planning_failed(error)
            continue
        stream.use_planned_slices(slices)
        entries += [
            (slice_key(stream.name, piece), partial(stream.fetch_pages, piece or {})) for piece in slices
        ]
    return entries
