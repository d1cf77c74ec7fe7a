"""What the fault-matrix and crash-resume tests share: one medium dataset and catalog, a connector
runner that can patch timings for a test or be killed mid-read, and exact record bookkeeping.

Records are compared by (stream, primary key) AND in full, so a fault that changes a value (a
truncated body parsed as something else, a metric read as null) is caught as surely as a lost row.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from harness import (
    ConnectorRun,
    canonical,
    configured_catalog,
    connector_command,
    connector_env,
    emulator_config,
    parse_messages,
)
from tiktok_emulator import Dataset, DatasetSpec, credentials

DAYS = 7
# Two days back: every advertiser's local "today" is past it, so a read sees exactly the emulator's days.
END = datetime.now(UTC).date() - timedelta(days=2)
START = END - timedelta(days=DAYS - 1)

# Entities (two listings per advertiser: auction and TopView), a 30-day daily window, one request per
# hourly day, an audience listing that spans two pages (so faults land mid-pagination), and a lifetime
# query: every way the connector pages and checkpoints, in about 35 requests.
STREAMS = [
    "campaigns",
    "ads",
    "ads_reports_daily",
    "ads_reports_hourly",
    "ad_group_audience_reports_daily",
    "ads_audience_reports_daily",
    "advertisers_reports_lifetime",
]
# The listing that needs two pages of 1000 rows in this dataset (checked by the tests that rely on it).
MULTI_PAGE_STREAM = "ads_audience_reports_daily"
SECRETS = (credentials.ACCESS_TOKEN, credentials.APP_SECRET)

RecordKey = tuple[str, tuple[Any, ...]]


def fault_dataset() -> Dataset:
    return Dataset.generate(
        DatasetSpec(
            advertisers=2,
            campaigns_per_advertiser=4,
            adgroups_per_campaign=2,
            ads_per_adgroup=3,
            days=DAYS,
            end_date=END,
            seed=5,
            smart_plus_every=4,
        )
    )


def read_config(base_url: str, **overrides: Any) -> dict[str, Any]:
    return emulator_config(
        base_url,
        **{
            "start_date": START.isoformat(),
            "end_date": END.isoformat(),
            "attribution_window": 2,
            **overrides,
        },
    )


def read_catalog(discovered: dict[str, Any]) -> dict[str, Any]:
    return configured_catalog(discovered, STREAMS, incremental=True)


def primary_keys(catalog: dict[str, Any]) -> dict[str, list[str]]:
    return {
        entry["stream"]["name"]: [path[0] for path in entry["stream"]["source_defined_primary_key"]]
        for entry in catalog["streams"]
    }


# --- running the connector --------------------------------------------------------------------------

# Test-only patches, applied in the connector process before it starts: the connector itself has no
# knob for them (the read timeout and backoff schedule are deliberately not user settings; the read
# timeout's environment knob is set here as a patch so that the tests using it read as before).
SHORT_READ_TIMEOUT = """
import os
os.environ["SOURCE_TIKTOK_ADS_READ_TIMEOUT_SECONDS"] = "1"
"""
FAST_BACKOFF = """
from source_tiktok_ads.api.errors import TikTokBackoffStrategy
TikTokBackoffStrategy.backoff_time = lambda self, response_or_exception, attempt_count: 0.01
"""


def patched_command(*patches: str) -> list[str]:
    code = "\n".join([*patches, "from source_tiktok_ads.run import run", "run()"])
    return [sys.executable, "-c", code]


@dataclass
class TimedRun:
    run: ConnectorRun
    seconds: float


def _arguments(
    directory: str, config: dict[str, Any], catalog: dict[str, Any], state: list[dict[str, Any]] | None
) -> list[str]:
    args = ["read"]
    for flag, content in (("--config", config), ("--catalog", catalog), ("--state", state)):
        if content is None:
            continue
        path = Path(directory) / f"{flag[2:]}.json"
        path.write_text(json.dumps(content))
        args += [flag, str(path)]
    return args


def read(
    config: dict[str, Any],
    catalog: dict[str, Any],
    state: list[dict[str, Any]] | None = None,
    command: list[str] | None = None,
    timeout: float = 300,
) -> TimedRun:
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as directory:
        completed = subprocess.run(
            [*(command or connector_command()), *_arguments(directory, config, catalog, state)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=connector_env(),
        )
    run = ConnectorRun(
        completed.returncode, completed.stdout, completed.stderr, parse_messages(completed.stdout)
    )
    return TimedRun(run, time.monotonic() - started)


def read_and_kill(
    config: dict[str, Any],
    catalog: dict[str, Any],
    kill_when: Callable[[dict[str, Any]], bool],
    state: list[dict[str, Any]] | None = None,
    timeout: float = 120,
) -> tuple[ConnectorRun, bool]:
    """Read until `kill_when` is true for a message just read, then SIGKILL the connector. Whatever it
    had written to stdout before dying is kept (the platform would have received it); returns the run
    and whether the kill happened before the connector finished on its own."""
    with tempfile.TemporaryDirectory() as directory:
        process = subprocess.Popen(
            [*connector_command(), *_arguments(directory, config, catalog, state)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=connector_env(),
        )
        assert process.stdout is not None and process.stderr is not None
        lines: list[str] = []
        killed = False
        deadline = time.monotonic() + timeout
        for line in process.stdout:
            lines.append(line)
            try:
                message = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if kill_when(message):
                process.send_signal(signal.SIGKILL)
                killed = True
                break
            assert time.monotonic() < deadline, "connector did not reach the kill point in time"
        lines += process.stdout.readlines()
        stderr = process.stderr.read()
        returncode = process.wait(timeout=30)
    stdout = "".join(lines)
    return ConnectorRun(returncode, stdout, stderr, parse_messages(stdout)), killed


# --- records ----------------------------------------------------------------------------------------


def record_key(stream: str, record: dict[str, Any], keys: dict[str, list[str]]) -> RecordKey:
    return stream, tuple(record.get(field) for field in keys[stream])


def keyed(run: ConnectorRun, keys: dict[str, list[str]]) -> list[tuple[RecordKey, str]]:
    """Every record of the run, in order, as (stream, primary key) and its canonical JSON."""
    return [
        (
            record_key(message["record"]["stream"], message["record"]["data"], keys),
            canonical(message["record"]["data"]),
        )
        for message in run.of_type("RECORD")
    ]


def duplicates(pairs: Iterable[tuple[RecordKey, str]]) -> list[RecordKey]:
    counts = Counter(key for key, _ in pairs)
    return sorted((key for key, count in counts.items() if count > 1), key=repr)


def assert_exactly(pairs: list[tuple[RecordKey, str]], clean: dict[RecordKey, str], label: str) -> None:
    """Same (stream, primary key) set as the clean run, no duplicate, every record equal in full."""
    repeated = duplicates(pairs)
    assert not repeated, f"{label}: {len(repeated)} duplicated records, e.g. {repeated[:3]}"
    actual = dict(pairs)
    missing = sorted(set(clean) - set(actual), key=repr)
    extra = sorted(set(actual) - set(clean), key=repr)
    assert not missing, f"{label}: {len(missing)} records lost, e.g. {missing[:3]}"
    assert not extra, f"{label}: {len(extra)} unexpected records, e.g. {extra[:3]}"
    changed = [key for key, record in actual.items() if record != clean[key]]
    assert not changed, f"{label}: {len(changed)} records differ from the clean run, e.g. {changed[:3]}"


def secret_hits(texts: Iterable[str]) -> list[str]:
    """Every place a secret (or the `secret` query parameter with a value) shows up."""
    hits = []
    for text in texts:
        for secret in SECRETS:
            if secret in text:
                hits.append(f"secret {secret[:10]}… in output")
        for needle in (f"secret={credentials.APP_SECRET}", "secret=emu-"):
            if needle in text:
                hits.append(f"URL with {needle[:10]}… in output")
    return hits
