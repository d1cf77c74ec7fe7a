"""The HTTP transport under the CDK's client: every request passes the in-flight gate, is timed, and
has its body read in one piece.

The gate is taken before the request waits for the rate budget, not after: a request that got its
turn from the budget and then waited for a slot would leave later than its turn, right before the
next one, and TikTok would count both in the same second.

requests reads a body as a list of 10 KB chunks and joins them: while a page of a wide report
arrives, it is in memory twice. Here the body is read into one buffer of its final size (the size is
known from Content-Length, or from gzip's trailer), so `response.content` is the only copy. The time
from sending the request to the last byte of the body feeds the sizing of the in-flight limit.
"""

from __future__ import annotations

import io
import threading
import time
import zlib
from collections.abc import Callable, Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError
from urllib3.exceptions import SSLError as Urllib3SSLError

from ..concurrency import InFlightLimit

# Pieces of a body whose size is not announced (chunked): written one after another into one
# growing buffer, not kept in a list.
UNSIZED_PIECE_BYTES = 256 * 1024
_GZIP_MIN_BYTES = 18  # a header and a trailer
_MOST_GZIP_RATIO = 200


class TikTokTransport(HTTPAdapter):
    def __init__(
        self,
        in_flight: InFlightLimit | None = None,
        pool_size: int = 10,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(pool_connections=pool_size, pool_maxsize=pool_size)
        self.in_flight = in_flight
        self._clock = clock

    def send(
        self, request: requests.PreparedRequest, stream: bool = False, **kwargs: Any
    ) -> requests.Response:
        started = self._clock()
        response = super().send(request, stream=True, **kwargs)
        if not stream:
            read_whole_body(response)
        if self.in_flight is not None:
            self.in_flight.observe(self._clock() - started)
        return response

    def gated(self, send: Callable[..., requests.Response]) -> Callable[..., requests.Response]:
        """`send` (a session's, which waits for the rate budget) holding an in-flight slot throughout."""
        gate = self.in_flight
        if gate is None:
            return send
        holding = threading.local()

        def gated_send(request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
            if getattr(holding, "slot", False):  # a redirect followed within the same send
                return send(request, **kwargs)
            with gate.slot():
                holding.slot = True
                try:
                    return send(request, **kwargs)
                finally:
                    holding.slot = False

        return gated_send


def read_whole_body(response: requests.Response) -> None:
    """Reads the body into `response.content`, raising what requests raises for a broken one."""
    try:
        content = _body(response.raw, response.headers)
    except ProtocolError as error:
        raise requests.exceptions.ChunkedEncodingError(error) from error
    except DecodeError as error:
        raise requests.exceptions.ContentDecodingError(error) from error
    except ReadTimeoutError as error:
        raise requests.exceptions.ConnectionError(error) from error
    except Urllib3SSLError as error:
        raise requests.exceptions.SSLError(error) from error
    response._content = content
    response._content_consumed = True


def _body(raw: Any, headers: Mapping[str, str]) -> bytes:
    encoding = headers.get("Content-Encoding", "").strip().lower()
    sized = (
        headers.get("Content-Length") is not None
        and "chunked" not in headers.get("Transfer-Encoding", "").lower()
    )
    if encoding in ("", "identity"):
        # With a length, http.client reads it into one bytes object of that size.
        return raw.read(decode_content=False) if sized else _read_unsized(raw, decode=False)
    if encoding == "gzip":
        compressed = raw.read(decode_content=False) if sized else _read_unsized(raw, decode=False)
        return gunzip(compressed)
    return _read_unsized(raw, decode=True)  # deflate, br, zstd: urllib3's decoders


def _read_unsized(raw: Any, decode: bool) -> bytes:
    # BytesIO grows one buffer in place and hands it over without a copy.
    buffer = io.BytesIO()
    for piece in raw.stream(UNSIZED_PIECE_BYTES, decode_content=decode):
        buffer.write(piece)
    return buffer.getvalue()


def gunzip(compressed: bytes) -> bytes:
    """A gzip body decompressed into one buffer of its final size (read from the trailer)."""
    if not compressed:
        return compressed
    size = int.from_bytes(compressed[-4:], "little") if len(compressed) >= _GZIP_MIN_BYTES else 0
    # The trailer holds the size modulo 4 GiB, of the last member only, and a body cut short ends in
    # any four bytes: a size no JSON compresses to is not believed. A wrong guess only costs a copy.
    if size > len(compressed) * _MOST_GZIP_RATIO:
        size = 0
    try:
        return zlib.decompress(compressed, wbits=31, bufsize=max(size, zlib.DEF_BUF_SIZE))
    except zlib.error as error:
        raise DecodeError(f"Received a gzip body that failed to decompress: {error}") from error
