"""TikTok takes list and object parameters as compact JSON strings inside the query string."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from .waits import read_timeout

REQUEST_TIMEOUT = (10.0, 120.0)  # (connect, read) seconds; big report pages can take a while to compute.


def request_timeout() -> tuple[float, float]:
    """`REQUEST_TIMEOUT`, its read timeout shortened when the environment asks (see `waits`)."""
    connect, read = REQUEST_TIMEOUT
    return connect, read_timeout(read)


def encode_params(params: Mapping[str, Any]) -> dict[str, str]:
    encoded: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            encoded[key] = "true" if value else "false"
        elif isinstance(value, list | tuple | dict):
            encoded[key] = orjson.dumps(value).decode()
        else:
            encoded[key] = str(value)
    return encoded
