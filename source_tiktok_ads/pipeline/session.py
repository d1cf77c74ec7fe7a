"""One read's pipeline, set up before the CDK reads the streams and taken down after: the plan of
every slice, the fetch-ahead workers, the output encoder and the progress lines."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from contextlib import ExitStack

from airbyte_cdk.models import AirbyteStateMessage, ConfiguredAirbyteCatalog
from airbyte_cdk.sources.streams import Stream

from ..api.budget import WINDOW_MARGIN, AdaptiveBudget
from ..cancel import CANCEL, CancelSwitch
from ..streams.base import SyncContext, TikTokStream
from .encoder import OutputEncoder
from .plan import ReadPlan, plan_read
from .progress import ReadProgress, progress_interval
from .workers import Prefetcher


class ReadSession:
    def __init__(
        self,
        context: SyncContext,
        prefetcher: Prefetcher,
        progress: ReadProgress,
        logger: logging.Logger,
        cancel: CancelSwitch = CANCEL,
    ) -> None:
        self._context = context
        self._logger = logger
        self._prefetcher = prefetcher
        self._progress = progress
        self._cancel = cancel
        # A cancel stops the reader and the workers at once; the run's last line then gives the counts.
        self._on_cancel = ExitStack()
        self._on_cancel.enter_context(cancel.on_cancel(lambda: prefetcher.interrupt(cancel.error())))
        cancel.describe = progress.cancelled_line

    @classmethod
    def start(
        cls,
        streams: Iterable[Stream],
        catalog: ConfiguredAirbyteCatalog,
        state: list[AirbyteStateMessage] | None,
        logger: logging.Logger,
        encoder: OutputEncoder,
        interval: float | None = None,
    ) -> ReadSession:
        """Plans the read, logs the plan, and starts fetching ahead. `interval`: seconds between
        progress lines (None: `pipeline.progress.progress_interval()`)."""
        streams = list(streams)
        context = next(stream.context for stream in streams if isinstance(stream, TikTokStream))
        context.encoder = encoder
        summary = ReadPlan()
        entries = plan_read(streams, catalog, state, logger, summary)
        if context.directory.failure is not None:
            # Planning looked the advertisers up; without them no stream can be read, so the run fails
            # once with that error (before fetching anything ahead) instead of once per stream.
            raise context.directory.failure
        in_flight = context.transport.in_flight if context.transport is not None else None
        prefetcher = Prefetcher(context.config.num_workers, in_flight=in_flight)
        context.prefetcher = prefetcher
        # Before any slice is fetched: the requests so far are the advertiser lookups of the planning.
        progress = _logged_plan(context, summary, logger, interval or progress_interval())
        prefetcher.plan(entries)
        context.progress = progress
        progress.start()
        return cls(context, prefetcher, progress, logger)

    def finish(self) -> None:
        """Logs the final counts and stops the workers (also when the read failed). A cancelled read
        leaves its counts to the run's last line."""
        self._on_cancel.close()
        self._progress.finish(log=not self._cancel.cancelled)
        if self._context.transport is not None:
            self._logger.info(self._context.transport.in_flight.summary())
        self._context.progress = None
        self._context.prefetcher = None
        self._prefetcher.close()


def _logged_plan(
    context: SyncContext, summary: ReadPlan, logger: logging.Logger, interval: float
) -> ReadProgress:
    """Logs the plan, and returns the counter of the read's progress."""
    budget = context.api_budget

    def requests_sent() -> int:
        return budget.requests_sent if isinstance(budget, AdaptiveBudget) else 0

    planning_requests = requests_sent()
    for line in summary.lines(context.config, planning_requests):
        logger.info(line)
    return ReadProgress(
        summary.slices,
        summary.slice_requests,
        summary.min_requests(planning_requests),
        requests_sent,
        context.config.requests_per_second / WINDOW_MARGIN,
        logger,
        interval=interval,
    )
