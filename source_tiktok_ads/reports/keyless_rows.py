"""Report rows without their primary-key dimensions: left out, counted, and reported once per window.

Such a row cannot be told apart from its neighbours downstream, so it is never emitted; the rest of its
page and window are. The stream then fails with one sentence saying how many rows, which window and
which advertiser, once the stream's other slices are read; the window's cursor stays where it was, so the
next sync reads it again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from airbyte_cdk.models import AirbyteMessage, FailureType, StreamDescriptor

from ..api.errors import SliceRefused
from ..unread import UnreadFailure


class RowsWithoutKey(SliceRefused):
    """The stream failure for keyless rows: a fact about TikTok's answer, with no code path to show."""

    def __init__(
        self, stream: str, count: int, missing: Iterable[str], request_slice: Mapping[str, Any]
    ) -> None:
        start = request_slice.get("start_date", "lifetime")
        end = request_slice.get("end_date", start)
        window = start if start == end else f"{start}..{end}"
        super().__init__(
            message=f"{stream}: TikTok returned {count} row(s) without {', '.join(missing)} (part of the primary "
            f"key) for advertiser {request_slice['advertiser_id']}, window {window}. They were left out; the "
            "window's other rows were read, and the next sync reads the window again.",
            failure_type=FailureType.system_error,
        )

    def as_airbyte_message(self, stream_descriptor: StreamDescriptor | None = None) -> AirbyteMessage:
        message = super().as_airbyte_message(stream_descriptor)
        message.trace.error.stack_trace = None  # type: ignore[union-attr]
        return message


class QuietFailures(logging.Filter):
    """Log a stream's failure for what TikTok's answers left unread (keyless rows among them) as its
    sentence, without the traceback the CDK attaches."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], RowsWithoutKey | UnreadFailure):
            record.msg = f"{record.getMessage()}: {record.exc_info[1].message}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def quiet_failures(logger: logging.Logger) -> None:
    """Install the filter once on the logger the CDK reports stream failures with."""
    if not any(isinstance(existing, QuietFailures) for existing in logger.filters):
        logger.addFilter(QuietFailures())
