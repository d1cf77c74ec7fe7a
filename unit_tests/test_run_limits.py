"""Limits met once for the whole run: the daily quota told from a per-second 40100, the resume time,
and a stop that refuses every request after it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from source_tiktok_ads.api import run_limits
from source_tiktok_ads.api.envelope import Envelope
from source_tiktok_ads.api.run_limits import RunLimits, RunStopped, next_utc_midnight, says_daily

NOON = datetime(2026, 3, 4, 12, 30, tzinfo=UTC).timestamp()
PER_SECOND = "Due to too many requests, requests from App [1] are temporarily restricted."


def throttled(message: str) -> Envelope:
    return Envelope(40100, message, "r1", {})


def test_tiktoks_daily_wording_is_told_from_the_per_second_one() -> None:
    assert says_daily("the daily request limit (QPD) is reached")
    assert not says_daily(PER_SECOND)


def test_the_quota_resumes_at_the_next_utc_midnight() -> None:
    assert next_utc_midnight(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == datetime(2027, 1, 1, tzinfo=UTC)


def test_a_daily_40100_stops_the_run_and_every_request_after_it() -> None:
    limits = RunLimits(clock=lambda: NOON)
    limits.check()
    stop = limits.judge_throttle(throttled("daily limit reached"), "ad/get/")
    assert stop is not None and limits.stopped is stop
    assert "resume after 2026-03-05 00:00 UTC" in stop.message and "ad/get/" in stop.message
    with pytest.raises(RunStopped):
        limits.check()
    with pytest.raises(RunStopped):
        limits.raise_if_stopped()


def test_a_per_second_40100_is_daily_only_once_the_run_sent_the_days_quota(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(run_limits, "DAILY_QUOTA", 3)
    limits = RunLimits(clock=lambda: NOON)
    limits.check()
    limits.check()
    assert limits.judge_throttle(throttled(PER_SECOND), "ad/get/") is None
    limits.check()
    stop = limits.judge_throttle(throttled(PER_SECOND), "ad/get/")
    assert stop is not None and "this run sent 3 today" in stop.message


def test_the_first_stop_stands() -> None:
    limits = RunLimits(clock=lambda: NOON)
    first = limits.maintenance_outlasted("report/integrated/get/", "Service maintenance", "9 attempts", 12.0)
    assert "maintenance" in first.message and "9 attempts" in first.message
    assert limits.judge_throttle(throttled("daily limit"), "ad/get/") is first


def test_other_codes_are_no_daily_quota() -> None:
    assert RunLimits().judge_throttle(Envelope(40133, "daily", "r", {}), "ad/get/") is None
