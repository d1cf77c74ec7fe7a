"""Rows of a large page parsed one at a time: the same items as a whole parse, whatever the body holds."""

from __future__ import annotations

import gc
import json
import tracemalloc
from typing import Any

import orjson
import pytest
import requests
import requests_mock

from source_tiktok_ads.api.envelope import (
    LAZY_BODY_BYTES,
    PageRows,
    RowsNotSplit,
    UnusableBody,
    convert_page,
    envelope_of,
)

from .conftest import BASE_URL

URL = BASE_URL + "report/integrated/get/?advertiser_id=77"
TRICKY_NAMES = [
    'brace }, {"dimensions": {"ad_id": "0"}} inside',
    'a "list": [ in a name',
    'quote \\" and backslash \\\\',
    "ünïcødé 広告 🎯",
    "}, {",
    "",
]


def rows(count: int, name_of: Any = lambda n: f"ad {n}") -> list[dict[str, Any]]:
    return [
        {
            "dimensions": {"ad_id": str(n), "stat_time_day": "2026-11-20 00:00:00"},
            "metrics": {"spend": f"{n}.25", "ad_name": name_of(n), "impressions": str(n * 7)},
        }
        for n in range(count)
    ]


def body_of(data: dict[str, Any], style: str) -> bytes:
    document = {"code": 0, "message": "OK", "request_id": "r-1", "data": data}
    if style == "compact":
        return orjson.dumps(document)
    if style == "spaced":
        return json.dumps(document).encode()
    return json.dumps(document, indent=2, ensure_ascii=False).encode()


def envelope_for(body: bytes) -> Any:
    with requests_mock.Mocker() as mock:
        mock.get(URL, content=body)
        response = requests.get(URL, timeout=1)
    page = envelope_of(response)
    assert page.ok and page._content is not None  # large: left for the stream to parse
    return page


PAGE_INFO = {"page": 1, "page_size": 1000, "total_number": 900, "total_page": 1}
SHAPES = {
    "plain": {"list": rows(900), "page_info": PAGE_INFO},
    "page_info first": {"page_info": PAGE_INFO, "list": rows(900)},
    "tricky strings": {
        "list": rows(900, lambda n: TRICKY_NAMES[n % len(TRICKY_NAMES)]),
        "page_info": PAGE_INFO,
    },
    # Shapes the split cannot serve: each must fall back to the whole parse, never lose or invent a row.
    "nested objects in rows": {
        "list": [{**row, "extra": [{"a": 1}, {"b": [2, {"c": 3}]}]} for row in rows(900)],
        "page_info": PAGE_INFO,
    },
    "another list after it": {"list": rows(900), "other": [{"x": 1}, {"y": 2}], "page_info": PAGE_INFO},
    "nested list of the same name first": {
        "meta": {"list": [{"z": 1}] * 2000},
        "list": rows(900),
        "page_info": PAGE_INFO,
    },
    "empty list": {"list": [], "page_info": PAGE_INFO, "padding": "p" * LAZY_BODY_BYTES},
}


def items_and_the_rest(data: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    return list(data["list"]), {key: value for key, value in data.items() if key != "list"}


@pytest.mark.parametrize("style", ["compact", "spaced", "indented"])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_page_converts_to_what_the_whole_parse_holds(shape: str, style: str) -> None:
    body = body_of(SHAPES[shape], style)
    assert len(body) > LAZY_BODY_BYTES
    expected = orjson.loads(body)["data"]
    data, converted = convert_page(envelope_for(body), "list", items_and_the_rest)
    assert converted == items_and_the_rest(expected)
    assert bool(data["list"]) == bool(expected["list"])
    assert data.get("page_info") == expected.get("page_info")


@pytest.mark.parametrize("shape", ["plain", "page_info first", "tricky strings"])
def test_a_well_formed_page_is_split_into_exactly_its_rows(shape: str) -> None:
    body = body_of(SHAPES[shape], "spaced")
    items = envelope_for(body).data_rows_on_demand("list")["list"]
    assert isinstance(items, PageRows) and len(items) == 900
    assert list(items) == list(items) == orjson.loads(body)["data"]["list"]


@pytest.mark.parametrize("shape", ["nested objects in rows", "another list after it"])
def test_rows_that_do_not_come_apart_say_so(shape: str) -> None:
    items = envelope_for(body_of(SHAPES[shape], "compact")).data_rows_on_demand("list")["list"]
    with pytest.raises(RowsNotSplit):
        list(items)


def test_rows_are_parsed_one_at_a_time() -> None:
    body = body_of({"list": rows(3000), "page_info": PAGE_INFO}, "compact")

    def peak_while(read: Any) -> int:
        tracemalloc.start()
        try:
            read()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    whole = peak_while(lambda: sum(1 for _ in orjson.loads(body)["data"]["list"]))
    items = envelope_for(body).data_rows_on_demand("list")["list"]
    on_demand = peak_while(lambda: sum(1 for _ in items))
    assert on_demand * 20 < whole


def test_a_page_is_let_go_as_soon_as_nothing_uses_it() -> None:
    """Nothing in a page refers back to it: the megabytes of its body go with the last reference,
    not at some later garbage collection (which let them pile up to hundreds of MiB)."""
    page = envelope_for(body_of(SHAPES["plain"], "compact"))
    gc.collect()
    gc.disable()
    try:
        data, count = convert_page(page, "list", lambda data: sum(1 for _ in data["list"]))
        assert count == 900 and isinstance(data["list"], PageRows)
        del data, page
        assert gc.collect() == 0  # no reference cycle was left for the collector
    finally:
        gc.enable()


def test_a_broken_row_inside_a_large_body_makes_the_page_unusable() -> None:
    body = body_of({"list": rows(900), "page_info": PAGE_INFO}, "compact")
    middle = body.index(b'"ad 450"')
    broken = body[:middle] + b"\x00" + body[middle + 1 :]
    read: list[Any] = []
    with pytest.raises(UnusableBody):
        convert_page(envelope_for(broken), "list", lambda data: read.extend(data["list"]))
    assert len(read) == 450  # what came before the broken row; the stream drops the page and asks again
