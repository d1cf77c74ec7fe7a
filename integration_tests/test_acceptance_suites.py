"""The CAT suites the CDK's standard tests do not run, driven by the same acceptance-test-config.yml.

CAT itself runs the connector's image and needs a Docker engine; here the connector runs as a process
(`harness.run_connector`), against the session's emulator on a free port, with the config files rewritten
to point at it (acceptance_session.py). The first full read is the one the standard tests check too:
- basic_read `expect_records`: every expected record is read back exactly, every stream returns records
  unless it is a declared empty stream, and every non-empty stream is seeded in the expected records;
- full_refresh: two sequential reads of the configured catalog return the same records;
- incremental: a second read from the first read's state returns nothing older than that state, and
  the "abnormally large" `future_state` returns no record at all.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from acceptance_env import (
    CONNECTOR_ROOT,
    full_refresh_only,
    incremental_only,
    primary_key_values,
    read_json,
    single_entry,
)
from acceptance_session import AcceptanceWorld, FullRead
from harness import ConnectorRun, run_connector

pytestmark = pytest.mark.slow

REGENERATE_HINT = (
    "If the connector's output changed on purpose, refresh the derived files with "
    "`python integration_tests/acceptance_env.py regenerate` and review the diff."
)


def _path(relative: str) -> Path:
    return CONNECTOR_ROOT / relative


def _stable(record: dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True)


@pytest.fixture(scope="module")
def config(acceptance_world: AcceptanceWorld) -> dict[str, Any]:
    return acceptance_world.config("basic_read")


@pytest.fixture(scope="module")
def discovered(acceptance_full_read: FullRead) -> dict[str, Any]:
    return acceptance_full_read.discovered


@pytest.fixture(scope="module")
def configured(acceptance_full_read: FullRead) -> dict[str, Any]:
    return acceptance_full_read.configured


@pytest.fixture(scope="module")
def first_full_refresh(acceptance_full_read: FullRead) -> ConnectorRun:
    return acceptance_full_read.run


@pytest.fixture(scope="module")
def first_incremental(config: dict[str, Any], configured: dict[str, Any]) -> ConnectorRun:
    run = run_connector("read", config, incremental_only(configured))
    assert run.returncode == 0, run.stderr[-3000:]
    assert not run.errors(), run.errors()
    return run


# --- basic_read -----------------------------------------------------------------------------------


def test_configured_catalog_covers_every_discovered_stream(
    discovered: dict[str, Any], configured: dict[str, Any]
) -> None:
    # basic_read reads every discovered stream (CAT, at high strictness, takes no catalog there), so the
    # configured catalog the other suites read must not silently leave a stream out.
    assert [entry["stream"]["name"] for entry in configured["streams"]] == [
        stream["name"] for stream in discovered["streams"]
    ], REGENERATE_HINT


def test_basic_read_returns_the_expected_records(
    first_full_refresh: ConnectorRun, discovered: dict[str, Any]
) -> None:
    entry = single_entry("basic_read")
    empty = {stream["name"]: stream.get("bypass_reason") for stream in entry.get("empty_streams") or []}
    read = first_full_refresh.records_by_stream()
    names = [stream["name"] for stream in discovered["streams"]]

    assert [name for name in names if name not in empty and not read.get(name)] == [], (
        "streams without records must be declared in basic_read.empty_streams with a bypass_reason"
    )
    assert [name for name in empty if read.get(name)] == [], (
        "these declared empty streams return records: remove them from empty_streams"
    )

    expected: dict[str, list[dict[str, Any]]] = {}
    for line in _path(entry["expect_records"]["path"]).read_text().splitlines():
        if line.strip():
            message = json.loads(line)
            expected.setdefault(message["stream"], []).append(message["data"])

    # CAT at high strictness: every stream that returns records is seeded in the expected records.
    assert [name for name in names if name not in empty and name not in expected] == [], REGENERATE_HINT
    assert [name for name in expected if name not in names] == [], "expected records for unknown streams"
    # CAT's defaults: the exact record (no missing or extra fields), in any order, extra records allowed.
    for name, records in expected.items():
        actual = Counter(_stable(record) for record in read.get(name, []))
        missing = [record for record in records if not actual[_stable(record)]]
        assert not missing, (
            f"{name}: {len(missing)} expected record(s) not read, e.g. {missing[0]}. {REGENERATE_HINT}"
        )


def test_basic_read_reports_every_stream_complete(first_full_refresh: ConnectorRun) -> None:
    statuses: dict[str, list[str]] = {}
    for message in first_full_refresh.of_type("TRACE"):
        trace = message["trace"]
        if trace["type"] == "STREAM_STATUS":
            name = trace["stream_status"]["stream_descriptor"]["name"]
            statuses.setdefault(name, []).append(trace["stream_status"]["status"])
    read = first_full_refresh.records_by_stream()
    assert set(statuses) >= set(read)
    for name, sequence in statuses.items():
        assert sequence[0] == "STARTED" and sequence[-1] == "COMPLETE", (name, sequence)


# --- full_refresh ---------------------------------------------------------------------------------


def test_full_refresh_sequential_reads_are_identical(
    config: dict[str, Any], configured: dict[str, Any], first_full_refresh: ConnectorRun
) -> None:
    second = run_connector("read", config, full_refresh_only(configured))
    assert second.returncode == 0 and not second.errors(), second.stderr[-3000:]

    first_records, second_records = first_full_refresh.records_by_stream(), second.records_by_stream()
    assert set(first_records) == set(second_records)
    for name in first_records:
        assert Counter(map(_stable, first_records[name])) == Counter(map(_stable, second_records[name])), name

    emitted_first = [message["record"]["emitted_at"] for message in first_full_refresh.of_type("RECORD")]
    emitted_second = [message["record"]["emitted_at"] for message in second.of_type("RECORD")]
    assert min(emitted_second) >= max(emitted_first), "a later read must stamp its records later"


def test_full_refresh_has_no_duplicate_primary_keys(
    configured: dict[str, Any], first_full_refresh: ConnectorRun
) -> None:
    for entry in configured["streams"]:
        keys = Counter(
            primary_key_values(record, entry["primary_key"])
            for record in first_full_refresh.records(entry["stream"]["name"])
        )
        duplicates = [key for key, count in keys.items() if count > 1]
        assert not duplicates, f"{entry['stream']['name']}: duplicate primary keys {duplicates[:3]}"


# --- incremental ----------------------------------------------------------------------------------


def _cursors(stream_state: dict[str, Any], field: str) -> dict[str, str]:
    return {
        str(entry["partition"]["advertiser_id"]): entry["cursor"][field]
        for entry in stream_state.get("states", [])
    }


def test_incremental_second_read_starts_at_the_first_reads_state(
    config: dict[str, Any], configured: dict[str, Any], first_incremental: ConnectorRun
) -> None:
    incremental = incremental_only(configured)
    states = first_incremental.stream_states()
    missing = [
        entry["stream"]["name"] for entry in incremental["streams"] if entry["stream"]["name"] not in states
    ]
    assert not missing, f"no state emitted for {missing}"

    second = run_connector("read", config, incremental, state=list(states.values()))
    assert second.returncode == 0 and not second.errors(), second.stderr[-3000:]

    # Reports re-read `attribution_window` days before the cursor on purpose (late conversions); the
    # acceptance config sets it to 0 so that CAT's strict "nothing older than the state" rule applies.
    lookback = timedelta(days=config.get("attribution_window", 3))
    for entry in incremental["streams"]:
        name, field = entry["stream"]["name"], entry["cursor_field"][0]
        cursors = _cursors(states[name]["stream"]["stream_state"], field)
        assert cursors, f"{name}: the first read left no cursor"
        for record in second.records(name):
            saved = cursors[str(record["advertiser_id"])]
            if field.startswith("stat_time"):
                floor = (date.fromisoformat(saved[:10]) - lookback).isoformat()
                assert record[field][:10] >= floor, (name, record[field], saved)
            else:
                assert record[field] >= saved, (name, record[field], saved)


def test_incremental_future_state_returns_no_records(
    config: dict[str, Any], configured: dict[str, Any], first_incremental: ConnectorRun
) -> None:
    entry = single_entry("incremental")
    future = read_json(_path(entry["future_state"]["future_state_path"]))
    incremental = incremental_only(configured)

    # CAT at high strictness: the future state covers every incremental stream (and here every
    # advertiser, since an advertiser without a cursor would rightly be read from the start date).
    by_name = {state["stream"]["stream_descriptor"]["name"]: state for state in future}
    advertisers = {str(record["advertiser_id"]) for record in first_incremental.records()}
    for configured_entry in incremental["streams"]:
        name = configured_entry["stream"]["name"]
        assert name in by_name, f"{name} has no future state. {REGENERATE_HINT}"
        cursors = _cursors(by_name[name]["stream"]["stream_state"], configured_entry["cursor_field"][0])
        assert set(cursors) >= advertisers, f"{name}: future state misses advertisers"

    run = run_connector("read", config, incremental, state=future)
    assert run.returncode == 0 and not run.errors(), run.stderr[-3000:]
    assert run.records() == []


def test_incremental_sample_state_resumes_from_its_cursors(
    config: dict[str, Any], configured: dict[str, Any]
) -> None:
    sample = read_json(_path("integration_tests/sample_state.json"))
    names = {state["stream"]["stream_descriptor"]["name"] for state in sample}
    catalog = {
        "streams": [
            entry for entry in incremental_only(configured)["streams"] if entry["stream"]["name"] in names
        ]
    }
    run = run_connector("read", config, catalog, state=sample)
    assert run.returncode == 0 and not run.errors(), run.stderr[-3000:]

    lookback = timedelta(days=config.get("attribution_window", 3))
    for state in sample:
        name = state["stream"]["stream_descriptor"]["name"]
        cursors = _cursors(state["stream"]["stream_state"], "stat_time_day")
        records = run.records(name)
        assert records, f"{name}: nothing read after the sample state's cursor"
        for record in records:
            floor = date.fromisoformat(cursors[str(record["advertiser_id"])]) - lookback
            assert record["stat_time_day"][:10] >= floor.isoformat(), (name, record["stat_time_day"])
