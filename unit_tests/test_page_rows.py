"""Rows of a large page parsed one at a time: the same items as a whole parse, whatever the body holds."""

from __future__ import annotations

import json
import tracemalloc
from typing import Any

import orjson
import pytest
import requests
import requests_mock

from source_tiktok_ads.api.envelope import LAZY_BODY_BYTES, PageRows, UnusableBody, envelope_of

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


@pytest.mark.parametrize("style", ["compact", "spaced", "indented"])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_rows_on_demand_are_the_items_of_the_whole_parse(shape: str, style: str) -> None:
    body = body_of(SHAPES[shape], style)
    assert len(body) > LAZY_BODY_BYTES
    expected = orjson.loads(body)["data"]
    data = envelope_for(body).data_rows_on_demand("list")
    items = data["list"]
    assert bool(items) == bool(expected["list"])
    assert list(items) == expected["list"]
    assert list(items) == expected["list"]  # iterating again parses again: same items
    assert {key: value for key, value in data.items() if key != "list"} == {
        key: value for key, value in expected.items() if key != "list"
    }


def test_a_well_formed_page_is_split_into_exactly_its_rows() -> None:
    items = envelope_for(body_of(SHAPES["tricky strings"], "spaced")).data_rows_on_demand("list")["list"]
    assert isinstance(items, PageRows) and len(items) == 900


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


def test_a_broken_row_inside_a_large_body_makes_the_page_unusable() -> None:
    body = body_of({"list": rows(900), "page_info": PAGE_INFO}, "compact")
    middle = body.index(b'"ad 450"')
    broken = body[:middle] + b"\x00" + body[middle + 1 :]
    items = envelope_for(broken).data_rows_on_demand("list")["list"]
    read = []
    with pytest.raises(UnusableBody):
        for item in items:
            read.append(item)
    assert len(read) == 450  # what came before the broken row; the stream drops the page and asks again
