"""The Airbyte source: spec, check, discover and read for TikTok Ads."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteStateMessage,
    ConfiguredAirbyteCatalog,
    ConnectorSpecification,
    Status,
    SyncMode,
)
from airbyte_cdk.sources.streams import Stream
from airbyte_cdk.utils.airbyte_secrets_utils import add_to_secrets
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .advertisers import AdvertiserDirectory
from .api import run_limits
from .api.auth import AccessTokenAuthenticator
from .api.budget import WINDOW_MARGIN, AdaptiveBudget
from .api.client import TikTokApi
from .api.transport import TikTokTransport
from .cdk_adapter import AdaptedSource, quiet_handled_answers, runtimes_logged_once
from .check import CheckFailed, check_connection
from .concurrency import InFlightLimit
from .config import DOCUMENTATION_URL, TikTokAdsConfig, connection_specification, parse_config
from .inputs import ProtocolInputs
from .missing_streams import missing_stream_names, missing_streams_error
from .oauth_spec import advanced_auth
from .pipeline.encoder import MESSAGE_PER_RECORD, RECORD_LINES
from .pipeline.session import ReadSession
from .reports.activity import DeliveryDays
from .reports.custom import custom_definitions
from .reports.definitions import BUILTIN_REPORTS, sandbox_supports
from .reports.gmv_max import gmv_max_report_budget, gmv_max_report_streams
from .reports.gmv_max_custom import gmv_max_custom_definitions
from .reports.healing import dropped_summary
from .reports.id_split import cut_summaries
from .reports.keyless_rows import quiet_failures
from .reports.smart_plus import SMART_PLUS_REPORTS, smart_plus_material_streams
from .reports.stream import ReportStream, report_streams
from .scrub import scrub
from .state_shapes import migrated_states
from .streams.advertisers import AdvertiserIds, Advertisers
from .streams.audiences import audience_streams
from .streams.base import SyncContext, TikTokStream
from .streams.creatives import creative_streams
from .streams.entities import entity_streams
from .streams.gmv_max import gmv_max_object_streams, gmv_max_store_directory
from .streams.pixels import pixel_streams
from .streams.smart_plus import smart_plus_streams
from .streams.spark_ads import spark_ads_streams

# A check is interactive: a user waiting in the UI should hear about a dead endpoint in seconds.
CHECK_MAX_RETRIES = 2


class SourceTiktokAds(ProtocolInputs, AdaptedSource):
    # While a read runs: the stream instances whose slices were planned (and are being fetched ahead).
    _streams_of_this_read: list[Stream] | None = None
    # Set by our entry point, which writes `RecordLines` messages; any other reads one record a message.
    writes_record_lines = False
    # Seconds between progress lines while a read runs (None: `pipeline.progress.progress_interval()`).
    progress_interval_seconds: float | None = None

    def spec(self, logger: logging.Logger) -> ConnectorSpecification:
        return ConnectorSpecification(
            documentationUrl=DOCUMENTATION_URL,
            connectionSpecification=connection_specification(),
            supportsIncremental=True,
            advanced_auth=advanced_auth(),
        )

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        # The CDK would print repr() of the error (quotes, escapes); the user gets the sentence itself.
        quiet_handled_answers(logger)
        succeeded, message = self.check_connection(logger, config)
        if succeeded:
            return AirbyteConnectionStatus(status=Status.SUCCEEDED)
        # The CDK's own "Check failed" line says no more (quiet_handled_answers leaves it out).
        logger.error(f"Check failed: {scrub(message or '')}")
        return AirbyteConnectionStatus(status=Status.FAILED, message=scrub(message or ""))

    def check_connection(self, logger: logging.Logger, config: Mapping[str, Any]) -> tuple[bool, str | None]:
        try:
            parsed = self._parse(config)
            custom_names = {
                report.name for report in (*parsed.custom_reports, *parsed.gmv_max_custom_reports)
            }
            # Building the streams validates every custom report before any request is made.
            custom = [
                stream.definition
                for stream in self.streams(config)
                if isinstance(stream, ReportStream) and stream.name in custom_names
            ]
            check_connection(parsed, self._api(parsed, logger, max_retries=CHECK_MAX_RETRIES), logger, custom)
        except AirbyteTracedException as error:
            return False, error.message
        except CheckFailed as failure:
            return False, str(failure)
        return True, None

    def read(
        self,
        logger: logging.Logger,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog,
        state: list[AirbyteStateMessage] | None = None,
    ) -> Iterator[AirbyteMessage]:
        """The CDK's read, with every slice of the run planned first and fetched ahead by worker threads."""
        quiet_failures(logger)
        quiet_handled_answers(logger)
        limits = run_limits.start_run()
        streams = self.streams(config)
        # Before any request: a saved state that cannot be read fails the read here, naming the stream.
        context = next(stream.context for stream in streams if isinstance(stream, TikTokStream))
        state = migrated_states(
            incremental_cursor_fields(streams, catalog), state, context.directory.selected_ids, logger
        )
        # The output encoder, chosen once for the whole read. (The CDK's record limit would count
        # pages of RECORD lines, but the config model rejects that key.)
        encoder = RECORD_LINES if self.writes_record_lines else MESSAGE_PER_RECORD
        session = ReadSession.start(streams, catalog, state, logger, encoder, self.progress_interval_seconds)
        missing = missing_stream_names(catalog, streams)
        # The CDK asks for the streams again: it must read these instances, whose slices are planned.
        self._streams_of_this_read = streams
        try:
            with runtimes_logged_once(logger, self.name):
                yield from super().read(logger, config, catalog, state)
        except AirbyteTracedException:
            if limits.stopped is not None:
                # One error for the run: what was met and when to resume, not a list of failed streams.
                raise limits.stopped from None
            if missing:
                yield missing_streams_error(missing).as_airbyte_message()
            raise
        finally:
            session.finish()
            summary = dropped_summary(streams)
            if summary:
                logger.warning(summary)
            for line in cut_summaries(streams):
                logger.info(line)
            self._streams_of_this_read = None
        if missing:
            raise missing_streams_error(missing)

    @property
    def stop_sync_on_stream_failure(self) -> bool:
        # After a limit met for the whole run, the streams left would only fail one after another.
        return run_limits.CURRENT.stopped is not None

    def reads_pages(self, stream: Stream) -> bool:
        return isinstance(stream, TikTokStream)

    def records_read(self, stream: Stream, records: int) -> None:
        progress = stream.context.progress if isinstance(stream, TikTokStream) else None
        if progress is not None:
            progress.add_records(records)

    def streams(self, config: Mapping[str, Any]) -> list[Stream]:
        if self._streams_of_this_read is not None:
            return self._streams_of_this_read
        parsed = self._parse(config)
        logger = logging.getLogger("airbyte")
        # One budget for every request of the run, streams and advertiser lookups alike.
        budget = AdaptiveBudget(parsed.requests_per_second, parsed.requests_per_minute)
        # num_workers is the upper bound; the requests on the wire follow the rate x request time.
        in_flight = InFlightLimit(parsed.requests_per_second / WINDOW_MARGIN, parsed.num_workers)
        transport = TikTokTransport(in_flight, pool_size=max(10, parsed.num_workers))
        api = TikTokApi(
            parsed.api_base_url,
            parsed.credentials.access_token,
            logger,
            api_budget=budget,
            transport=transport,
        )
        context = SyncContext(
            config=parsed,
            directory=AdvertiserDirectory(parsed, api, logger),
            authenticator=AccessTokenAuthenticator(parsed.credentials.access_token),
            api_budget=budget,
            transport=transport,
        )
        # The sandbox has no advertiser-level reports to tell the days.
        if parsed.skip_days_without_delivery and not parsed.credentials.is_sandbox:
            context.delivery_days = DeliveryDays(api, context.directory, logger, parsed.num_workers)
        streams: list[Stream] = [*entity_streams(context), *creative_streams(context)]
        # The sandbox has no advertiser or audience endpoints, and Spark Ads and pixels exist in
        # production only.
        production_only: list[Stream] = [
            *audience_streams(context),
            *spark_ads_streams(context),
            *pixel_streams(context),
        ]
        production_only += self._smart_plus_and_gmv_max_streams(context, parsed, production_only, logger)
        if parsed.credentials.is_sandbox:
            reports = [report for report in BUILTIN_REPORTS if sandbox_supports(report)]
            skipped = sorted(
                {report.name for report in (*BUILTIN_REPORTS, *SMART_PLUS_REPORTS)}
                - {report.name for report in reports}
            )
            logger.info(
                "Sandbox credentials: the TikTok sandbox has no advertiser or audience endpoints, no Spark Ads, "
                "pixels, Upgraded Smart+ or GMV Max, no advertiser-level reports and no country breakdowns, so "
                "these streams are not offered: "
                f"advertisers, advertiser_ids, {', '.join(stream.name for stream in production_only)}, "
                f"{', '.join(skipped)}."
            )
        else:
            reports = [*BUILTIN_REPORTS, *SMART_PLUS_REPORTS]
            streams = [Advertisers(context), AdvertiserIds(context), *streams, *production_only]
        reserved = [stream.name for stream in streams]
        reserved += [report.name for report in (*BUILTIN_REPORTS, *SMART_PLUS_REPORTS)]
        reserved += ["advertisers", "advertiser_ids", *(stream.name for stream in production_only)]
        reports += custom_definitions(parsed.custom_reports, reserved, logger)
        streams += report_streams(context, reports)
        return streams

    @staticmethod
    def _smart_plus_and_gmv_max_streams(
        context: SyncContext, parsed: TikTokAdsConfig, taken: list[Stream], logger: logging.Logger
    ) -> list[Stream]:
        """Upgraded Smart+ and GMV Max streams, GMV Max custom reports included. Whether the sandbox
        serves these endpoints is not known [?]: they are offered in production only."""
        stores = gmv_max_store_directory(context, logger)
        budget = gmv_max_report_budget(context)
        streams: list[Stream] = [
            *smart_plus_streams(context),
            *smart_plus_material_streams(context),
            *gmv_max_object_streams(context, stores),
            *gmv_max_report_streams(context, stores, budget),
        ]
        reserved = [
            *(report.name for report in (*BUILTIN_REPORTS, *SMART_PLUS_REPORTS, *parsed.custom_reports)),
            *(stream.name for stream in (*taken, *streams)),
        ]
        custom = gmv_max_custom_definitions(parsed.gmv_max_custom_reports, reserved, logger)
        return streams + gmv_max_report_streams(context, stores, budget, custom)

    @staticmethod
    def _parse(config: Mapping[str, Any]) -> TikTokAdsConfig:
        parsed = parse_config(dict(config))
        # The entrypoint masks airbyte_secret values already; this also covers in-process use.
        for secret in parsed.secrets:
            add_to_secrets(secret)
        return parsed

    @staticmethod
    def _api(config: TikTokAdsConfig, logger: logging.Logger, max_retries: int | None = None) -> TikTokApi:
        return TikTokApi(
            config.api_base_url, config.credentials.access_token, logger, max_retries=max_retries
        )


def incremental_cursor_fields(streams: list[Stream], catalog: ConfiguredAirbyteCatalog) -> dict[str, str]:
    """The cursor field of each of our streams the catalog reads incrementally."""
    by_name = {stream.name: stream for stream in streams}
    fields = {}
    for configured in catalog.streams:
        stream = by_name.get(configured.stream.name)
        cursor_field = stream.cursor_field if isinstance(stream, TikTokStream) else None
        if configured.sync_mode == SyncMode.incremental and isinstance(cursor_field, str) and cursor_field:
            fields[stream.name] = cursor_field  # type: ignore[union-attr]
    return fields
