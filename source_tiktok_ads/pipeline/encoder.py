"""How the pages of a read become output, chosen once when the read starts.

- `RECORD_LINES` (our entry point): one `RecordLines` message per page, the page already written as
  newline-separated RECORD lines. The CDK's message path turns every record into message dataclasses,
  checks, copies and serialises it through several layers; here the CDK's read loop (stream
  statuses, state checkpoints after each slice, error handling) runs once per page, and the page is
  serialised in one go, byte for byte as the CDK would have written each record. A page written on a
  fetch worker carries the time it was written as `emitted_at`, at most the prefetch queue's delay
  before it reaches stdout.
- `MESSAGE_PER_RECORD` (any other entry point, which cannot write `RecordLines`): the usual one
  message per record.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import orjson
from airbyte_cdk.models import AirbyteMessage, AirbyteRecordMessage, FailureType, Type
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .events import Page


class RecordLines(AirbyteMessage):
    """One page of one stream's records, already written as newline-separated RECORD messages.

    To the CDK's loop it is a RECORD message (it marks the stream RUNNING and is passed through);
    `count` is how many records it holds, for the record counts of state messages. Its `record` has no
    data: written by any serialiser but ours it would be an empty record, so only our entry point
    asks for these (`RECORD_LINES`).
    """

    lines: bytes  # UTF-8, no trailing newline
    count: int


def _data_json(record: Mapping[str, Any]) -> bytes:
    data = {name: value for name, value in record.items() if value is not None}
    try:
        return orjson.dumps(data)
    except TypeError:
        pass  # e.g. an integer beyond 64 bits: the CDK falls back to the json module too
    try:
        return json.dumps(data).encode()
    except (TypeError, ValueError) as error:
        raise AirbyteTracedException(
            message="A record returned from the API failed to be serialized to JSON.",
            internal_message=f"Failed to serialize a record to JSON: {error}",
            failure_type=FailureType.system_error,
        ) from error


def record_lines(stream_name: str, records: Iterable[Mapping[str, Any]]) -> RecordLines:
    """The records (any iterable: a generator lets each record go as soon as it is written) as lines."""
    emitted_at = time.time_ns() // 1_000_000
    head = b'{"type":"RECORD","record":{"stream":' + orjson.dumps(stream_name) + b',"data":'
    tail = b',"emitted_at":' + str(emitted_at).encode() + b"}}"
    dumps = orjson.dumps
    written: list[bytes] = []
    append = written.append
    for record in records:
        try:
            # The CDK's serialiser leaves out a record's top-level null fields (not nested ones); so do we.
            append(head + dumps({k: v for k, v in record.items() if v is not None}) + tail)
        except TypeError:
            append(head + _data_json(record) + tail)
    message = RecordLines(
        type=Type.RECORD, record=AirbyteRecordMessage(stream=stream_name, data={}, emitted_at=emitted_at)
    )
    message.lines = b"\n".join(written)
    message.count = len(written)
    return message


# A page of records, or the same page already written as RECORD lines on the worker.
EncodedPage = Page | RecordLines


class OutputEncoder:
    """The CDK's way, and the base of the others: every record its own message."""

    def page(self, stream_name: str, records: Iterable[dict[str, Any]]) -> EncodedPage:
        """A page as a fetch worker leaves it for the reader, when the stream lets the worker encode it."""
        return list(records)

    def messages(self, stream_name: str, pages: Iterable[EncodedPage]) -> Iterator[Any]:
        """What the stream yields to the CDK for its pages."""
        for page in pages:
            yield from page  # type: ignore[misc]


class RecordLinesEncoder(OutputEncoder):
    """One `RecordLines` message per page."""

    def page(self, stream_name: str, records: Iterable[dict[str, Any]]) -> EncodedPage:
        # Each record is written and let go before the next is built: no page of records in memory.
        lines = record_lines(stream_name, records)
        return lines if lines.count else []

    def messages(self, stream_name: str, pages: Iterable[EncodedPage]) -> Iterator[Any]:
        for page in pages:
            if page.__class__ is RecordLines:
                yield page
            elif page:
                yield record_lines(stream_name, page)  # type: ignore[arg-type]


MESSAGE_PER_RECORD = OutputEncoder()
RECORD_LINES = RecordLinesEncoder()
