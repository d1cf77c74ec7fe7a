"""The plan logged when a read starts and the progress lines while it runs: their numbers add up to what
the read did."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import pytest
import requests_mock
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput, read

from source_tiktok_ads import SourceTiktokAds
from source_tiktok_ads.pipeline.plan import least_seconds
from source_tiktok_ads.pipeline.progress import (
    INTERVAL_ENV,
    ReadProgress,
    count,
    counted,
    duration,
    progress_interval,
)

from .conftest import BASE_URL, envelope, raw_config
from .test_row_context import DailyRows

PLAN = re.compile(
    r"Plan: (\d+) streams, (\d+) advertisers, ([\d,]+) slices, at least ([\d,]+) requests, "
    r"about (.+) at (\S+) requests/s"
)
PROGRESS = re.compile(
    r"Progress: ([\d,]+)/([\d,]+) slices, ([\d,]+) records, ([\d,]+) requests, about (.+) left"
)
DONE = re.compile(r"Read done: ([\d,]+)/([\d,]+) slices, ([\d,]+) records, ([\d,]+) requests in (.+)")


def number(text: str) -> int:
    return int(text.replace(",", ""))


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (44.6, "45 s"),
        (142, "2 min 22 s"),
        (3600, "1 h 0 min"),
        (11_100, "3 h 5 min"),
        (90_000, "1 d 1 h"),
    ],
)
def test_durations_read_as_a_person_says_them(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_counts_have_thousands_separators() -> None:
    assert count(1402) == "1,402" and count(120_455) == "120,455" and count(7) == "7"
    assert counted(1, "advertiser") == "1 advertiser" and counted(0, "record") == "0 records"
    assert counted(1402, "slice") == "1,402 slices"


def test_least_time_follows_the_budgets_spacing_and_minute_window() -> None:
    # One request every 1.05/10 s: 1,415 requests take 148.6 s.
    assert duration(least_seconds(1415, 10, 600)) == "2 min 29 s"
    # With a generous per-second rate the minute window decides: 1,300 requests need two full windows.
    assert least_seconds(1300, 1000, 600) == pytest.approx(2 * 63)
    assert least_seconds(0, 10, 600) == 0


def test_interval_comes_from_the_environment_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    assert progress_interval() == 30
    monkeypatch.setenv(INTERVAL_ENV, "2.5")
    assert progress_interval() == 2.5
    for bad in ("soon", "0", "-1"):
        monkeypatch.setenv(INTERVAL_ENV, bad)
        assert progress_interval() == 30


def test_time_left_is_the_pace_so_far_and_never_less_than_the_budget_allows() -> None:
    now = [100.0]
    sent = [0]
    progress = ReadProgress(
        100, 110, 120, lambda: sent[0], 10, logging.getLogger("test"), clock=lambda: now[0]
    )
    assert progress.seconds_left() == 12  # nothing done yet: the plan's minimum at the budget's pace
    # 50 s in, slices worth 55 of the 110 planned requests are done; 100 requests went out, most of
    # them for slices fetched ahead: the pace says 50 s more.
    now[0], sent[0] = 150.0, 100
    for _ in range(45):
        progress.slice_done()
    for _ in range(5):
        progress.slice_done(2)
    progress.add_records(1234)
    assert progress.seconds_left() == 50
    assert progress.line() == "Progress: 50/100 slices, 1,234 records, 100 requests, about 50 s left"
    assert progress.final_line() == "Read done: 50/100 slices, 1,234 records, 100 requests in 50 s"
    # A pace faster than the budget allows is not believed.
    now[0] = 101.0
    assert progress.seconds_left() == pytest.approx(2.0)
    sent[0] = 0
    assert progress.seconds_left() == 12


class Slow:
    """TikTok taking its time, so that the read lasts several progress intervals."""

    def __init__(self, answer: Any, seconds: float = 0.03) -> None:
        self.answer, self.seconds = answer, seconds

    def __call__(self, request: Any, context: Any) -> Any:
        time.sleep(self.seconds)
        return self.answer(request, context)


def read_with_progress(
    config: dict[str, Any], reports: Any = None, interval: float = 0.05
) -> tuple[EntrypointOutput, int]:
    catalog = (
        CatalogBuilder()
        .with_stream("ads_reports_daily", SyncMode.incremental)
        .with_stream("ads_reports_lifetime", SyncMode.full_refresh)
        .with_stream("campaigns", SyncMode.full_refresh)
        .build()
    )
    source = SourceTiktokAds()
    source.progress_interval_seconds = interval
    with requests_mock.Mocker() as mock:
        info = [
            {"advertiser_id": advertiser, "timezone": "UTC", "currency": "USD"} for advertiser in ("1", "2")
        ]
        mock.get(BASE_URL + "advertiser/info/", json=envelope({"list": info}))
        mock.get(BASE_URL + "report/integrated/get/", json=reports or Slow(DailyRows()))
        mock.get(
            BASE_URL + "campaign/get/",
            json=envelope({"list": [], "page_info": {"page": 1, "total_number": 0, "total_page": 1}}),
        )
        output = read(source, config, catalog)
        return output, mock.call_count


def log_lines(output: EntrypointOutput, pattern: re.Pattern[str]) -> list[tuple[str, ...]]:
    return [match.groups() for log in output.logs if (match := pattern.fullmatch(log.log.message))]


def test_plan_and_progress_add_up_to_what_the_read_did() -> None:
    config = raw_config(
        advertiser_ids=["1", "2"], start_date="2026-06-01", end_date="2026-09-30", num_workers=2
    )
    output, requests = read_with_progress(config)
    assert not output.errors
    [plan] = log_lines(output, PLAN)
    streams, advertisers, slices, least, _, rate = plan
    # Per advertiser: 4 windows of 30 days up to 09-28 and one of 2 days, 1 lifetime query, 1 campaign
    # slice (two listings: auction and TopView); plus one advertiser lookup, and one TopView and one
    # Reach & Frequency probe each.
    assert (streams, advertisers, number(slices), rate) == ("3", "2", 2 * (5 + 1 + 1), "10")
    assert number(least) == 1 + 2 * (5 + 1 + 2 + 2) == requests  # no paging here: the least is exact
    [done] = log_lines(output, DONE)
    assert number(done[0]) == number(done[1]) == number(slices)
    assert number(done[2]) == len(output.records) == 2 * (122 + 1)
    assert number(done[3]) == requests
    # While it ran: at least one line per interval, never more than the read did, and never going back.
    progress = log_lines(output, PROGRESS)
    assert len(progress) >= 3
    seen = [(number(a), number(c), number(d)) for a, b, c, d, _ in progress]
    assert seen == sorted(seen) and all(number(b) == number(slices) for _, b, _, _, _ in progress)
    assert seen[-1] <= (number(done[0]), number(done[2]), number(done[3]))


def test_a_failed_read_still_says_how_far_it_got() -> None:
    # A code the connector cannot resolve fails the stream at once (a refusal of one slice would not).
    def refuse(request: Any, context: Any) -> dict[str, Any]:
        return envelope(code=40006, message="The app is not allowed to call this endpoint.")

    config = raw_config(advertiser_ids=["1", "2"], start_date="2026-09-01", end_date="2026-09-30")
    output, requests = read_with_progress(config, reports=refuse)
    assert output.errors
    [done] = log_lines(output, DONE)
    assert number(done[0]) < number(done[1]) and number(done[3]) == requests


def test_no_start_date_says_what_the_backfill_costs() -> None:
    config = raw_config(advertiser_ids=["1", "2"], requests_per_second=1000, requests_per_minute=60000)
    del config["start_date"]
    output, requests = read_with_progress(config, reports=DailyRows(), interval=30)
    [note] = [log.log.message for log in output.logs if log.log.message.startswith("No start_date")]
    match = re.fullmatch(
        r"No start_date is set, so report streams backfill from 2016-09-01 \(([\d,]+) days\): "
        r"([\d,]+) of those requests, about (.+)\. Set start_date to read less\.",
        note,
    )
    assert match is not None, note
    days, backfill, _ = match.groups()
    # The daily report's 30-day windows of both advertisers; the lifetime report reads no days.
    assert number(backfill) == 2 * -(-number(days) // 30)
    [plan] = log_lines(output, PLAN)
    assert number(backfill) < number(plan[3]) <= requests


def test_a_configured_start_date_has_no_backfill_note() -> None:
    config = raw_config(advertiser_ids=["1", "2"], start_date="2016-09-01", end_date="2016-09-30")
    output, _ = read_with_progress(config, reports=DailyRows(), interval=30)
    assert not [log for log in output.logs if log.log.message.startswith("No start_date")]
    assert log_lines(output, PLAN)
