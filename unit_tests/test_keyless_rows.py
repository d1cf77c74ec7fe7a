"""A report row without its primary-key dimensions is left out; its window's other rows are not."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from airbyte_cdk.models import FailureType

from source_tiktok_ads.reports.keyless_rows import QuietFailures, RowsWithoutKey

from .conftest import envelope, freeze_report_today
from .test_metric_healing import read_refusing
from .test_report_streams import query_of

TODAY = datetime.now(UTC).date()


@pytest.fixture(autouse=True)
def report_today(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze_report_today(monkeypatch, TODAY)


class RowsWithHoles:
    """Three rows per window; in the first window the middle one has no ad_id."""

    def __init__(self, only_advertiser: str | None = None) -> None:
        self.first_start: str | None = None
        # The advertiser whose first window has the keyless row (None: whichever is asked first).
        self.only_advertiser = only_advertiser

    def __call__(self, request: Any, context: Any) -> dict[str, Any]:
        query = query_of(request)
        start = query["start_date"]
        if self.only_advertiser in (None, query["advertiser_id"]):
            self.first_start = self.first_start or start
        rows = [
            {"dimensions": {"ad_id": str(n), "stat_time_day": f"{start} 00:00:00"}, "metrics": {"spend": "1"}}
            for n in range(3)
        ]
        if start == self.first_start and self.only_advertiser in (None, query["advertiser_id"]):
            rows[1] = {"dimensions": {"stat_time_day": f"{start} 00:00:00"}, "metrics": {"spend": "9"}}
        page_info = {"page": 1, "page_size": 1000, "total_number": 3, "total_page": 1}
        assert json.loads(query["dimensions"])[0] == "ad_id"
        return envelope({"list": rows, "page_info": page_info})


def test_the_other_rows_are_read_and_the_stream_fails_naming_count_window_and_advertiser() -> None:
    fake = RowsWithHoles()
    start = (TODAY - timedelta(days=2)).isoformat()
    output = read_refusing("ads_reports_daily", fake, start_date=start, num_workers=1)  # type: ignore[arg-type]

    records = [message.record.data for message in output.records]
    assert sorted(record["ad_id"] for record in records) == ["0", "2"]
    assert all(record["metrics"]["spend"] == 1.0 for record in records)
    errors = [error.trace.error for error in output.errors]
    assert len(errors) >= 1
    failure = next(error for error in errors if "without" in (error.message or ""))
    assert failure.message.startswith("Stream ads_reports_daily left 1 advertiser unread")
    assert "TikTok returned 1 row(s) without ad_id" in failure.message
    assert "advertiser 111" in failure.message and f"window {start}..{TODAY.isoformat()}" in failure.message
    assert failure.failure_type == FailureType.system_error
    assert not failure.stack_trace
    logged = " ".join(log.log.message for log in output.logs)
    assert "returned 1 row(s) without ad_id" in logged and "Traceback" not in logged


def test_the_failure_is_logged_as_its_sentence_without_a_traceback() -> None:
    slice_ = {"advertiser_id": "7", "start_date": "2026-11-01", "end_date": "2026-11-01"}
    try:
        raise RowsWithoutKey("ads_reports_daily", 2, ["ad_id"], slice_)
    except RowsWithoutKey:
        record = logging.LogRecord("airbyte", logging.ERROR, __file__, 1, "Stream failed", None, None)
        record.exc_info = sys.exc_info()
    assert QuietFailures().filter(record)
    text = logging.Formatter().format(record)
    assert "Traceback" not in text
    assert "2 row(s) without ad_id" in text and "window 2026-11-01." in text
