"""Runs `source-tiktok-ads` as a separate process, exactly as Airbyte does, and reads its messages."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from tiktok_emulator import credentials

from source_tiktok_ads.api.waits import RETRY_WAIT_SCALE_ENV

# The connector's rate settings in process tests: the emulator answers as fast as it can, and a test is
# about what the connector reads, not about TikTok's pace. The few tests of the pacing set their own rate.
TEST_RATE_SETTINGS: dict[str, Any] = {
    "requests_per_second": 500,
    "requests_per_minute": 60000,
    "gmv_max_requests_per_second": 500,
    "gmv_max_requests_per_minute": 60000,
}
# Retry waits and throttling pauses, shrunk by this factor: tests count retries and what follows them, not
# the seconds between them. `connector_env(retry_wait_scale=1)` gives a test the real waits.
TEST_RETRY_WAIT_SCALE = 0.05


def connector_env(retry_wait_scale: float = TEST_RETRY_WAIT_SCALE, **extra: str) -> dict[str, str]:
    """The environment a connector process runs with in the tests."""
    return {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        RETRY_WAIT_SCALE_ENV: str(retry_wait_scale),
        **extra,
    }


def connector_command() -> list[str]:
    """The installed console script when on PATH, else the same entry point through the module."""
    script = shutil.which("source-tiktok-ads")
    return [script] if script else [sys.executable, "-m", "source_tiktok_ads"]


# The same source behind airbyte-cdk's own `launch`, as a CDK user embedding it would run it.
CDK_LAUNCH = [
    sys.executable,
    "-c",
    "import sys; from airbyte_cdk.entrypoint import launch; from source_tiktok_ads.source import SourceTiktokAds; "
    "launch(SourceTiktokAds(), sys.argv[1:])",
]


# What `ConnectorRun.without_records` keeps of each output: enough for a failure message.
KEPT_OUTPUT_CHARS = 5000


@dataclass
class ConnectorRun:
    returncode: int
    stdout: str
    stderr: str
    messages: list[dict[str, Any]] = field(default_factory=list)

    def of_type(self, message_type: str) -> list[dict[str, Any]]:
        return [message for message in self.messages if message.get("type") == message_type]

    def records(self, stream: str | None = None) -> list[dict[str, Any]]:
        return [
            message["record"]["data"]
            for message in self.of_type("RECORD")
            if stream is None or message["record"]["stream"] == stream
        ]

    def records_by_stream(self) -> dict[str, list[dict[str, Any]]]:
        grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for message in self.of_type("RECORD"):
            grouped[message["record"]["stream"]].append(message["record"]["data"])
        return dict(grouped)

    def stream_states(self) -> dict[str, Any]:
        """The last state of each stream, in the shape `--state` accepts back."""
        latest: dict[str, Any] = {}
        for message in self.of_type("STATE"):
            state = message["state"]
            latest[state["stream"]["stream_descriptor"]["name"]] = state
        return latest

    def errors(self) -> list[dict[str, Any]]:
        return [
            message["trace"]["error"]
            for message in self.of_type("TRACE")
            if message["trace"]["type"] == "ERROR"
        ]

    @property
    def connection_status(self) -> dict[str, Any]:
        statuses = self.of_type("CONNECTION_STATUS")
        assert len(statuses) == 1, (
            f"expected one CONNECTION_STATUS, got {len(statuses)}: {self.stdout[-2000:]}"
        )
        return statuses[0]["connectionStatus"]

    @property
    def catalog(self) -> dict[str, Any]:
        return self.of_type("CATALOG")[0]["catalog"]

    def without_records(self) -> ConnectorRun:
        """The same run less its records and all but the end of its output, for a test that keeps many
        runs after taking what it needs from their records: parsed records take most of a run's memory."""
        return ConnectorRun(
            self.returncode,
            self.stdout[-KEPT_OUTPUT_CHARS:],
            self.stderr[-KEPT_OUTPUT_CHARS:],
            [message for message in self.messages if message.get("type") != "RECORD"],
        )


def run_connector(
    command: str,
    config: dict[str, Any] | None = None,
    catalog: dict[str, Any] | None = None,
    state: list[dict[str, Any]] | None = None,
    timeout: float = 600,
    raw_config: str | None = None,
    entry_point: list[str] | None = None,
    env: dict[str, str] | None = None,
) -> ConnectorRun:
    with tempfile.TemporaryDirectory() as directory:
        args = [*(entry_point or connector_command()), command]
        for flag, content in (("--config", config), ("--catalog", catalog), ("--state", state)):
            if content is None and not (flag == "--config" and raw_config is not None):
                continue
            path = Path(directory) / f"{flag[2:]}.json"
            path.write_text(
                raw_config if flag == "--config" and raw_config is not None else json.dumps(content)
            )
            args += [flag, str(path)]
        completed = subprocess.run(
            args, capture_output=True, text=True, timeout=timeout, env=env or connector_env()
        )
    return ConnectorRun(
        completed.returncode, completed.stdout, completed.stderr, parse_messages(completed.stdout)
    )


def parse_messages(stdout: str) -> list[dict[str, Any]]:
    """The JSON objects among a process's output lines (orjson: the tests parse millions of records)."""
    messages = []
    for line in stdout.splitlines():
        try:
            message = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(message, dict):
            messages.append(message)
    return messages


def canonical(record: dict[str, Any]) -> str:
    """A record as text with sorted keys: equal records give equal texts, to compare runs by."""
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS).decode()


# `discover` asks TikTok nothing: its catalog depends on the config alone, and not on the host it names.
_DISCOVERED: dict[str, str] = {}


def discovered_catalog(config: dict[str, Any]) -> dict[str, Any]:
    """The catalog `discover` prints for this config, run once per config (less `base_url`) and test
    process: most process tests need a catalog, few are about discover."""
    key = canonical({name: value for name, value in config.items() if name != "base_url"})
    if key not in _DISCOVERED:
        run = run_connector("discover", config)
        assert run.returncode == 0 and run.of_type("CATALOG"), run.stdout[-3000:]
        _DISCOVERED[key] = orjson.dumps(run.catalog).decode()
    return orjson.loads(_DISCOVERED[key])


def emulator_config(base_url: str, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "credentials": {
            "auth_type": "oauth2.0",
            "app_id": credentials.APP_ID,
            "secret": credentials.APP_SECRET,
            "access_token": credentials.ACCESS_TOKEN,
        },
        "base_url": base_url,
        **TEST_RATE_SETTINGS,
    }
    config.update(overrides)
    return config


def configured_catalog(
    catalog: dict[str, Any], streams: list[str] | None = None, incremental: bool = False
) -> dict[str, Any]:
    """Every discovered stream (or the named ones), incremental where offered and asked for."""
    configured = []
    for stream in catalog["streams"]:
        if streams is not None and stream["name"] not in streams:
            continue
        use_incremental = incremental and "incremental" in stream["supported_sync_modes"]
        entry = {
            "stream": stream,
            "sync_mode": "incremental" if use_incremental else "full_refresh",
            "destination_sync_mode": "append_dedup" if use_incremental else "overwrite",
        }
        if use_incremental:
            entry["cursor_field"] = stream.get("default_cursor_field", [])
            entry["primary_key"] = stream.get("source_defined_primary_key", [])
        configured.append(entry)
    return {"streams": configured}
