"""Requests follow the data: run as a process against sparse emulator accounts, a read that skips what
cannot have rows (days before the account existed, settled days without delivery) emits exactly the
records of a read that asks everything, with fewer requests. The dense account is
`test_dense_reads_process.py`."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from conftest import END
from harness import ConnectorRun
from sparse_support import (
    COUNTERS,
    FIRST_DAY,
    STREAMS,
    assert_same,
    number,
    read,
    records_of,
    report_requests,
    shape_of,
    sparse_spec,
)
from tiktok_emulator import Dataset, Emulator

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return Dataset.generate(sparse_spec())


@pytest.fixture(scope="module")
def emulator(dataset: Dataset) -> Iterator[Emulator]:
    with Emulator(dataset) as running:
        yield running


@pytest.fixture(scope="module")
def everything(emulator: Emulator) -> tuple[ConnectorRun, Counter[str], int]:
    run = read(emulator, STREAMS, start_date=FIRST_DAY, skip_days_without_delivery=False)
    return run, report_requests(emulator), emulator.request_count()


@pytest.fixture(scope="module")
def skipping(emulator: Emulator) -> tuple[ConnectorRun, Counter[str], int]:
    # No start_date: the backfill would start in 2016; each account's creation bounds it.
    run = read(emulator, STREAMS)
    return run, report_requests(emulator), emulator.request_count()


def test_a_sparse_account_gives_the_same_records_for_far_fewer_requests(everything, skipping) -> None:
    full, _, full_requests = everything
    sparse, _, sparse_requests = skipping
    assert_same(records_of(sparse), records_of(full))
    assert sum(records_of(full).values()) > 0
    assert sparse_requests < full_requests


def test_the_plan_says_what_it_skipped_and_the_read_counts_stay_exact(skipping) -> None:
    run, _, requests = skipping
    logs = [message["log"]["message"] for message in run.of_type("LOG")]
    [skipped] = [line for line in logs if line.startswith("Skipped ")]
    assert "before the advertiser existed" in skipped and "on days without delivery" in skipped
    assert not [line for line in logs if line.startswith("No start_date")]
    [done] = [line for line in logs if line.startswith("Read done: ")]
    slices, planned = done.split()[2].split("/")[0], done.split()[2].split("/")[1]
    assert slices == planned
    assert f"{requests:,} requests in" in done


def test_hourly_requests_follow_the_days_with_rows(skipping, dataset: Dataset) -> None:
    run, requests, _ = skipping
    records = run.records_by_stream()
    for name in ("advertisers_reports_hourly", "ads_reports_hourly", "ad_groups_reports_by_country_hourly"):
        days_with_rows = {
            (record["advertiser_id"], record["stat_time_hour"][:10]) for record in records[name]
        }
        assert days_with_rows, name
        assert requests[shape_of(name)] <= 1.5 * len(days_with_rows), name


def test_a_day_whose_only_event_is_a_late_conversion_is_read(skipping, dataset: Dataset) -> None:
    run, _, _ = skipping
    hourly = run.records("ads_reports_hourly")
    late = [
        record
        for record in hourly
        if float(record["metrics"]["spend"]) == 0 and float(record["metrics"]["real_time_conversion"]) > 0
    ]
    settled = END - timedelta(days=4)
    assert any(date.fromisoformat(record["stat_time_hour"][:10]) < settled for record in late)


def test_skipped_days_count_as_read_for_the_cursor(emulator: Emulator, skipping, everything) -> None:
    sparse, _, _ = skipping
    full, _, _ = everything
    cursors = {name: state["stream"]["stream_state"] for name, state in sparse.stream_states().items()}
    assert cursors == {name: state["stream"]["stream_state"] for name, state in full.stream_states().items()}
    # The next incremental sync reads only the look-back, with the same records either way.
    state = list(sparse.stream_states().values())
    again = read(emulator, STREAMS[:3], state=state)
    again_full = read(emulator, STREAMS[:3], state=state, skip_days_without_delivery=False)
    assert_same(records_of(again), records_of(again_full))


def test_zero_rows_below_advertiser_level_are_what_a_skipped_day_leaves_out() -> None:
    zeros = Dataset.generate(sparse_spec(zero_rows_below_advertiser=True, late_conversion_every=0))
    with Emulator(zeros) as emulator:
        full = records_of(
            read(emulator, ["ads_reports_daily"], start_date=FIRST_DAY, skip_days_without_delivery=False)
        )
        skipping = records_of(read(emulator, ["ads_reports_daily"], start_date=FIRST_DAY))
    missing = full - skipping
    assert missing and not skipping - full
    for line in missing:
        record = json.loads(line)
        assert not zeros.delivery.account_delivers(
            record["advertiser_id"], date.fromisoformat(record["stat_time_day"][:10])
        )
        assert not [name for name in COUNTERS if number(record["metrics"].get(name))], record


def test_instant_page_events_ask_what_tiktok_serves_and_lose_nothing(
    emulator: Emulator, dataset: Dataset
) -> None:
    from tiktok_emulator.pixel_routes import INSTANT_PAGE_GOALS

    run = read(emulator, ["pixel_instant_page_events"])
    served = {(objective, goal) for objective, goals in INSTANT_PAGE_GOALS.items() for goal in goals}
    served |= {("WEB_CONVERSIONS", goal) for goal in INSTANT_PAGE_GOALS["CONVERSIONS"]}
    expected = {
        (advertiser["advertiser_id"], objective, goal)
        for advertiser in dataset.advertisers
        for objective, goal in served
    }
    records = run.records("pixel_instant_page_events")
    assert sorted(
        (r["advertiser_id"], r["objective_type"], r["optimization_goal"]) for r in records
    ) == sorted(expected)
    asked = emulator.request_count("pixel/instant_page/event/")
    assert asked <= 4 * len(records) + 5 * len(dataset.advertisers)
