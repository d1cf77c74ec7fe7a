"""Pixels, pixel event statistics and Instant Page events against a mocked TikTok."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from itertools import pairwise
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests_mock
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read
from airbyte_cdk.test.models import ExpectedOutcome

from source_tiktok_ads import SourceTiktokAds
from source_tiktok_ads.streams.instant_page_pairs import INSTANT_PAGE_GOALS, INSTANT_PAGE_OBJECTIVES

from .conftest import BASE_URL, envelope, raw_config

# Every objective/goal combination is one request: these tests are not about the rate, so it is the
# highest the config accepts.
UNTHROTTLED = {"requests_per_second": 1000, "requests_per_minute": 60000}
COMBINATIONS = len(INSTANT_PAGE_OBJECTIVES) * len(INSTANT_PAGE_GOALS)
# Asked of an advertiser that is served one CONVERSIONS pair: every pair but WEB_CONVERSIONS' other goals.
ASKED_WHEN_ONE_IS_SERVED = COMBINATIONS - (len(INSTANT_PAGE_GOALS) - 1)


def query_of(request: Any) -> dict[str, str]:
    return {key: value[0] for key, value in parse_qs(urlsplit(request.url).query).items()}


def pixel(number: int, created: str | None = "2026-09-20 10:00:00") -> dict[str, Any]:
    return {"pixel_id": f"px{number:02d}", "pixel_name": f"P{number}", "create_time": created}


class FakePixels:
    """pixel/list/ with TikTok's cap of 20 per page, and pixel/event/stats/ echoing what it was asked."""

    def __init__(self, pixels: dict[str, list[dict]], denied_stats=()) -> None:
        self.pixels = pixels
        self.denied_stats = set(denied_stats)
        self.list_queries: list[dict[str, str]] = []
        self.stats_queries: list[dict[str, str]] = []

    def list(self, request: Any, context: Any) -> dict[str, Any]:
        query = query_of(request)
        self.list_queries.append(query)
        size = int(query["page_size"])
        assert size <= 20
        page = int(query["page"])
        items = self.pixels.get(query["advertiser_id"], [])
        total_page = max(1, -(-len(items) // size))
        return envelope(
            {
                "pixels": items[(page - 1) * size : page * size],
                "page_info": {
                    "page": page,
                    "page_size": size,
                    "total_number": len(items),
                    "total_page": total_page,
                },
            }
        )

    def stats(self, request: Any, context: Any) -> dict[str, Any]:
        query = query_of(request)
        self.stats_queries.append(query)
        if query["advertiser_id"] in self.denied_stats:
            return envelope(
                code=40001, message="advertiser does not grant you /pixel/event/stats/:GET permission"
            )
        ids = json.loads(query["pixel_ids"])
        return envelope(
            {"list": [{"pixel_id": pixel_id, "statistics": [{"total_count": 3}]} for pixel_id in ids]}
        )


def run(stream: str, config: dict, mocks: dict[str, Any], error: bool = False):
    catalog = CatalogBuilder().with_stream(stream, SyncMode.full_refresh).build()
    with requests_mock.Mocker() as mock:
        for path, handler in mocks.items():
            mock.get(BASE_URL + path, json=handler)
        outcome = ExpectedOutcome.EXPECT_EXCEPTION if error else None
        return read(SourceTiktokAds(), config, catalog, expected_outcome=outcome)


def test_pixels_page_by_twenty_under_their_own_key() -> None:
    fake = FakePixels({"111": [pixel(n) for n in range(21)]})
    output = run("pixels", raw_config(advertiser_ids=["111"]), {"pixel/list/": fake.list})
    assert len(output.records) == 21
    assert [query["page"] for query in fake.list_queries] == ["1", "2"]
    assert output.records[0].record.data["create_time"] == "2026-09-20T10:00:00Z"


def test_statistics_batch_ten_pixels_per_request_over_thirty_day_windows() -> None:
    fake = FakePixels({"111": [pixel(n) for n in range(23)], "222": [pixel(99, created=None)]})
    config = raw_config(advertiser_ids=["111", "222"], start_date="2026-09-01", end_date="2026-11-15")
    output = run(
        "pixel_events_statistics", config, {"pixel/list/": fake.list, "pixel/event/stats/": fake.stats}
    )
    by_advertiser: dict[str, list[dict]] = {"111": [], "222": []}
    for query in fake.stats_queries:
        ids = json.loads(query["pixel_ids"])
        assert isinstance(ids, list) and 1 <= len(ids) <= 10
        date_range = json.loads(query["date_range"])
        start, end = date.fromisoformat(date_range["start_date"]), date.fromisoformat(date_range["end_date"])
        assert start <= end and (end - start).days + 1 <= 30
        by_advertiser[query["advertiser_id"]].append({"ids": ids, "start": start, "end": end})
    # 111: pixels created 2026-09-20 -> windows from then to 2026-11-15 (57 days = 2 windows) x 3 batches.
    assert len(by_advertiser["111"]) == 6
    assert sorted({(call["start"], call["end"]) for call in by_advertiser["111"]}) == [
        (date(2026, 9, 20), date(2026, 10, 19)),
        (date(2026, 10, 20), date(2026, 11, 15)),
    ]
    assert sorted(len(call["ids"]) for call in by_advertiser["111"]) == [3, 3, 10, 10, 10, 10]
    # 222: creation date unknown -> the configured start_date, 2026-09-01..2026-11-15 = 3 windows.
    windows = [(call["start"], call["end"]) for call in by_advertiser["222"]]
    assert windows[0][0] == date(2026, 9, 1) and windows[-1][1] == date(2026, 11, 15) and len(windows) == 3
    assert all(b[0] - a[1] == timedelta(days=1) for a, b in pairwise(windows))
    records = [record.record.data for record in output.records]
    assert len(records) == 23 * 2 + 3
    assert {"advertiser_id", "pixel_id", "start_date", "end_date", "statistics"} <= set(records[0])


def test_statistics_denied_for_one_advertiser_names_the_scope() -> None:
    fake = FakePixels({"111": [pixel(1)], "222": [pixel(2)]}, denied_stats={"111"})
    config = raw_config(advertiser_ids=["111", "222"], start_date="2026-11-01", end_date="2026-11-02")
    output = run(
        "pixel_events_statistics",
        config,
        {"pixel/list/": fake.list, "pixel/event/stats/": fake.stats},
        error=True,
    )
    assert [record.record.data["advertiser_id"] for record in output.records] == ["222"]
    messages = " ".join(error.trace.error.message for error in output.errors)
    assert "advertiser 111" in messages and "Pixel Management > Pixel Level Reporting" in messages


def test_instant_page_events_ask_airbytes_objectives_and_skip_unoffered_goals() -> None:
    asked: list[tuple[str, str]] = []

    def instant_page(request: Any, context: Any) -> dict[str, Any]:
        query = query_of(request)
        asked.append((query["objective_type"], query["optimization_goal"]))
        if (query["objective_type"], query["optimization_goal"]) != ("CONVERSIONS", "CONVERT"):
            return envelope(code=40002, message="optimization_goal: not supported for this objective_type.")
        return envelope({"list": [{"business_type": "TIKTOK_INSTANT_PAGE", "instant_page_events": {}}]})

    output = run(
        "pixel_instant_page_events",
        raw_config(advertiser_ids=["111"], **UNTHROTTLED),
        {"pixel/instant_page/event/": instant_page},
    )
    # Every pair, but WEB_CONVERSIONS (documented to answer as CONVERSIONS) only with CONVERSIONS' goal.
    assert len(asked) == len(set(asked)) == ASKED_WHEN_ONE_IS_SERVED
    assert [goal for objective, goal in asked if objective == "WEB_CONVERSIONS"] == ["CONVERT"]
    # The documented two, and the undocumented ones source-tiktok-marketing asks (and gets rows for).
    assert {"CONVERSIONS", "APP_PROMOTION", "WEB_CONVERSIONS", "TRAFFIC", "REACH", "VIDEO_VIEWS"} <= {
        objective for objective, _ in asked
    }
    assert [record.record.data for record in output.records] == [
        {
            "business_type": "TIKTOK_INSTANT_PAGE",
            "instant_page_events": {},
            "advertiser_id": "111",
            "objective_type": "CONVERSIONS",
            "optimization_goal": "CONVERT",
        }
    ]
    assert not output.errors
    refused = ASKED_WHEN_ONE_IS_SERVED - 1
    assert any(f"refused {refused} of {ASKED_WHEN_ONE_IS_SERVED} " in log.log.message for log in output.logs)


def test_unoffered_combinations_are_one_line_per_advertiser_with_each_reason_counted() -> None:
    """No line per skipped request (the HTTP client's "Skipped: …" / "Ignoring response …"): one per
    advertiser, naming the stream, the advertiser, how many were skipped and TikTok's reasons."""

    def instant_page(request: Any, context: Any) -> dict[str, Any]:
        query = query_of(request)
        objective, goal = query["objective_type"], query["optimization_goal"]
        if objective == "RF_REACH":
            return envelope(code=40002, message=f"objective_type: Invalid value '{objective}'.")
        if goal != "REACH":
            return envelope(
                code=40002,
                message=f"optimization_goal: {goal} is not supported for objective_type {objective}.",
            )
        return envelope({"list": [{"business_type": "TIKTOK_INSTANT_PAGE", "instant_page_events": {}}]})

    output = run(
        "pixel_instant_page_events",
        raw_config(advertiser_ids=["111", "222"], **UNTHROTTLED),
        {"pixel/instant_page/event/": instant_page},
    )

    assert len(output.records) == 2 * (len(INSTANT_PAGE_OBJECTIVES) - 1)
    logged = [log.log.message for log in output.logs]
    assert not [line for line in logged if "Skipped" in line or "Ignoring response" in line]
    skipped_lines = [line for line in logged if "objective/goal combinations" in line]
    # The first advertiser learns: RF_REACH once (the value itself was refused), WEB_CONVERSIONS only with
    # the goal CONVERSIONS was served, every other pair once. The second asks only the nine served pairs.
    per_objective = len(INSTANT_PAGE_GOALS) - 1
    refused = (len(INSTANT_PAGE_OBJECTIVES) - 2) * per_objective + 1
    asked = refused + len(INSTANT_PAGE_OBJECTIVES) - 1
    [line] = skipped_lines
    assert re.fullmatch(
        f"pixel_instant_page_events: advertiser (111|222): TikTok refused {refused} of {asked} objective/goal "
        f"combinations as not offered; they were skipped \\({refused - 1}: "
        '"optimization_goal: <optimization_goal> is not supported for objective_type <objective_type>."; '
        "1: \"objective_type: Invalid value '<objective_type>'.\"\\).",
        line,
    ), line
