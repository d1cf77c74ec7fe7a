"""Limits no retry gets past are met once for the whole run: TikTok's daily quota (told by its message,
or by the run's own count of today's requests) and maintenance that outlasts the retry budget stop
every request not sent yet and end the run with one error saying what was met and when to resume."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fault_support import FAST_BACKOFF, patched_command, read
from harness import ConnectorRun, configured_catalog, discovered_catalog, emulator_config
from tiktok_emulator import Dataset, DatasetSpec, Emulator, FaultPlan

DAYS = 3
END = datetime.now(UTC).date() - timedelta(days=2)
START = END - timedelta(days=DAYS - 1)
STREAMS = [
    "campaigns",
    "ad_groups",
    "ads",
    "ads_reports_daily",
    "ad_groups_reports_daily",
    "ads_reports_hourly",
]
QUOTA = 12
WORKERS = 2
# One request's attempts in the retry budget (its first try and eight retries); FAST_BACKOFF spends
# them in well under a second.
ATTEMPTS = 9


def counted_quota(size: int) -> str:
    return f"import source_tiktok_ads.api.run_limits as run_limits\nrun_limits.DAILY_QUOTA = {size}\n"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    dataset = Dataset.generate(
        DatasetSpec(
            advertisers=2,
            campaigns_per_advertiser=2,
            adgroups_per_campaign=1,
            ads_per_adgroup=1,
            days=DAYS,
            end_date=END,
            seed=41,
        )
    )
    with Emulator(dataset) as running:
        yield running


@pytest.fixture(scope="module")
def catalog(emulator: Emulator) -> dict[str, Any]:
    discovered = discovered_catalog(emulator_config(emulator.base_url))
    return configured_catalog(discovered, STREAMS, incremental=True)


def sync(
    emulator: Emulator, catalog: dict[str, Any], plan: FaultPlan, *patches: str
) -> tuple[ConnectorRun, int]:
    emulator.faults = plan
    emulator.reset_counters()
    config = emulator_config(
        emulator.base_url,
        start_date=START.isoformat(),
        end_date=END.isoformat(),
        num_workers=WORKERS,
        requests_per_second=500,
        requests_per_minute=60000,
    )
    run = read(config, catalog, command=patched_command(FAST_BACKOFF, *patches), timeout=60).run
    return run, emulator.request_count()


def final_error(run: ConnectorRun) -> str:
    errors = [
        m["trace"]["error"]["message"] for m in run.of_type("TRACE") if m["trace"].get("type") == "ERROR"
    ]
    assert errors, run.stderr[-2000:]
    return errors[-1]


def streams_started(run: ConnectorRun) -> list[str]:
    return [
        m["trace"]["stream_status"]["stream_descriptor"]["name"]
        for m in run.of_type("TRACE")
        if m["trace"].get("type") == "STREAM_STATUS" and m["trace"]["stream_status"]["status"] == "STARTED"
    ]


@pytest.mark.parametrize("says_daily", [True, False], ids=["message-says-daily", "counted-by-the-run"])
def test_the_daily_quota_stops_the_run_at_once_naming_the_resume_time(
    emulator: Emulator, catalog: dict[str, Any], says_daily: bool
) -> None:
    plan = FaultPlan(daily_quota=QUOTA, daily_quota_says_daily=says_daily)
    run, requests = sync(emulator, catalog, plan, *([] if says_daily else [counted_quota(QUOTA)]))
    assert run.returncode != 0
    message = final_error(run)
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    assert "daily request quota" in message
    assert f"resume after {tomorrow.isoformat()} 00:00 UTC" in message
    # The requests in flight when it was met may still be answered; none is sent after them, and no
    # request is retried against the quota.
    assert requests <= QUOTA + WORKERS + 2
    assert len(streams_started(run)) < len(STREAMS)
    assert "During the sync, the following streams did not sync successfully" not in message


def test_maintenance_outlasting_the_retry_budget_stops_the_run_once(
    emulator: Emulator, catalog: dict[str, Any]
) -> None:
    run, requests = sync(emulator, catalog, FaultPlan(maintenance_seconds=120))
    assert run.returncode != 0
    message = final_error(run)
    assert "maintenance" in message and "resume once TikTok's maintenance is over" in message
    # One request's retry budget, not one per stream.
    assert requests <= ATTEMPTS + WORKERS
