"""Long listings read by several workers: idle ones fetch the later pages of the listing being
emitted, and the records and state are still exactly those of a one-worker read."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta

import pytest
from conftest import END
from harness import configured_catalog, discovered_catalog, emulator_config, run_connector
from tiktok_emulator import Dataset, DatasetSpec, Emulator, FaultPlan

DAYS = 4
START = END - timedelta(days=DAYS - 1)
# Ad-level rows of 200 ads: about six pages an hourly window by country, five for the audience window.
STREAMS = ["ads_reports_by_country_hourly", "ads_audience_reports_daily"]
LATENCY_MS = 100
REPORT_PATH = "report/integrated/get/"


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return Dataset.generate(
        DatasetSpec(
            advertisers=1,
            campaigns_per_advertiser=10,
            adgroups_per_campaign=5,
            ads_per_adgroup=4,
            days=DAYS,
            end_date=END,
            seed=11,
        )
    )


@pytest.fixture(scope="module")
def slow_emulator(emulator: Emulator) -> Iterator[Emulator]:
    emulator.faults = FaultPlan(latency_ms=LATENCY_MS)
    try:
        yield emulator
    finally:
        emulator.faults = FaultPlan()


def read(emulator: Emulator, num_workers: int) -> tuple[dict, dict, list]:
    config = emulator_config(
        emulator.base_url,
        start_date=START.isoformat(),
        end_date=END.isoformat(),
        num_workers=num_workers,
        requests_per_second=50,
        requests_per_minute=60000,
    )
    catalog = configured_catalog(discovered_catalog(config), STREAMS, incremental=True)
    first_request = len(emulator.requests)
    run = run_connector("read", config, catalog)
    assert run.returncode == 0, run.stdout[-2000:]
    records = {
        stream: sorted(repr(sorted(record.items())) for record in records)
        for stream, records in run.records_by_stream().items()
    }
    states = {name: state["stream"]["stream_state"] for name, state in run.stream_states().items()}
    return records, states, emulator.requests[first_request:]


def pages_asked_for_before_the_previous_one_was_answered(requests: list) -> int:
    """Pages of one listing (same query but the page) sent less than the emulator's latency after the
    page before: its answer cannot have arrived yet, so another worker was fetching ahead."""
    listings: dict[tuple, dict[int, float]] = defaultdict(dict)
    for request in requests:
        if request.path == REPORT_PATH:
            query = tuple(sorted((name, value) for name, value in request.params.items() if name != "page"))
            listings[query][int(request.params.get("page", 1))] = request.received_at
    return sum(
        1
        for pages in listings.values()
        for page, received_at in pages.items()
        if page - 1 in pages and received_at - pages[page - 1] < LATENCY_MS / 1000
    )


def test_helped_listings_give_the_records_and_state_of_a_one_worker_read(slow_emulator: Emulator) -> None:
    one_records, one_states, one_requests = read(slow_emulator, num_workers=1)
    assert sum(len(records) for records in one_records.values()) > 10_000  # several pages a listing
    assert pages_asked_for_before_the_previous_one_was_answered(one_requests) == 0

    # Four workers and five listings: a worker with no listing left to fetch, or waiting for a page
    # permit, fetches pages of the listing being emitted.
    records, states, requests = read(slow_emulator, num_workers=4)
    assert pages_asked_for_before_the_previous_one_was_answered(requests) > 0
    assert records == one_records
    assert states == one_states
    assert len(requests) == len(one_requests)  # every page asked for once
