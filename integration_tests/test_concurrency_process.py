"""Concurrency changes speed, never results: same records and state with 1 or many workers, under throttling."""

from __future__ import annotations

import pytest
from conftest import END_DATE, START_DATE
from harness import configured_catalog, discovered_catalog, emulator_config, run_connector
from tiktok_emulator import Emulator, FaultPlan

STREAMS = [
    "ads",
    "ads_reports_daily",
    "ads_reports_hourly",
    "ad_group_audience_reports_daily",
    "campaigns_reports_lifetime",
]


def read(emulator: Emulator, **overrides):
    config = emulator_config(emulator.base_url, start_date=START_DATE, end_date=END_DATE, **overrides)
    catalog = configured_catalog(discovered_catalog(config), STREAMS, incremental=True)
    run = run_connector("read", config, catalog)
    assert run.returncode == 0, run.stdout[-2000:]
    return run


def snapshot(run) -> tuple:
    records = {
        stream: sorted(repr(sorted(record.items())) for record in records)
        for stream, records in run.records_by_stream().items()
    }
    states = {name: state["stream"]["stream_state"] for name, state in run.stream_states().items()}
    order = [m["record"]["stream"] for m in run.of_type("RECORD")]
    return records, states, order


@pytest.fixture(scope="module")
def sequential(emulator: Emulator):
    return snapshot(read(emulator, num_workers=1))


def test_many_workers_give_the_same_records_state_and_stream_order(emulator: Emulator, sequential) -> None:
    records, states, order = snapshot(
        read(emulator, num_workers=8, requests_per_second=200, requests_per_minute=60000)
    )
    assert records == sequential[0]
    assert states == sequential[1]
    # Streams are still emitted one after another in catalog order.
    assert order == sequential[2]


def test_throttled_by_tiktok_the_run_slows_down_and_loses_nothing(emulator: Emulator, sequential) -> None:
    emulator.faults = FaultPlan(qps_cap=4)
    try:
        run = read(emulator, num_workers=8, requests_per_second=50, requests_per_minute=60000)
    finally:
        emulator.faults = FaultPlan()
    records, states, _ = snapshot(run)
    assert records == sequential[0] and states == sequential[1]
    logs = " ".join(m["log"]["message"] for m in run.of_type("LOG"))
    assert "rate limit" in logs.lower()
