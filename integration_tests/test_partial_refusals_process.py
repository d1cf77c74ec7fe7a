"""TikTok refusing one part of a sync, persistently: each refusal stays with what it concerns, the cursors
never pass what was not read, the run says what it left, and the next sync (without the refusal, from the
first sync's state) reads it, so that the two syncs together equal one clean read row for row."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from harness import ConnectorRun, configured_catalog, discovered_catalog, emulator_config, run_connector
from tiktok_emulator import Dataset, DatasetSpec, Emulator, FaultPlan

DAYS = 70
END = datetime.now(UTC).date() - timedelta(days=2)
START = END - timedelta(days=DAYS - 1)
REPORT_PATH = "report/integrated/get/"
DAILY = "campaigns_reports_daily"
# Below advertiser level, with `billed_cost`: TopView probes and metric refusals both apply.
ADS_DAILY = "ads_reports_daily"


def day(offset: int) -> str:
    return (START + timedelta(days=offset)).isoformat()


# The 30-day windows of a first sync over the dataset's days.
WINDOWS = [(day(0), day(29)), (day(30), day(59)), (day(60), day(DAYS - 1))]


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return Dataset.generate(
        DatasetSpec(
            advertisers=2,
            campaigns_per_advertiser=2,
            adgroups_per_campaign=1,
            ads_per_adgroup=1,
            days=DAYS,
            end_date=END,
            seed=11,
            topview_every=2,
            gmv_max_stores=1,
        )
    )


@pytest.fixture(scope="module")
def emulator(dataset: Dataset) -> Iterator[Emulator]:
    with Emulator(dataset) as running:
        yield running


@pytest.fixture(scope="module")
def advertisers(dataset: Dataset) -> tuple[str, str]:
    first, second = (advertiser["advertiser_id"] for advertiser in dataset.advertisers)
    return first, second


@pytest.fixture(scope="module")
def discovered(emulator: Emulator) -> dict[str, Any]:
    return discovered_catalog(emulator_config(emulator.base_url))


def config_for(emulator: Emulator, **overrides: Any) -> dict[str, Any]:
    return emulator_config(
        emulator.base_url,
        start_date=START.isoformat(),
        end_date=END.isoformat(),
        attribution_window=1,
        requests_per_second=500,
        requests_per_minute=60000,
        **overrides,
    )


def sync(
    emulator: Emulator,
    discovered: dict[str, Any],
    streams: list[str],
    faults: FaultPlan | None = None,
    state: list[dict[str, Any]] | None = None,
    **config: Any,
) -> ConnectorRun:
    emulator.faults = faults or FaultPlan()
    try:
        catalog = configured_catalog(discovered, streams, incremental=True)
        return run_connector("read", config_for(emulator, **config), catalog, state=state)
    finally:
        emulator.faults = FaultPlan()


def primary_keys(discovered: dict[str, Any]) -> dict[str, list[str]]:
    return {
        stream["name"]: [path[0] for path in stream.get("source_defined_primary_key") or []]
        for stream in discovered["streams"]
    }


def rows(runs: list[ConnectorRun], keys: dict[str, list[str]]) -> dict[tuple[Any, ...], str]:
    """Every record of the runs, deduplicated by (stream, primary key) as append + dedup does (the last
    one wins), as canonical JSON so that any changed value shows."""
    latest: dict[tuple[Any, ...], str] = {}
    for run in runs:
        for message in run.of_type("RECORD"):
            stream, data = message["record"]["stream"], message["record"]["data"]
            latest[(stream, *(data.get(field) for field in keys[stream]))] = json.dumps(data, sort_keys=True)
    return latest


def cursors(run: ConnectorRun, stream: str) -> list[dict[str, str]]:
    """Every state the run emitted for the stream, as {advertiser: cursor value}."""
    seen = []
    for message in run.of_type("STATE"):
        state = message["state"]
        if state["stream"]["stream_descriptor"]["name"] != stream:
            continue
        entries = state["stream"].get("stream_state", {}).get("states", [])
        seen.append(
            {entry["partition"]["advertiser_id"]: next(iter(entry["cursor"].values())) for entry in entries}
        )
    return seen


def error_text(run: ConnectorRun) -> str:
    return " | ".join(str(error.get("message")) for error in run.errors())


def logged(run: ConnectorRun, level: str) -> list[str]:
    return [message["log"]["message"] for message in run.of_type("LOG") if message["log"]["level"] == level]


def test_a_window_denied_holds_its_advertisers_cursor_and_the_next_sync_reads_it(
    emulator: Emulator, discovered: dict[str, Any], advertisers: tuple[str, str]
) -> None:
    first, second = advertisers
    denied = FaultPlan(deny_days=frozenset({(second, REPORT_PATH, day(40))}))
    clean = sync(emulator, discovered, [DAILY])
    assert clean.returncode == 0, clean.stderr[-2000:]

    one = sync(emulator, discovered, [DAILY], denied)
    assert one.returncode != 0
    text = error_text(one)
    assert f"Stream {DAILY} left 1 advertiser unread" in text
    assert f"advertiser {second} (window {WINDOWS[1][0]}..{WINDOWS[1][1]})" in text
    # The cursor of the denied advertiser never passes the last day before the denied window; the other
    # advertiser's reaches the end.
    states = cursors(one, DAILY)
    assert states and all(state.get(second, "") <= WINDOWS[0][1] for state in states)
    assert states[-1] == {first: END.isoformat(), second: WINDOWS[0][1]}
    # The window after the denied one was still read and emitted.
    days_read = {
        record["stat_time_day"][:10] for record in one.records(DAILY) if record["advertiser_id"] == second
    }
    assert day(DAYS - 1) in days_read and day(40) not in days_read

    two = sync(emulator, discovered, [DAILY], state=list(one.stream_states().values()))
    assert two.returncode == 0, error_text(two)
    assert cursors(two, DAILY)[-1] == {first: END.isoformat(), second: END.isoformat()}
    keys = primary_keys(discovered)
    assert rows([one, two], keys) == rows([clean], keys)


@pytest.mark.parametrize("num_workers", [1, 6])
def test_a_metric_one_advertiser_refuses_is_dropped_for_that_advertiser_alone(
    emulator: Emulator, discovered: dict[str, Any], advertisers: tuple[str, str], num_workers: int
) -> None:
    first, second = advertisers
    refusing = FaultPlan(refuse_metrics=frozenset({(first, "billed_cost")}))
    run = sync(emulator, discovered, [ADS_DAILY], refusing, num_workers=num_workers)
    assert run.returncode == 0, error_text(run)
    billed = {advertiser: set() for advertiser in advertisers}
    for record in run.records(ADS_DAILY):
        billed[record["advertiser_id"]].add(record["metrics"]["billed_cost"] is None)
    assert billed == {first: {True}, second: {False}}
    warnings = [line for line in logged(run, "WARN") if "refused metric(s) billed_cost" in line]
    assert len(warnings) == 1 and f"for advertiser {first}" in warnings[0]
    # Dropping what the advertiser refuses is reading it completely: both cursors reach the end.
    assert cursors(run, ADS_DAILY)[-1] == {first: END.isoformat(), second: END.isoformat()}


def test_advertiser_info_denied_for_one_advertiser_fails_only_its_report_streams(
    emulator: Emulator, discovered: dict[str, Any], advertisers: tuple[str, str]
) -> None:
    first, second = advertisers
    denied = FaultPlan(deny=frozenset({(first, "advertiser/info/")}))
    one = sync(emulator, discovered, [DAILY, "campaigns", "advertisers"], denied)
    assert one.returncode != 0
    text = error_text(one)
    assert f"Stream {DAILY} left 1 advertiser unread" in text and f"advertiser {first}" in text
    assert "time zone" in text and "Stream campaigns left" not in text
    # The advertisers stream names the denied advertiser alone and emits the other's details.
    assert f"Stream advertisers left 1 advertiser unread, in part or whole: advertiser {first}:" in text
    assert [record["advertiser_id"] for record in one.records("advertisers")] == [second]
    reports = one.records(DAILY)
    assert reports and {record["advertiser_id"] for record in reports} == {second}
    # The other advertiser keeps its details: currency, time zone and the UTC hour of its rows.
    assert all(record["currency"] and record["timezone"] and record["stat_time_utc"] for record in reports)
    assert {record["advertiser_id"] for record in one.records("campaigns")} == {first, second}
    assert cursors(one, DAILY)[-1] == {second: END.isoformat()}

    two = sync(emulator, discovered, [DAILY], state=list(one.stream_states().values()))
    assert two.returncode == 0, error_text(two)
    assert {record["advertiser_id"] for record in two.records(DAILY)} == {first, second}
    assert cursors(two, DAILY)[-1] == {first: END.isoformat(), second: END.isoformat()}


def test_a_denied_buying_type_look_up_is_unknown_and_the_reports_are_read(
    emulator: Emulator, discovered: dict[str, Any], advertisers: tuple[str, str]
) -> None:
    first, second = advertisers
    denied = FaultPlan(deny=frozenset({(first, "campaign/get/")}))
    clean = sync(emulator, discovered, [ADS_DAILY])
    run = sync(emulator, discovered, [ADS_DAILY, "campaigns"], denied)
    assert run.returncode != 0
    text = error_text(run)
    # Only the campaign listing fails, for that advertiser, counted as one advertiser.
    assert "Stream campaigns left 1 advertiser unread" in text and ADS_DAILY not in text
    warnings = [line for line in logged(run, "WARN") if "TopView or Reach & Frequency" in line]
    assert len(warnings) == 1 and first in warnings[0]
    # Every report row but those of TopView campaigns of the advertiser whose buying types are unknown.
    keys = primary_keys(discovered)
    delivered, expected = rows([run], keys), rows([clean], keys)
    assert {key for key in delivered if key[0] == ADS_DAILY} <= set(expected)
    assert {json.loads(expected[key])["advertiser_id"] for key in expected.keys() - delivered.keys()} <= {
        first
    }
    assert all(expected[key] == value for key, value in delivered.items() if key[0] == ADS_DAILY)
    assert cursors(run, ADS_DAILY)[-1] == {first: END.isoformat(), second: END.isoformat()}


def test_an_endpoint_missing_while_the_read_is_planned_fails_that_stream_alone(
    emulator: Emulator, discovered: dict[str, Any]
) -> None:
    missing = FaultPlan(not_found_paths=frozenset({"gmv_max/store/list/"}))
    run = sync(emulator, discovered, ["gmv_max_campaigns", DAILY], missing)
    assert run.returncode != 0
    text = error_text(run)
    assert "Stream gmv_max_campaigns could not be planned (asking gmv_max/store/list/)" in text
    assert "404" in text and DAILY not in text
    assert len(run.records(DAILY)) == len(sync(emulator, discovered, [DAILY]).records(DAILY)) > 0
    assert not logged(run, "FATAL")
