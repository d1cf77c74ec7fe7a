"""Failures a user can act on, as Airbyte sees them from the process: an unreachable TikTok fails the
run once and fast, a stream the source does not have is named, a cancelled read leaves no copy of the
config behind, and the small messages say the field to change, then the fix."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import IO

import fault_support as fs
import pytest
from conftest import START_DATE
from harness import configured_catalog, connector_command, discovered_catalog, emulator_config, run_connector
from network_faults import closed_port
from tiktok_emulator import Dataset, Emulator, credentials

from source_tiktok_ads.reports.stream import REPORT_PATH

pytestmark = pytest.mark.slow

STREAMS = ["campaigns", "ads", "ads_reports_daily"]


@pytest.fixture(scope="module")
def catalog(emulator: Emulator) -> dict:
    discovered = discovered_catalog(emulator_config(emulator.base_url, start_date=START_DATE))
    return configured_catalog(discovered, STREAMS)


def test_a_read_that_cannot_reach_tiktok_fails_once_within_three_minutes_naming_the_host(
    catalog: dict,
) -> None:
    config = emulator_config(f"http://127.0.0.1:{closed_port()}/open_api/v1.3/", start_date=START_DATE)
    started = time.monotonic()
    run = run_connector("read", config, catalog, timeout=300)
    seconds = time.monotonic() - started
    assert run.returncode == 1
    assert seconds < 180
    [error] = run.errors()
    assert error["message"].startswith("Cannot reach 127.0.0.1: the connection was refused.")
    assert "oauth2/advertiser/get/" in error["message"] and "Check base_url" in error["message"]
    assert not error.get("stack_trace")
    logs = [message["log"]["message"] for message in run.of_type("LOG")]
    assert not [line for line in logs if "rate limit" in line.lower()]


def test_a_configured_stream_the_source_does_not_have_is_named_after_the_others_are_read(
    emulator: Emulator, catalog: dict
) -> None:
    renamed = {
        **catalog["streams"][0],
        "stream": {**catalog["streams"][0]["stream"], "name": "old_custom_report"},
    }
    run = run_connector(
        "read",
        emulator_config(emulator.base_url, start_date=START_DATE),
        {"streams": [renamed, *catalog["streams"]]},
    )
    assert run.returncode != 0
    assert set(run.records_by_stream()) == set(STREAMS)
    [error] = run.errors()
    assert error["failure_type"] == "config_error"
    assert "'old_custom_report'" in error["message"] and "Refresh the source schema" in error["message"]


class HeldReports(Emulator):
    """A TikTok whose report answers take until the test lets them go: a read that has asked for one
    cannot finish before then."""

    def __init__(self, dataset: Dataset) -> None:
        super().__init__(dataset)
        self.report_asked = threading.Event()
        self.let_go = threading.Event()

    def respond(self, path: str, params: dict[str, str], token: str | None) -> tuple[int, str, bytes, bool]:
        if path == REPORT_PATH:
            self.report_asked.set()
            self.let_go.wait()
        return super().respond(path, params, token)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_cancelled_read_leaves_nothing_in_the_temporary_directory(
    dataset: Dataset, catalog: dict, stop: signal.Signals
) -> None:
    with (
        HeldReports(dataset) as held,
        tempfile.TemporaryDirectory() as inputs,
        tempfile.TemporaryDirectory() as connector_tmp,
    ):
        Path(inputs, "config.json").write_text(
            json.dumps(emulator_config(held.base_url, start_date=START_DATE))
        )
        Path(inputs, "catalog.json").write_text(json.dumps(catalog))
        try:
            process = subprocess.Popen(
                [
                    *connector_command(),
                    "read",
                    "--config",
                    f"{inputs}/config.json",
                    "--catalog",
                    f"{inputs}/catalog.json",
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, "TMPDIR": connector_tmp, "PYTHONUNBUFFERED": "1"},
                # As a terminal's Ctrl-C reaches it: a runner started in the background may pass SIGINT
                # on ignored, and Python keeps an ignored SIGINT ignored.
                preexec_fn=_default_sigint,
            )
            outputs = [drained(process.stdout), drained(process.stderr)]
            # The read waits for a report answer it cannot do without: the signal lands mid-read, while
            # the read's temporary directory is there.
            assert held.report_asked.wait(timeout=120), "the read never asked for a report"
            assert process.poll() is None and list(Path(connector_tmp).iterdir())
            process.send_signal(stop)
            # Gone with no report answered: the signal, not the end of the read, removed it.
            deadline = time.monotonic() + 60
            while list(Path(connector_tmp).iterdir()):
                assert time.monotonic() < deadline, "the cancelled read left its temporary directory"
                time.sleep(0.01)
        finally:
            # Requests still in flight get their answer; the process then ends.
            held.let_go.set()
        process.wait(timeout=60)
        output, errors = ("".join(lines) for lines in (drain.result(timeout=60) for drain in outputs))
        assert process.returncode != 0
        assert list(Path(connector_tmp).iterdir()) == []
        assert fs.secret_hits([output, errors]) == []


def drained(stream: IO[str] | None) -> Future[list[str]]:
    """Read a pipe to its end on a thread, so the process never blocks writing to it."""
    assert stream is not None
    done: Future[list[str]] = Future()
    threading.Thread(target=lambda: done.set_result(list(stream)), daemon=True).start()
    return done


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_no_command_prints_the_usage_not_a_traceback() -> None:
    done = subprocess.run(connector_command(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("usage: source-tiktok-ads {spec,check,discover,read}")
    assert "No command given" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stdout == ""


def test_a_wrong_app_secret_says_to_check_the_app_credentials_and_nothing_else(emulator: Emulator) -> None:
    config = emulator_config(emulator.base_url, start_date=START_DATE)
    config["credentials"]["secret"] = "not-the-app-secret"
    message = run_connector("check", config).connection_status["message"]
    assert message.startswith("TikTok refused to list advertisers for this app (oauth2/advertiser/get/: ")
    assert "Check credentials.app_id and credentials.secret" in message
    assert ".." not in message and "Manage Permissions" not in message
    assert credentials.APP_SECRET not in message


def test_an_end_date_before_the_start_date_names_end_date(emulator: Emulator) -> None:
    config = emulator_config(emulator.base_url, start_date="2026-10-10", end_date="2026-10-01")
    message = run_connector("check", config).connection_status["message"]
    assert message == (
        "Invalid configuration. 'end_date': 2026-10-01 is before start_date (2026-10-10); set a later "
        "end_date or leave it empty."
    )
