"""A report request that times out is asked again as a smaller window, not as the same query.

TikTok computes a synchronous report while the client waits: a query too big to finish in time fails
again when asked again, and TikTok blocks requests after repeated timeouts. So a report request over
several days of a report with a time dimension that times out (the HTTP read timeout, or TikTok's
"Internal service connection timeout" answer) is not retried: `QueryTimedOut` reaches `window_read`,
which reads the window as two halves, as for 40067. A single day, and a report summed over its window,
cannot be shrunk by date: those are retried as they are, with the usual backoff.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import orjson
import requests

from ..api.errors import QueryTimedOut, request_context
from .definitions import TIME_DIMENSION


def shrinkable_by_date(request: requests.PreparedRequest | None) -> bool:
    """Whether `request` asks for a report of several days with a time dimension."""
    if request is None or not request.url:
        return False
    params = {name: values[0] for name, values in parse_qs(urlsplit(request.url).query).items()}
    start, end = params.get("start_date"), params.get("end_date")
    if not start or not end or start == end:
        return False
    try:
        dimensions = orjson.loads(params.get("dimensions") or "[]")
    except orjson.JSONDecodeError:
        return False
    return isinstance(dimensions, list) and any(name in TIME_DIMENSION.values() for name in dimensions)


def timed_out_query(request: requests.PreparedRequest, what: str) -> QueryTimedOut:
    path, advertiser_id = request_context(request)
    return QueryTimedOut(path, advertiser_id, what)
