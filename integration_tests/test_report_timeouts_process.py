"""A report request that times out is asked again as a smaller window, not as the same query: a read
whose 30-day windows TikTok cannot compute before the client's read timeout delivers every row of a
clean read, through halves small enough to answer in time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fault_support import canonical, patched_command, read
from harness import ConnectorRun, configured_catalog, discovered_catalog, emulator_config
from tiktok_emulator import Dataset, DatasetSpec, Emulator, FaultPlan

from source_tiktok_ads.api.waits import READ_TIMEOUT_ENV
from source_tiktok_ads.reports.stream import REPORT_PATH

DAYS = 30
END = datetime.now(UTC).date() - timedelta(days=2)
START = END - timedelta(days=DAYS - 1)
STREAMS = ["ads_reports_daily", "ad_groups_reports_daily"]
# The client's read timeout (seconds), and a TikTok that needs longer for any window past a week.
READ_TIMEOUT = 2
SLOW = FaultPlan(slow_report_days=7, slow_report_ms=3 * READ_TIMEOUT * 1000 // 2)
SHORT_READ_TIMEOUT = f"import os\nos.environ[{READ_TIMEOUT_ENV!r}] = '{READ_TIMEOUT}'\n"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    dataset = Dataset.generate(
        DatasetSpec(
            advertisers=2,
            campaigns_per_advertiser=2,
            adgroups_per_campaign=2,
            ads_per_adgroup=2,
            days=DAYS,
            end_date=END,
            seed=33,
        )
    )
    with Emulator(dataset) as running:
        yield running


@pytest.fixture(scope="module")
def catalog(emulator: Emulator) -> dict[str, Any]:
    discovered = discovered_catalog(emulator_config(emulator.base_url))
    return configured_catalog(discovered, STREAMS, incremental=True)


def sync(emulator: Emulator, catalog: dict[str, Any], plan: FaultPlan) -> tuple[ConnectorRun, int]:
    emulator.faults = plan
    emulator.reset_counters()
    config = emulator_config(
        emulator.base_url,
        start_date=START.isoformat(),
        end_date=END.isoformat(),
        # Only the streams' own report requests: the delivery-day queries would time out alike.
        skip_days_without_delivery=False,
    )
    run = read(config, catalog, command=patched_command(SHORT_READ_TIMEOUT)).run
    return run, emulator.request_count(REPORT_PATH)


def rows_by_stream(run: ConnectorRun) -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {name: [] for name in STREAMS}
    for message in run.of_type("RECORD"):
        rows[message["record"]["stream"]].append(canonical(message["record"]["data"]))
    return rows


def test_a_timing_out_window_is_read_whole_in_smaller_windows(
    emulator: Emulator, catalog: dict[str, Any]
) -> None:
    clean, clean_requests = sync(emulator, catalog, FaultPlan())
    assert clean.returncode == 0, clean.stderr[-2000:]

    slow, slow_requests = sync(emulator, catalog, SLOW)

    assert slow.returncode == 0, slow.stderr[-2000:]
    expected, rows = rows_by_stream(clean), rows_by_stream(slow)
    for stream in STREAMS:
        assert expected[stream], stream
        assert sorted(rows[stream]) == sorted(expected[stream]), stream
    # One window per advertiser and stream when answered in time. Past a week, a window times out once
    # and is halved: 30 days -> 15 + 15 -> (8 + 7) twice -> the 8s into 4 + 4; 1 + 2 + 4 + 4 requests.
    assert clean_requests == 2 * len(STREAMS)
    assert slow_requests == 11 * 2 * len(STREAMS)
    logs = "\n".join(m["log"]["message"] for m in slow.of_type("LOG"))
    assert f"window {START.isoformat()}..{END.isoformat()} timed out; splitting it in two." in logs
    # Asked for smaller windows, never for the same one again: no retry of a timed-out request.
    assert "did not answer in time" not in logs
