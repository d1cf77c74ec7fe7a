"""A cancel ends every wait of the run at once: the switch's own waits, the rate budget's, the reader's
wait for its next page, and the CDK's sleeps."""

from __future__ import annotations

import signal
import threading
from typing import Any

import pytest
from airbyte_cdk.sources.streams.http import rate_limiting

from source_tiktok_ads import cdk_adapter
from source_tiktok_ads.api.budget import AdaptiveBudget
from source_tiktok_ads.cancel import Cancelled, CancelSwitch
from source_tiktok_ads.pipeline.workers import Prefetcher, slice_key

# Long enough that a wait which did not end on the cancel would hang the test (pytest's timeout names it).
FOREVER = 3600.0


def cancel_from_another_thread(switch: CancelSwitch, started: threading.Event) -> threading.Thread:
    def cancel() -> None:
        started.wait()
        switch.cancel(signal.SIGTERM)

    thread = threading.Thread(target=cancel)
    thread.start()
    return thread


def test_a_wait_ends_with_cancelled_when_the_switch_is_flipped_meanwhile() -> None:
    switch = CancelSwitch()
    started = threading.Event()
    thread = cancel_from_another_thread(switch, started)
    started.set()
    with pytest.raises(Cancelled) as raised:
        switch.wait(FOREVER)
    thread.join()
    assert raised.value.signal_name == "SIGTERM" and raised.value.exit_status == 143


def test_callbacks_run_once_and_only_while_registered() -> None:
    switch = CancelSwitch()
    calls: list[str] = []
    with switch.on_cancel(lambda: calls.append("inside")):
        pass
    with switch.on_cancel(lambda: calls.append("registered")):
        switch.cancel(signal.SIGINT)
        switch.cancel(signal.SIGTERM)
    assert calls == ["registered"]
    assert switch.error().signal_name == "SIGINT"


def test_a_cancelled_budget_lets_no_call_through() -> None:
    switch = CancelSwitch()
    budget = AdaptiveBudget(requests_per_second=0.001, requests_per_minute=60, cancel=switch)
    budget.acquire_call(None)  # the first call has its turn now
    started = threading.Event()
    thread = cancel_from_another_thread(switch, started)
    started.set()
    with pytest.raises(Cancelled):
        budget.acquire_call(None)  # the next turn is 1,050 s away
    thread.join()
    assert budget.requests_sent == 1


def test_an_interrupted_read_raises_in_the_reader_waiting_for_a_page_and_at_every_later_take() -> None:
    prefetcher = Prefetcher(num_workers=1)
    never = threading.Event()

    def pages(listing: Any) -> list[Any]:
        never.wait()  # a request that never answers
        return []

    first, second = slice_key("ads", {"advertiser_id": "1"}), slice_key("ads", {"advertiser_id": "2"})
    prefetcher.plan([(first, pages), (second, lambda listing: [])])
    feed = prefetcher.take(first)
    assert feed is not None
    switch = CancelSwitch()
    reading = threading.Event()
    with switch.on_cancel(lambda: prefetcher.interrupt(switch.error())):
        thread = cancel_from_another_thread(switch, reading)
        reading.set()
        with pytest.raises(Cancelled):
            list(feed)
        thread.join()
    with pytest.raises(Cancelled):
        prefetcher.take(second)
    never.set()


def test_the_cdk_sleeps_go_through_the_given_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in cdk_adapter.CDK_SLEEPING_MODULES:
        module = __import__(name, fromlist=["time"])
        assert module.time.__name__ == "time"  # still a module-level `time` to replace
        monkeypatch.setattr(module, "time", module.time)  # put back after the test
    waited: list[float] = []
    cdk_adapter.cancellable_cdk_waits(waited.append)
    rate_limiting.time.sleep(2.5)
    assert waited == [2.5]
    assert rate_limiting.time.monotonic() > 0  # everything else is the time module's
