"""Plan a read: every (stream, slice) in the order the CDK will read them, so they can be fetched ahead."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial

from airbyte_cdk.models import AirbyteStateMessage, ConfiguredAirbyteCatalog
from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.streams import Stream

from .prefetch import slice_key
from .streams.base import TikTokStream


def plan_read(
    streams: Iterable[Stream],
    catalog: ConfiguredAirbyteCatalog,
    state: list[AirbyteStateMessage] | None,
    logger: logging.Logger,
) -> list[tuple[tuple[str, str], partial]]:
    """The CDK reads the catalog's streams in order and each stream's slices in order; this lists the
    same slices, computed from the same state, and hands them to the streams to reuse."""
    by_name = {stream.name: stream for stream in streams}
    state_manager = ConnectorStateManager(state=state)
    entries = []
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
        except Exception as error:  # the CDK meets the same error when it reads the stream, and reports it
            logger.info(f"{stream.name}: not fetched ahead ({type(error).__name__}).")
            continue
        stream.use_planned_slices(slices)
        entries += [
            (slice_key(stream.name, piece), partial(stream.fetch_pages, piece or {})) for piece in slices
        ]
    return entries
