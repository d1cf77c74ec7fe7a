"""Bad input files, as Airbyte would pass them: clear errors, the protocol's exit codes, no traceback."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import pytest
from conftest import START_DATE
from harness import configured_catalog, connector_command, discovered_catalog, emulator_config, run_connector
from tiktok_emulator import Emulator, credentials


def run_raw(command: str, files: dict[str, str]) -> tuple[int, list[dict], str, str]:
    with tempfile.TemporaryDirectory() as directory:
        args = [*connector_command(), command]
        for flag, content in files.items():
            path = Path(directory, f"{flag}.json")
            path.write_text(content)
            args += [f"--{flag}", str(path)]
        done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    messages = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return done.returncode, messages, done.stdout, done.stderr


def trace_errors(messages: list[dict]) -> list[dict]:
    return [m["trace"]["error"] for m in messages if m["type"] == "TRACE" and m["trace"]["type"] == "ERROR"]


@pytest.fixture(scope="module")
def good_config(emulator: Emulator) -> dict:
    return emulator_config(emulator.base_url, start_date=START_DATE)


@pytest.fixture(scope="module")
def catalog(good_config: dict) -> dict:
    return configured_catalog(
        discovered_catalog(good_config), ["campaigns", "ads_reports_daily"], incremental=True
    )


@pytest.mark.parametrize("command", ["discover", "read"])
def test_invalid_config_fails_with_a_config_error_and_exit_1(
    command: str, good_config: dict, catalog: dict
) -> None:
    config = {**good_config, "attribution_window": 999}
    files = {"config": json.dumps(config)}
    if command == "read":
        files["catalog"] = json.dumps(catalog)
    code, messages, stdout, stderr = run_raw(command, files)
    assert code == 1
    [error] = trace_errors(messages)
    assert error["failure_type"] == "config_error" and "attribution_window" in error["message"]
    assert "Traceback" not in stdout
    assert credentials.ACCESS_TOKEN not in stdout + stderr and credentials.APP_SECRET not in stdout + stderr


def test_invalid_config_on_check_is_a_failed_status_and_exit_0(good_config: dict) -> None:
    code, messages, stdout, _ = run_raw(
        "check", {"config": json.dumps({**good_config, "start_date": "01-01-2026"})}
    )
    assert code == 0
    [status] = [m["connectionStatus"] for m in messages if m["type"] == "CONNECTION_STATUS"]
    assert status["status"] == "FAILED" and "start_date" in status["message"]
    assert "Traceback" not in stdout


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("not JSON", "{credentials: nope", "not valid JSON"),
        ("a JSON list", "[1, 2]", "must hold a JSON object"),
    ],
)
def test_unreadable_config_file(name: str, content: str, fragment: str) -> None:
    code, messages, stdout, _ = run_raw("discover", {"config": content})
    assert code == 1
    [error] = trace_errors(messages)
    assert fragment in error["message"] and error["failure_type"] == "config_error"
    assert "Traceback" not in stdout


def test_invalid_catalog_file(good_config: dict) -> None:
    code, messages, stdout, _ = run_raw(
        "read", {"config": json.dumps(good_config), "catalog": json.dumps({"streams": [{"nope": 1}]})}
    )
    assert code == 1
    [error] = trace_errors(messages)
    assert "catalog" in error["message"] and error["failure_type"] == "config_error"
    assert "Traceback" not in stdout


def test_unknown_stream_in_catalog_is_reported_not_crashed(good_config: dict, catalog: dict) -> None:
    bogus = json.loads(json.dumps(catalog))
    bogus["streams"][0]["stream"]["name"] = "no_such_stream"
    run = run_connector("read", good_config, bogus)
    statuses = [
        m["trace"]["stream_status"] for m in run.of_type("TRACE") if m["trace"]["type"] == "STREAM_STATUS"
    ]
    assert any(
        s["stream_descriptor"]["name"] == "no_such_stream" and s["status"] == "INCOMPLETE" for s in statuses
    )
    assert run.records("ads_reports_daily")  # the other stream still syncs


@pytest.mark.parametrize(
    ("state", "expect"),
    [
        ('{"not": "a list"}', "error"),
        ("not json at all", "error"),
        (
            json.dumps(
                [
                    {
                        "type": "STREAM",
                        "stream": {
                            "stream_descriptor": {"name": "ads_reports_daily"},
                            "stream_state": {"stat_time_day": "2026-01-01"},
                        },
                    }
                ]
            ),
            "fallback",
        ),
        (
            json.dumps(
                [
                    {
                        "type": "STREAM",
                        "stream": {
                            "stream_descriptor": {"name": "ads_reports_daily"},
                            "stream_state": {
                                "states": [
                                    {
                                        "partition": {"advertiser_id": "x"},
                                        "cursor": {"stat_time_day": "2099-01-01"},
                                    }
                                ]
                            },
                        },
                    }
                ]
            ),
            "fallback",
        ),
    ],
)
def test_invalid_or_abnormal_state(good_config: dict, catalog: dict, state: str, expect: str) -> None:
    code, messages, stdout, _ = run_raw(
        "read", {"config": json.dumps(good_config), "catalog": json.dumps(catalog), "state": state}
    )
    assert "Traceback" not in stdout
    if expect == "error":
        assert code == 1
        [error] = trace_errors(messages)
        assert "state" in error["message"] and error["failure_type"] == "config_error"
    else:
        # A flat cursor (source-tiktok-marketing's older shape) older than start_date, or a cursor of an
        # advertiser the account does not have: the advertisers read from start_date.
        assert code == 0
        records = [
            m for m in messages if m["type"] == "RECORD" and m["record"]["stream"] == "ads_reports_daily"
        ]
        assert records and min(m["record"]["data"]["stat_time_day"] for m in records)[:10] == START_DATE
