"""The shared request budget: configured rates hold, TikTok's throttling pauses every worker."""

from __future__ import annotations

import time

import requests
import requests_mock

from source_tiktok_ads.api import budget as budget_module
from source_tiktok_ads.api.budget import AdaptiveBudget

from .conftest import BASE_URL, envelope


def response(code: int) -> requests.Response:
    with requests_mock.Mocker() as mock:
        mock.get(BASE_URL + "ad/get/", json=envelope(code=code))
        return requests.get(BASE_URL + "ad/get/", timeout=1)


def request() -> requests.PreparedRequest:
    return requests.Request("GET", BASE_URL + "ad/get/").prepare()


def test_requests_per_second_is_enforced() -> None:
    budget = AdaptiveBudget(requests_per_second=5, requests_per_minute=600)
    began = time.monotonic()
    for _ in range(11):
        budget.acquire_call(request())
    # 11 calls at 5/s need two full windows after the first five.
    assert time.monotonic() - began >= 1.9


def test_throttling_pauses_everyone_and_grows_until_success(monkeypatch) -> None:
    monkeypatch.setattr(budget_module, "FIRST_PAUSE_SECONDS", 0.2)
    budget = AdaptiveBudget(requests_per_second=100, requests_per_minute=6000)
    budget._next_pause = 0.2
    budget.update_from_response(request(), response(40100))
    assert 0.1 < budget.paused_for <= 0.2
    budget.update_from_response(request(), response(40133))  # same pause, not stacked
    assert budget.paused_for <= 0.2
    began = time.monotonic()
    budget.acquire_call(request())
    assert time.monotonic() - began >= 0.1
    budget.update_from_response(request(), response(40100))
    assert 0.3 < budget.paused_for <= 0.4  # doubled
    assert budget.throttled_responses == 3
    time.sleep(0.4)
    budget.update_from_response(request(), response(0))
    budget.update_from_response(request(), response(40100))
    assert budget.paused_for <= 0.2  # back to the first pause after a success


def test_other_errors_do_not_pause() -> None:
    budget = AdaptiveBudget(requests_per_second=100, requests_per_minute=6000)
    for code in (50000, 40002, 40001):
        budget.update_from_response(request(), response(code))
    assert budget.paused_for == 0
