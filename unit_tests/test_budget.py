"""The shared request budget: configured rates hold, TikTok's throttling pauses every worker."""

from __future__ import annotations

import bisect
import itertools
import math
import random
from types import SimpleNamespace

import pytest
import requests
import requests_mock
from airbyte_cdk.sources.streams import call_rate
from pyrate_limiter import clocks as pyrate_clocks

from source_tiktok_ads.api import budget as budget_module
from source_tiktok_ads.api.budget import AdaptiveBudget
from source_tiktok_ads.cancel import CANCEL

from .conftest import BASE_URL, envelope


def response(code: int) -> requests.Response:
    with requests_mock.Mocker() as mock:
        mock.get(BASE_URL + "ad/get/", json=envelope(code=code))
        return requests.get(BASE_URL + "ad/get/", timeout=1)


def request() -> requests.PreparedRequest:
    return requests.Request("GET", BASE_URL + "ad/get/").prepare()


def test_requests_per_second_is_enforced(fake_clock) -> None:
    granted = grant_times(
        AdaptiveBudget(requests_per_second=5, requests_per_minute=600), fake_clock, calls=11
    )
    # 11 calls at 5/s: each at least a fifth of a second after the one before, two seconds in all.
    assert min(later - earlier for earlier, later in itertools.pairwise(granted)) >= 1 / 5
    assert granted[-1] - granted[0] >= 10 / 5


def test_throttling_pauses_everyone_and_grows_until_success(fake_clock) -> None:
    first = budget_module.FIRST_PAUSE_SECONDS
    budget = AdaptiveBudget(requests_per_second=100, requests_per_minute=6000)
    budget.update_from_response(request(), response(40100))
    assert budget.paused_for == pytest.approx(first)
    budget.update_from_response(request(), response(40133))  # same pause, not stacked
    assert budget.paused_for == pytest.approx(first)
    began = fake_clock.seconds
    budget.acquire_call(request())
    assert fake_clock.seconds - began >= first
    budget.update_from_response(request(), response(40100))
    assert budget.paused_for == pytest.approx(2 * first)  # doubled
    assert budget.throttled_responses == 3
    fake_clock.sleep(2 * first)
    budget.update_from_response(request(), response(0))
    budget.update_from_response(request(), response(40100))
    assert budget.paused_for == pytest.approx(first)  # back to the first pause after a success


def test_other_errors_do_not_pause() -> None:
    budget = AdaptiveBudget(requests_per_second=100, requests_per_minute=6000)
    for code in (50000, 40002, 40001):
        budget.update_from_response(request(), response(code))
    assert budget.paused_for == 0


class FakeClock:
    """Time that moves only when someone sleeps: the limiter's decisions, without waiting for them."""

    def __init__(self) -> None:
        self.seconds = 1_000_000.0

    def time(self) -> float:
        return self.seconds

    def sleep(self, seconds: float) -> None:
        # The CDK retries immediately when told to wait 0 ms; a tick keeps the fake time moving.
        self.seconds += max(seconds, 0.001)


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    clock = FakeClock()
    fake_time = SimpleNamespace(time=clock.time, monotonic=clock.time, sleep=clock.sleep)
    # pyrate-limiter stamps calls with time.time(); the CDK waits with time.sleep(), our budget on the
    # run's cancel switch (a wait a cancel cuts short).
    monkeypatch.setattr(pyrate_clocks, "time", clock.time)
    monkeypatch.setattr(call_rate, "time", fake_time)
    monkeypatch.setattr(budget_module, "time", fake_time)
    monkeypatch.setattr(CANCEL, "wait", clock.sleep)
    return clock


def grant_times(budget: AdaptiveBudget, clock: FakeClock, calls: int) -> list[float]:
    granted = []
    for _ in range(calls):
        budget.acquire_call(request())
        granted.append(clock.seconds)
    return granted


def most_calls_in_any_window(granted: list[float], window_seconds: float) -> int:
    most, first = 0, 0
    for last, at in enumerate(granted):
        while at - granted[first] >= window_seconds:
            first += 1
        most = max(most, last - first + 1)
    return most


@pytest.mark.parametrize("per_second, per_minute", [(10, 600), (3, 100), (2.5, 120), (0.5, 600)])
def test_limiter_never_exceeds_its_rates_in_any_window(fake_clock, per_second, per_minute) -> None:
    budget = AdaptiveBudget(requests_per_second=per_second, requests_per_minute=per_minute)
    granted = grant_times(budget, fake_clock, calls=3 * per_minute + 1)

    gaps = [later - earlier for earlier, later in itertools.pairwise(granted)]
    assert min(gaps) >= 1 / per_second
    assert most_calls_in_any_window(granted, 1.0) <= math.ceil(per_second)
    assert most_calls_in_any_window(granted, 60.0) <= per_minute
    # ... and the budget is used, not wasted: three minutes' worth of calls (or three minutes at the
    # per-second rate, whichever binds) take that long plus the 5% margin, and no more.
    elapsed = granted[-1] - granted[0]
    ideal = 3 * max(60.0, per_minute / per_second)
    assert ideal <= elapsed <= ideal * 1.1


def test_a_throttling_answer_holds_every_call_for_the_pause(fake_clock) -> None:
    budget = AdaptiveBudget(requests_per_second=10, requests_per_minute=600)
    grant_times(budget, fake_clock, calls=5)
    throttled_at = fake_clock.seconds
    budget.update_from_response(request(), response(40100))
    granted = grant_times(budget, fake_clock, calls=20)

    assert granted[0] >= throttled_at + budget_module.FIRST_PAUSE_SECONDS
    assert most_calls_in_any_window(granted, 1.0) <= 10


class Tiktok:
    """TikTok's QPS check at 10/s over a sliding second, for calls that reach it `delay` after they
    leave; answers come back (to the budget) once no earlier-sent call can still arrive before."""

    def __init__(self, budget: AdaptiveBudget, low: float, high: float, seed: int = 3) -> None:
        self.budget, self.low, self.high = budget, low, high
        self.random = random.Random(seed)
        self.pending: list[float] = []  # arrival times
        self.window: list[float] = []
        self.throttled_at: list[float] = []

    def send(self, at: float) -> None:
        bisect.insort(self.pending, at + self.random.uniform(self.low, self.high))

    def answer_until(self, now: float) -> None:
        while self.pending and self.pending[0] <= now - self.high:
            arrival = self.pending.pop(0)
            self.window = [seen for seen in self.window if seen > arrival - 1.0] + [arrival]
            throttled = len(self.window) > 10
            if throttled:
                self.throttled_at.append(arrival)
            self.budget.update_from_response(request(), response(40100 if throttled else 0))


def run_with_delays(clock: FakeClock, low: float, high: float, calls: int = 3000) -> tuple[Tiktok, float]:
    budget = AdaptiveBudget(requests_per_second=10, requests_per_minute=600 * 60)
    tiktok = Tiktok(budget, low, high)
    began = clock.seconds
    for _ in range(calls):
        tiktok.answer_until(clock.seconds)
        budget.acquire_call(request())
        tiktok.send(clock.seconds)
    return tiktok, clock.seconds - began


def test_evenly_spaced_calls_with_a_steady_network_are_never_throttled(fake_clock) -> None:
    tiktok, elapsed = run_with_delays(fake_clock, 0.08, 0.12)
    assert tiktok.throttled_at == []
    assert elapsed <= 3000 / 10 * budget_module.WINDOW_MARGIN * 1.01


def test_throttled_because_arrivals_bunch_the_budget_spaces_its_calls_wider(fake_clock) -> None:
    began = fake_clock.seconds
    tiktok, elapsed = run_with_delays(fake_clock, 0.05, 0.30)
    # Calls that took 50-300 ms to arrive need about 1.25 s per 10: throttled answers in the first
    # minute, then the spacing holds; once the widening has worn off, minutes later, throttling may
    # come back once or twice and widen it again.
    first_minute = [at for at in tiktok.throttled_at if at - began < 60]
    later = [at for at in tiktok.throttled_at if at - began >= 60]
    print(sorted(round(at - began) for at in tiktok.throttled_at), elapsed)
    assert 1 <= len(first_minute) <= 12
    assert len(later) <= 2
    assert elapsed <= 3000 / 10 * 1.3


def test_the_widening_wears_off(fake_clock) -> None:
    budget = AdaptiveBudget(requests_per_second=10, requests_per_minute=600)
    base = budget.spacing_seconds
    budget.update_from_response(request(), response(40100))
    assert budget.spacing_seconds == base  # a lone throttled answer only pauses
    fake_clock.sleep(budget_module.WIDEN_WITHIN_SECONDS + 1)
    budget.update_from_response(request(), response(40100))
    assert budget.spacing_seconds == base
    fake_clock.sleep(budget_module.WIDEN_WITHIN_SECONDS - 1)
    budget.update_from_response(request(), response(40100))  # throttled again, soon after
    assert budget.spacing_seconds == pytest.approx(base * budget_module.WIDEN_ON_THROTTLE)
    fake_clock.sleep(budget_module.WIDENING_HALF_LIFE_SECONDS)
    assert budget.spacing_seconds == pytest.approx(base * (1 + (budget_module.WIDEN_ON_THROTTLE - 1) / 2))
    for _ in range(20):  # throttled again and again: at most MOST_WIDENING
        fake_clock.sleep(budget.paused_for + 0.01)
        budget.update_from_response(request(), response(0))
        budget.update_from_response(request(), response(40100))
    assert budget.spacing_seconds == pytest.approx(base * budget_module.MOST_WIDENING)


def test_an_endpoint_that_keeps_timing_out_is_paced_wider_than_the_others(fake_clock) -> None:
    budget = AdaptiveBudget(requests_per_second=10, requests_per_minute=6000)
    for _ in range(3):
        budget.timed_out("report/integrated/get/")
        fake_clock.sleep(1)
    report = requests.Request("GET", BASE_URL + "report/integrated/get/").prepare()
    started = fake_clock.seconds
    report_times = []
    for _ in range(4):
        budget.acquire_call(report)
        report_times.append(fake_clock.seconds - started)
    assert budget.endpoint_slowing("report/integrated/get/") > 3.9
    gaps = [later - earlier for earlier, later in itertools.pairwise(report_times)]
    assert min(gaps) >= 3.9 * budget_module.WINDOW_MARGIN / 10
    # Other endpoints keep the run's spacing.
    listing_started = fake_clock.seconds
    grant_times(budget, fake_clock, calls=3)
    assert fake_clock.seconds - listing_started < 3 * 2 * budget_module.WINDOW_MARGIN / 10
