"""GMV Max reports' own rate bucket: a call passes it and the run's shared budget, under a fake clock."""

from __future__ import annotations

import pytest
from airbyte_cdk.sources.streams.call_rate import APIBudget

from source_tiktok_ads.api.budget import AdaptiveBudget
from source_tiktok_ads.api.endpoint_budget import EndpointBudget, endpoint_rates
from source_tiktok_ads.config import parse_config
from source_tiktok_ads.reports.gmv_max import GmvMaxReportStream
from source_tiktok_ads.source import SourceTiktokAds

from .conftest import raw_config
from .test_budget import FakeClock, fake_clock, grant_times, most_calls_in_any_window, request, response

__all__ = ["fake_clock"]  # the fixture, imported for this module's tests


class CountingBudget(APIBudget):
    def __init__(self) -> None:
        super().__init__(policies=[])
        self.acquired = 0
        self.answers = 0

    def acquire_call(self, request, block=True, timeout=None) -> None:  # type: ignore[no-untyped-def]
        self.acquired += 1

    def update_from_response(self, request, response) -> None:  # type: ignore[no-untyped-def]
        self.answers += 1


def test_basic_tier_gmv_max_rates_hold_in_every_window(fake_clock: FakeClock) -> None:
    shared = AdaptiveBudget(requests_per_second=10, requests_per_minute=600)
    budget = EndpointBudget(shared, per_second=8, per_minute=240, per_day=20000)
    granted = grant_times(budget, fake_clock, calls=3 * 240 + 1)
    assert most_calls_in_any_window(granted, 1.0) <= 8
    assert most_calls_in_any_window(granted, 60.0) <= 240
    # The per-minute cap binds: three minutes' worth take three minutes (plus the 5% margin), no more.
    assert 180 <= granted[-1] - granted[0] <= 180 * 1.1


def test_the_daily_cap_holds(fake_clock: FakeClock) -> None:
    budget = EndpointBudget(None, per_second=8, per_minute=240, per_day=300)
    granted = grant_times(budget, fake_clock, calls=601)
    assert most_calls_in_any_window(granted, 86400.0) <= 300
    assert granted[-1] - granted[0] >= 2 * 86400


def test_every_call_also_passes_the_shared_budget(fake_clock: FakeClock) -> None:
    shared = CountingBudget()
    budget = EndpointBudget(shared, per_second=8, per_minute=240, per_day=20000)
    grant_times(budget, fake_clock, calls=5)
    budget.update_from_response(request(), response(0))
    assert (shared.acquired, shared.answers) == (5, 1)


def test_gmv_max_throttling_pauses_the_shared_budget(fake_clock: FakeClock) -> None:
    shared = AdaptiveBudget(requests_per_second=10, requests_per_minute=600)
    budget = EndpointBudget(shared, per_second=8, per_minute=240, per_day=20000)
    budget.update_from_response(request(), response(40100))
    assert shared.paused_for > 0


def test_rates_that_do_not_bind_are_left_out() -> None:
    assert len(endpoint_rates(8, 240, 20000)) == 3
    assert len(endpoint_rates(8, 1000, 20000)) == 2  # 8/s never reaches 1000/min
    assert len(endpoint_rates(8, 240, 10**7)) == 2


@pytest.mark.parametrize("per_second, per_minute, per_day", [(8, 240, 20000), (2, 100, 5000)])
def test_gmv_max_report_streams_use_the_configured_bucket_on_top_of_the_shared_one(
    per_second: float, per_minute: int, per_day: int
) -> None:
    config = {
        **raw_config(),
        "gmv_max_requests_per_second": per_second,
        "gmv_max_requests_per_minute": per_minute,
        "gmv_max_requests_per_day": per_day,
    }
    streams = [s for s in SourceTiktokAds().streams(config) if isinstance(s, GmvMaxReportStream)]
    assert streams
    budgets = {id(stream.request_budget()) for stream in streams}
    assert len(budgets) == 1, "one GMV Max bucket per run, shared by its streams"
    budget = streams[0].request_budget()
    assert isinstance(budget, EndpointBudget) and budget.shared is streams[0].context.api_budget
    rates = budget._policies[0]._bucket.rates  # type: ignore[attr-defined]
    assert [rate.limit for rate in rates] == [1, per_minute, per_day]
    assert parse_config(config).gmv_max_requests_per_day == per_day
