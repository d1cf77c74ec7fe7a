"""TikTok's response envelope: `{code, message, request_id, data}`, HTTP 200 even for API errors."""

from __future__ import annotations

import re
import threading
from typing import Any

import orjson
import requests

_CACHE_ATTRIBUTE = "_tiktok_envelope"

# A successful page of a wide report is megabytes of JSON and about four times that once parsed.
# Parsed in the HTTP client's error handling, every worker's page would be alive at once; for such
# bodies the code is read from the first bytes and the rest is parsed when the stream asks for
# `data`, under PARSE_LOCK, one page at a time (the GIL serialises that work anyway).
LAZY_BODY_BYTES = 64 * 1024
_SUCCESS_PREFIX = re.compile(rb'\A\s*\{\s*"code"\s*:\s*0\s*,')
PARSE_LOCK = threading.Lock()


class UnusableBody(Exception):
    """A body that looked like a successful answer turned out not to be one (e.g. cut short)."""


class Envelope:
    """A TikTok answer. `problem` is set when the body is not a usable envelope at all."""

    __slots__ = ("_content", "_data", "code", "message", "problem", "request_id")

    def __init__(
        self,
        code: int | None,
        message: str,
        request_id: str,
        data: Any,
        problem: str | None = None,
        content: bytes | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.request_id = request_id
        self.problem = problem
        self._data = data
        self._content = content

    @property
    def ok(self) -> bool:
        return self.problem is None and self.code == 0

    @property
    def data(self) -> Any:
        if self._content is not None:
            parsed = _parse(self._content)
            self._content = None
            if not parsed.ok:
                self.problem = parsed.problem or f"code {parsed.code}"
                raise UnusableBody(self.problem)
            self.message, self.request_id, self._data = parsed.message, parsed.request_id, parsed._data
        return self._data


def envelope_of(response: requests.Response) -> Envelope:
    """Read once per response: the error handler, the budget and the stream all need it."""
    cached = getattr(response, _CACHE_ATTRIBUTE, None)
    if cached is None:
        content = response.content
        if (
            len(content) >= LAZY_BODY_BYTES
            and _SUCCESS_PREFIX.match(content)
            and content.rstrip().endswith(b"}")
        ):
            cached = Envelope(0, "OK", "", None, content=content)
        else:
            cached = _parse(content)
        setattr(response, _CACHE_ATTRIBUTE, cached)
    return cached


def _parse(content: bytes) -> Envelope:
    if not content:
        return Envelope(None, "", "", None, problem="empty body")
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        return Envelope(None, "", "", None, problem="body is not valid JSON (truncated or HTML)")
    if not isinstance(body, dict):
        return Envelope(None, "", "", None, problem=f"body is JSON {type(body).__name__}, not an object")
    code = body.get("code")
    message = str(body.get("message") or "")
    request_id = str(body.get("request_id") or "")
    if not isinstance(code, int):
        return Envelope(None, message, request_id, None, problem="body has no integer 'code'")
    data = body.get("data")
    if code == 0 and not isinstance(data, dict):
        return Envelope(code, message, request_id, None, problem="successful body has no 'data' object")
    return Envelope(code, message, request_id, data)
