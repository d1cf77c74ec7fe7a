"""TikTok's response envelope: `{code, message, request_id, data}`, HTTP 200 even for API errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import requests

_CACHE_ATTRIBUTE = "_tiktok_envelope"


@dataclass(frozen=True, slots=True)
class Envelope:
    """A parsed body. `problem` is set when the body is not a usable envelope at all."""

    code: int | None
    message: str
    request_id: str
    data: Any
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None and self.code == 0


def envelope_of(response: requests.Response) -> Envelope:
    """Parse once per response: the error handler and the stream both need the body."""
    cached = getattr(response, _CACHE_ATTRIBUTE, None)
    if cached is None:
        cached = _parse(response.content)
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
