"""A generator of partial failures: TikTok refuses, persistently, a set of parts of sync 1 (an advertiser's
window, an endpoint for an advertiser, a metric for an advertiser); sync 2 runs without the refusals from
sync 1's state. Whatever the set, the two syncs together equal one clean read row for row (deduplicated
by primary key, as append + dedup does), and sync 1 named every advertiser it left, stream by stream.

Derandomized with a few examples by default (CI); a longer, random run:
`PARTIAL_FAILURE_EXAMPLES=200 PARTIAL_FAILURE_RANDOM=1 pytest integration_tests/test_partial_failures_property.py`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from harness import ConnectorRun, configured_catalog, discovered_catalog, emulator_config, run_connector
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tiktok_emulator import Dataset, DatasetSpec, Emulator, FaultPlan

DAYS = 40
END = datetime.now(UTC).date() - timedelta(days=2)
START = END - timedelta(days=DAYS - 1)
REPORT_PATH = "report/integrated/get/"
REPORTS = ["campaigns_reports_daily", "ads_reports_daily"]
LISTING = "campaigns"
STREAMS = [*REPORTS, LISTING]
# The endpoints whose refusal for one advertiser concerns it alone, and the streams that say so.
ENDPOINTS = {
    REPORT_PATH: REPORTS,
    "advertiser/info/": REPORTS,
    "campaign/get/": [LISTING],
}
# A metric some accounts are refused; the report streams whose schema has it ask for it.
METRIC = "billed_cost"
EXAMPLES = int(os.environ.get("PARTIAL_FAILURE_EXAMPLES", "4"))


@dataclass(frozen=True)
class Refusals:
    windows: frozenset[tuple[str, int]]  # (advertiser, day offset): the window holding the day is denied
    endpoints: frozenset[tuple[str, str]]  # (advertiser, path)
    metrics: frozenset[str]  # advertisers refusing METRIC

    def plan(self) -> FaultPlan:
        return FaultPlan(
            deny_days=frozenset(
                (advertiser, REPORT_PATH, (START + timedelta(days=offset)).isoformat())
                for advertiser, offset in self.windows
            ),
            deny=self.endpoints,
            refuse_metrics=frozenset((advertiser, METRIC) for advertiser in self.metrics),
        )

    def asks_for_reports(self, advertiser: str) -> bool:
        """Whether sync 1 gets as far as asking TikTok for one of the advertiser's report windows."""
        if {(advertiser, REPORT_PATH), (advertiser, "advertiser/info/")} & self.endpoints:
            return False
        denied = {offset // 30 for denied, offset in self.windows if denied == advertiser}
        return denied != {0, 1}

    def left(self) -> set[tuple[str, str]]:
        """(stream, advertiser) pairs sync 1 must name as left unread."""
        pairs = {(stream, advertiser) for advertiser, _ in self.windows for stream in REPORTS}
        pairs |= {(stream, advertiser) for advertiser, path in self.endpoints for stream in ENDPOINTS[path]}
        return pairs


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    # No TopView or Reach & Frequency campaigns: a denied campaign/get/ makes those unknown, and their
    # rows are knowingly skipped (see docs/recovery.md), which this property is not about.
    return Dataset.generate(
        DatasetSpec(
            advertisers=2,
            campaigns_per_advertiser=2,
            adgroups_per_campaign=1,
            ads_per_adgroup=1,
            days=DAYS,
            end_date=END,
            seed=23,
        )
    )


@pytest.fixture(scope="module")
def emulator(dataset: Dataset) -> Iterator[Emulator]:
    with Emulator(dataset) as running:
        yield running


@pytest.fixture(scope="module")
def advertisers(dataset: Dataset) -> list[str]:
    return [advertiser["advertiser_id"] for advertiser in dataset.advertisers]


@pytest.fixture(scope="module")
def catalog(emulator: Emulator) -> dict[str, Any]:
    discovered = discovered_catalog(emulator_config(emulator.base_url))
    return configured_catalog(discovered, STREAMS, incremental=True)


@pytest.fixture(scope="module")
def clean(emulator: Emulator, catalog: dict[str, Any]) -> dict[tuple[Any, ...], dict[str, Any]]:
    run = sync(emulator, catalog, FaultPlan())
    assert run.returncode == 0, run.stderr[-2000:]
    return rows([run], catalog)


def sync(
    emulator: Emulator, catalog: dict[str, Any], faults: FaultPlan, state: list[dict[str, Any]] | None = None
) -> ConnectorRun:
    config = emulator_config(
        emulator.base_url,
        start_date=START.isoformat(),
        end_date=END.isoformat(),
        attribution_window=1,
        requests_per_second=500,
        requests_per_minute=60000,
    )
    emulator.faults = faults
    try:
        return run_connector("read", config, catalog, state=state)
    finally:
        emulator.faults = FaultPlan()


def rows(runs: list[ConnectorRun], catalog: dict[str, Any]) -> dict[tuple[Any, ...], dict[str, Any]]:
    keys = {
        entry["stream"]["name"]: [path[0] for path in entry["stream"]["source_defined_primary_key"]]
        for entry in catalog["streams"]
    }
    latest: dict[tuple[Any, ...], dict[str, Any]] = {}
    for run in runs:
        for message in run.of_type("RECORD"):
            stream, data = message["record"]["stream"], message["record"]["data"]
            latest[(stream, *(data.get(field) for field in keys[stream]))] = data
    return latest


def refusals(advertisers: list[str]) -> st.SearchStrategy[Refusals]:
    advertiser = st.sampled_from(advertisers)
    return st.builds(
        Refusals,
        windows=st.frozensets(st.tuples(advertiser, st.sampled_from([0, 29, 30, DAYS - 1])), max_size=2),
        endpoints=st.frozensets(st.tuples(advertiser, st.sampled_from(sorted(ENDPOINTS))), max_size=2),
        metrics=st.frozensets(advertiser, max_size=1),
    )


def asking_metric(catalog: dict[str, Any]) -> set[str]:
    return {
        entry["stream"]["name"]
        for entry in catalog["streams"]
        if METRIC in entry["stream"]["json_schema"]["properties"].get("metrics", {}).get("properties", {})
    }


def named_left(run: ConnectorRun) -> dict[str, str]:
    """Each stream's message about what it left, by stream."""
    named = {}
    for error in run.errors():
        message = str(error.get("message"))
        for stream in STREAMS:
            if message.startswith(f"Stream {stream} left "):
                named[stream] = message
    return named


def dropped_metrics(run: ConnectorRun) -> set[tuple[str, str]]:
    """(stream, advertiser) pairs whose METRIC sync 1 said it dropped."""
    lines = [message["log"]["message"] for message in run.of_type("LOG")]
    return {
        (stream, advertiser)
        for line in lines
        for stream in REPORTS
        if line.startswith(f"{stream}: TikTok refused metric(s) {METRIC} for advertiser ")
        for advertiser in [line.split(" for advertiser ")[1].split(" ")[0]]
    }


@settings(
    max_examples=EXAMPLES,
    derandomize=not os.environ.get("PARTIAL_FAILURE_RANDOM"),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.data())
def test_two_syncs_equal_one_clean_read_and_the_first_names_what_it_left(
    data: st.DataObject,
    emulator: Emulator,
    catalog: dict[str, Any],
    advertisers: list[str],
    clean: dict[tuple[Any, ...], dict[str, Any]],
) -> None:
    refused = data.draw(refusals(advertisers))
    one = sync(emulator, catalog, refused.plan())
    named = named_left(one)
    left = refused.left()
    assert (one.returncode != 0) == bool(left), named
    for stream, advertiser in left:
        assert f"advertiser {advertiser}" in named.get(stream, ""), (stream, advertiser, named)
    assert {stream for stream, _ in left} == set(named)

    two = sync(emulator, catalog, FaultPlan(), state=list(one.stream_states().values()))
    assert two.returncode == 0, two.errors()
    union = rows([one, two], catalog)
    assert union.keys() == clean.keys()
    # Row for row; a metric sync 1 said it dropped for an advertiser is null in rows only it read.
    dropped = dropped_metrics(one)
    assert dropped == {
        (stream, advertiser)
        for advertiser in refused.metrics
        if refused.asks_for_reports(advertiser)
        for stream in asking_metric(catalog)
    }
    for key, record in union.items():
        expected = clean[key]
        if (key[0], record.get("advertiser_id")) in dropped and record["metrics"][METRIC] is None:
            expected = {**expected, "metrics": {**expected["metrics"], METRIC: None}}
        assert json.dumps(record, sort_keys=True) == json.dumps(expected, sort_keys=True), key
