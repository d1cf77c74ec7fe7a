"""TikTok's response envelope: `{code, message, request_id, data}`, HTTP 200 even for API errors."""

from __future__ import annotations

import re
import threading
from array import array
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import orjson
import requests

_CACHE_ATTRIBUTE = "_tiktok_envelope"

# A successful page of a wide report is megabytes of JSON and several times that once parsed.
# Parsed in the HTTP client's error handling, every worker's page would be alive at once; for such
# bodies the code is read from the first bytes and the rest is parsed when the stream reads the page,
# under PARSE_LOCK, one page at a time (the GIL serialises that work anyway) and one row at a time
# (`convert_page`).
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

    def data_rows_on_demand(self, field: str) -> Any:
        """`data`, where a large page's `field` list parses one row at a time as it is iterated.

        A page of wide report rows parsed whole is many times its body's size in small Python objects;
        built and freed page after page, that burst keeps the process's memory high (freed objects stay
        in pools that one surviving object pins). Row by row, one row's objects are alive at a
        time. Iterating the list raises `RowsNotSplit` if the body is not of the expected shape: use
        `convert_page`, which then converts the whole parse instead.
        """
        content = self._content
        if content is None:
            return self.data
        located = _locate_list(content, field)
        if located is None:
            return self.data
        start, end = located
        # The envelope with that list emptied: code, page_info and the rest, parsed at once (small).
        rest = _parse(content[:start] + content[end:])
        if not rest.ok or not isinstance(rest._data, dict) or rest._data.get(field) != []:
            return self.data
        rest._data[field] = PageRows(content, start, end)
        return rest._data

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


# `}, {"key":` with the key's quotes unescaped: where rows meet (see `PageRows`).
_ROW_SEPARATOR = re.compile(rb'\}\s*,\s*(?=\{\s*"[^"\\]*"\s*:)')


def _locate_list(content: bytes, field: str) -> tuple[int, int] | None:
    """Where the items of the `field` list lie: just after its `[`, and at the last `]` of the body."""
    opening = re.search(rb'"' + re.escape(field.encode()) + rb'"\s*:\s*\[', content)
    if opening is None:
        return None
    end = content.rfind(b"]")
    return (opening.end(), end) if end >= opening.end() else None


class RowsNotSplit(Exception):
    """A large body's list did not come apart into its items (see `PageRows`)."""


class PageRows:
    """The items of a large page's list, each parsed from its own bytes when iteration reaches it.

    The items are cut apart where `}, {` is followed by a key (`"name":`). Inside a JSON string every
    quote is escaped, so that matches between two objects; a false match would need a string value
    ending in `}, {` followed by an odd key, and then fails like any wrong cut. A cut is between two
    items of this list when each piece parses on its own: a piece cut inside a nested object, or
    running past the list's `]`, has unbalanced brackets and fails, and iteration then raises
    `RowsNotSplit`.
    """

    __slots__ = ("_bounds", "_content")

    def __init__(self, content: bytes, start: int, end: int) -> None:
        self._content = content
        # Piece boundaries as machine integers: no Python object per row outlives the page.
        bounds = array("q", [start])
        for separator in _ROW_SEPARATOR.finditer(content, start, end):
            bounds.append(separator.start() + 1)
            bounds.append(separator.end())
        bounds.append(end)
        # An empty list (`[]`, or only spaces): looked at only when no cut was found, as it copies.
        if len(bounds) == 2 and not content[start:end].strip():
            bounds = array("q")
        self._bounds = bounds

    def __len__(self) -> int:
        return len(self._bounds) // 2

    def __iter__(self) -> Iterator[Any]:
        loads = orjson.loads
        view = memoryview(self._content)
        bounds = self._bounds
        for index in range(len(bounds) // 2):
            try:
                yield loads(view[bounds[2 * index] : bounds[2 * index + 1]])
            except orjson.JSONDecodeError:
                raise RowsNotSplit from None


T = TypeVar("T")


def convert_page(envelope: Envelope, field: str, convert: Callable[[Any], T]) -> tuple[Any, T]:
    """`convert(data)` with a large page's rows parsed one at a time, and `data` itself.

    If the rows do not come apart, `convert`'s partial work is dropped and it runs again on the whole
    parse: `convert` must keep what it learns from a page to itself until it returns. A body that is
    broken raises `UnusableBody`.
    """
    data = envelope.data_rows_on_demand(field)
    try:
        return data, convert(data)
    except RowsNotSplit:
        data = envelope.data
        return data, convert(data)


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
