"""Crash and resume: the connector is SIGKILLed at seeded random points of an incremental read, then
restarted from the last STATE it emitted for each stream, as Airbyte does after a crash.

Together the two runs must deliver every (stream, primary key) of an uninterrupted read, with every
record equal to it. A record may come twice only where the resumed run is meant to read it again:
- report streams re-read from each advertiser's cursor minus `attribution_window` days;
- entity streams re-read objects modified at or after each advertiser's cursor;
- full-refresh streams, and streams that had emitted no state before the kill, start over.
Anything older than that resume point, delivered twice, is a checkpoint that lagged behind its records.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import fault_support as fs
import pytest
from harness import ConnectorRun, configured_catalog, discovered_catalog
from tiktok_emulator import Dataset, Emulator, FaultPlan

pytestmark = pytest.mark.slow

ATTRIBUTION_WINDOW = 2  # fs.read_config's
# (seed, what the kill counts): each seed picks how many of those messages are read before the kill.
KILLS = [(11, "STATE"), (23, "STATE"), (37, "RECORD"), (53, "RECORD"), (71, "RECORD")]


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return fs.fault_dataset()


@pytest.fixture(scope="module")
def setup(emulator: Emulator) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    # A little latency, as with a real API: the read lasts long enough for every kill point to be mid-run.
    emulator.faults = FaultPlan(latency_ms=40)
    config = fs.read_config(emulator.base_url)
    discovered = discovered_catalog(config)
    return config, discovered, fs.read_catalog(discovered)


@pytest.fixture(scope="module")
def keys(setup: tuple[dict[str, Any], dict[str, Any], dict[str, Any]]) -> dict[str, list[str]]:
    return fs.primary_keys(setup[2])


@dataclass
class KeptRun:
    """A run as this module keeps it: without its parsed records (the module holds eleven runs at once),
    but with each record's key and canonical text."""

    run: ConnectorRun
    pairs: list[tuple[fs.RecordKey, str]]
    # Messages of each type the run wrote, records included.
    counts: Counter[str]


def kept(run: ConnectorRun, keys: dict[str, list[str]]) -> KeptRun:
    counts = Counter(message.get("type", "") for message in run.messages)
    return KeptRun(run.without_records(), fs.keyed(run, keys), counts)


@pytest.fixture(scope="module")
def clean(
    setup: tuple[dict[str, Any], dict[str, Any], dict[str, Any]], keys: dict[str, list[str]]
) -> KeptRun:
    config, _, catalog = setup
    run = fs.read(config, catalog).run
    assert run.returncode == 0, run.stdout[-3000:]
    return kept(run, keys)


def crash_and_resume(
    config: dict[str, Any],
    catalog: dict[str, Any],
    keys: dict[str, list[str]],
    seed: int,
    kind: str,
    total: int,
) -> tuple[KeptRun, bool, KeptRun]:
    kill_after = random.Random(seed).randint(1, total - 1)
    seen = Counter[str]()

    def kill_when(message: dict[str, Any]) -> bool:
        seen[message.get("type", "")] += 1
        return seen[kind] >= kill_after

    first, killed = fs.read_and_kill(config, catalog, kill_when)
    second = fs.read(config, catalog, state=list(first.stream_states().values())).run
    return kept(first, keys), killed, kept(second, keys)


@pytest.fixture(scope="module")
def crashes(
    setup: tuple[dict[str, Any], dict[str, Any], dict[str, Any]], clean: KeptRun, keys: dict[str, list[str]]
) -> dict[tuple[int, str], tuple[KeptRun, bool, KeptRun]]:
    config, _, catalog = setup
    totals = {"STATE": clean.counts["STATE"], "RECORD": clean.counts["RECORD"]}
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {
            (seed, kind): pool.submit(crash_and_resume, config, catalog, keys, seed, kind, totals[kind])
            for seed, kind in KILLS
        }
        return {kill: future.result() for kill, future in futures.items()}


def resume_points(first: ConnectorRun) -> dict[str, dict[str, str]]:
    """Per stream, per advertiser: the cursor value the resumed run starts from."""
    points: dict[str, dict[str, str]] = {}
    for name, state in first.stream_states().items():
        stream_state = state["stream"]["stream_state"]
        points[name] = {
            entry["partition"]["advertiser_id"]: next(iter(entry["cursor"].values()))
            for entry in stream_state.get("states", [])
        }
    return points


def may_repeat(stream: str, record: dict[str, Any], points: dict[str, dict[str, str]]) -> bool:
    """Whether the resumed run is meant to read this record again."""
    cursors = points.get(stream)
    if not cursors:  # full refresh, or no checkpoint of this stream before the kill: it starts over
        return True
    cursor = cursors.get(record["advertiser_id"])
    if cursor is None:  # this advertiser had no checkpoint yet
        return True
    if "stat_time_day" in record or "stat_time_hour" in record:
        day = (record.get("stat_time_day") or record["stat_time_hour"])[:10]
        resume_from = date.fromisoformat(cursor[:10]) - timedelta(days=ATTRIBUTION_WINDOW)
        return day >= resume_from.isoformat()
    value = record.get("modify_time") or record.get("create_time")
    return value is None or value >= cursor


@pytest.mark.parametrize(("seed", "kind"), KILLS)
def test_killed_mid_read_and_resumed_from_the_last_state_loses_nothing(
    crashes: dict[tuple[int, str], tuple[KeptRun, bool, KeptRun]],
    clean: KeptRun,
    seed: int,
    kind: str,
) -> None:
    first, killed, second = crashes[(seed, kind)]
    assert killed and first.run.returncode == -9, "the kill landed after the read had finished"
    assert second.run.returncode == 0, second.run.stdout[-2000:]
    clean_records = dict(clean.pairs)
    before, after = first.pairs, second.pairs
    for label, pairs in (("killed run", before), ("resumed run", after)):
        assert not fs.duplicates(pairs), f"seed {seed}: duplicates within the {label}"
        for key, record in pairs:
            assert clean_records.get(key) == record, f"seed {seed}: {label} record {key} is not the clean one"
    delivered = {key for key, _ in before} | {key for key, _ in after}
    missing = sorted(set(clean_records) - delivered, key=repr)
    assert not missing, f"seed {seed}: {len(missing)} records never delivered, e.g. {missing[:3]}"
    # Records delivered by both runs are all within the resumed run's re-read range.
    points = resume_points(first.run)
    twice = {key for key, _ in before} & {key for key, _ in after}
    data = dict(after)
    unexpected = [key for key in twice if not may_repeat(key[0], json.loads(data[key]), points)]
    assert not unexpected, (
        f"seed {seed}: re-delivered before the resume point: {sorted(unexpected, key=repr)[:3]}"
    )
    # The resume used the saved state: the second run did not simply read everything again.
    if points:
        assert len(after) < len(clean_records)


def test_a_full_refresh_twice_gives_identical_records(
    setup: tuple[dict[str, Any], dict[str, Any], dict[str, Any]], keys: dict[str, list[str]]
) -> None:
    config, discovered, _ = setup
    catalog = configured_catalog(discovered, fs.STREAMS)
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda _: fs.read(config, catalog).run, range(2)))
    assert all(run.returncode == 0 for run in runs)
    first, second = (sorted(fs.keyed(run, keys)) for run in runs)
    assert first == second
    assert len(first) > 1000 and not fs.duplicates(first)
