"""Timeouts shrink the query: a report window of several days that times out is handed back to be read in
halves, not retried as it is; repeated timeouts on an endpoint slow that endpoint's pace."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pytest
import requests
from airbyte_cdk.sources.streams.http.error_handlers import ResponseAction
from urllib3.exceptions import ReadTimeoutError

from source_tiktok_ads.api import endpoint_pace
from source_tiktok_ads.api.endpoint_pace import EndpointPace
from source_tiktok_ads.api.errors import QueryTimedOut, TikTokErrorHandler
from source_tiktok_ads.api.params import REQUEST_TIMEOUT, encode_params, request_timeout
from source_tiktok_ads.api.timeouts import read_timed_out, timed_out
from source_tiktok_ads.api.waits import READ_TIMEOUT_ENV
from source_tiktok_ads.reports.healing import ReportErrorHandler
from source_tiktok_ads.reports.timeout_shrink import shrinkable_by_date

from .conftest import BASE_URL, envelope
from .test_http_layer import response_for
from .test_window_read import WINDOW, FakeListing, ad_ids, as_rows, page, reader, row

LOGGER = logging.getLogger("test")
REPORT_URL = BASE_URL + "report/integrated/get/"
TIMEOUT_MESSAGE = "Internal service connection timeout. Please try again."


def report_request(**params: Any) -> requests.PreparedRequest:
    query = {"advertiser_id": "111", "dimensions": ["ad_id", "stat_time_day"], **params}
    return requests.Request("GET", REPORT_URL, params=encode_params(query)).prepare()


def read_timeout(request: requests.PreparedRequest) -> requests.exceptions.ReadTimeout:
    return requests.exceptions.ReadTimeout("read timed out", request=request)


def test_both_forms_of_a_timeout_are_told_from_other_failures() -> None:
    assert read_timed_out(requests.exceptions.ReadTimeout())
    # A body that stalls half-way: requests wraps urllib3's ReadTimeoutError in a ConnectionError.
    assert read_timed_out(requests.exceptions.ConnectionError(ReadTimeoutError(None, "/", "read timed out")))
    assert not read_timed_out(requests.exceptions.ConnectionError("connection reset"))
    assert not read_timed_out(requests.exceptions.ConnectTimeout())
    assert timed_out(response_for(envelope(code=50002, message=TIMEOUT_MESSAGE)))
    assert not timed_out(response_for(envelope(code=50002, message="System error.")))
    assert not timed_out(response_for(envelope()))


def test_tiktoks_timeout_answer_is_retried_whatever_its_code() -> None:
    resolution = TikTokErrorHandler(LOGGER).interpret_response(
        response_for(envelope(code=41999, message=TIMEOUT_MESSAGE))
    )
    assert resolution.response_action == ResponseAction.RETRY
    assert "timed out" in resolution.error_message


@pytest.mark.parametrize(
    ("params", "shrinks"),
    [
        ({"start_date": "2026-01-01", "end_date": "2026-01-30"}, True),
        ({"start_date": "2026-01-01", "end_date": "2026-01-01"}, False),
        ({"query_lifetime": True}, False),
        ({"start_date": "2026-01-01", "end_date": "2026-01-30", "dimensions": ["ad_id"]}, False),
        ({"start_date": "2026-01-01", "end_date": "2026-01-02", "dimensions": ["stat_time_hour"]}, True),
    ],
)
def test_only_a_window_of_several_days_with_a_time_dimension_shrinks(
    params: dict[str, Any], shrinks: bool
) -> None:
    assert shrinkable_by_date(report_request(**params)) is shrinks


def test_a_report_window_of_several_days_that_timed_out_is_handed_back_not_retried() -> None:
    told: list[str] = []
    handler = ReportErrorHandler(LOGGER, on_timeout=told.append)
    request = report_request(start_date="2026-01-01", end_date="2026-01-30")

    with pytest.raises(QueryTimedOut) as raised:
        handler.interpret_response(read_timeout(request))

    assert "advertiser 111" in raised.value.message
    assert told == ["report/integrated/get/"]


def test_a_single_day_that_timed_out_is_retried_as_it_is() -> None:
    told: list[str] = []
    handler = ReportErrorHandler(LOGGER, on_timeout=told.append)
    request = report_request(start_date="2026-01-01", end_date="2026-01-01")

    resolution = handler.interpret_response(read_timeout(request))

    assert resolution.response_action == ResponseAction.RETRY
    assert told == ["report/integrated/get/"]


def test_a_window_that_timed_out_is_read_in_halves_even_after_a_page(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def answer(request_slice: Mapping[str, Any], call: int) -> tuple[list[dict[str, Any]], Exception | None]:
        if request_slice["start_date"] == "2026-01-01" and request_slice["end_date"] == "2026-01-04":
            return [page([row("1")], 3)], QueryTimedOut("report/integrated/get/", "111", "timed out")
        first = request_slice["start_date"] == "2026-01-01"
        return [page([row("1"), row("2")] if first else [row("3", "2026-01-03")], 2 if first else 1)], None

    listing = FakeListing(answer)
    with caplog.at_level(logging.INFO, logger="test"):
        pages = list(reader(listing).read(WINDOW, as_rows))

    # The row of the page handed over before the timeout is not emitted again by the first half.
    assert ad_ids(pages) == ["1", "2", "3"]
    windows = [(call["start_date"], call["end_date"]) for call, _ in listing.calls]
    assert windows == [
        ("2026-01-01", "2026-01-04"),
        ("2026-01-01", "2026-01-02"),
        ("2026-01-03", "2026-01-04"),
    ]
    assert "window 2026-01-01..2026-01-04 timed out; splitting it in two." in caplog.text


def test_a_lone_timeout_keeps_the_pace_and_repeated_ones_slow_only_their_endpoint() -> None:
    pace = EndpointPace()
    pace.timed_out("report/integrated/get/", now=0.0)
    assert pace.slowing("report/integrated/get/", 0.0) == 1.0
    pace.timed_out("report/integrated/get/", now=10.0)
    pace.timed_out("report/integrated/get/", now=20.0)
    # Doubled twice (the first doubling worn off a little in the ten seconds between).
    assert pace.slowing("report/integrated/get/", 20.0) == pytest.approx(4.0, rel=0.01)
    assert pace.slowing("ad/get/", 20.0) == 1.0
    for step in range(10):
        pace.timed_out("report/integrated/get/", now=30.0 + step)
    assert pace.slowing("report/integrated/get/", 40.0) <= endpoint_pace.MOST_SLOWING
    # Wears off: halfway back to the run's pace after a half-life.
    later = 39.0 + endpoint_pace.SLOWING_HALF_LIFE_SECONDS
    assert pace.slowing("report/integrated/get/", later) == pytest.approx(
        1 + (endpoint_pace.MOST_SLOWING - 1) / 2
    )


def test_a_slowed_endpoints_requests_leave_its_slowing_times_the_spacing_apart() -> None:
    pace = EndpointPace()
    for now in (0.0, 1.0, 2.0):
        pace.timed_out("report/integrated/get/", now)
    turns = [pace.turn("report/integrated/get/", earliest=2.0, spacing=0.1) for _ in range(3)]
    assert turns == pytest.approx([2.0, 2.4, 2.8], rel=0.001)
    assert pace.turn("ad/get/", earliest=2.0, spacing=0.1) == 2.0


@pytest.mark.parametrize(
    ("value", "read"), [("2", 2.0), ("0.5", 0.5), ("1000", 120.0), ("0", 120.0), ("x", 120.0)]
)
def test_the_environment_can_shorten_the_read_timeout_never_lengthen_it(
    monkeypatch: pytest.MonkeyPatch, value: str, read: float
) -> None:
    monkeypatch.setenv(READ_TIMEOUT_ENV, value)
    assert REQUEST_TIMEOUT[1] == 120.0
    assert request_timeout() == (REQUEST_TIMEOUT[0], read)
