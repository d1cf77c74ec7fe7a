"""A cancelled read, as Airbyte (SIGTERM) and a terminal's Ctrl-C (SIGINT) cancel it: the process stops
sending requests at once, emits what it read with its state, and ends within seconds with a last line
that says it was cancelled, not that it finished."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import fault_support as fs
import pytest
from conftest import START_DATE
from harness import configured_catalog, connector_command, discovered_catalog, emulator_config
from tiktok_emulator import Dataset, Emulator, FaultPlan

pytestmark = pytest.mark.slow

STREAMS = ["campaigns", "ads", "ads_reports_daily"]
REPORT_PATH = "report/integrated/get/"
# Airbyte's cancel, and Ctrl-C, must end the process within this.
EXIT_SECONDS = 5.0


class SignallingEmulator(Emulator):
    """Sends `stop` to the connector while it answers the `at`-th report request: the answer (TikTok's
    50000, a service error the connector retries) leaves after the signal."""

    def __init__(self, dataset: Dataset, faults: FaultPlan, stop: signal.Signals, at: int) -> None:
        super().__init__(dataset, faults=faults)
        self.stop_signal = stop
        self.at = at
        self.process: subprocess.Popen[str] | None = None
        self.signalled_at: float | None = None
        self._reports = 0
        self._signal_lock = threading.Lock()

    def respond(self, path: str, params: dict[str, str], token: str | None) -> tuple[int, str, bytes, bool]:
        answer = super().respond(path, params, token)
        if path == REPORT_PATH:
            with self._signal_lock:
                self._reports += 1
                if self._reports == self.at and self.process is not None:
                    self.signalled_at = time.monotonic()
                    self.process.send_signal(self.stop_signal)
        return answer


@pytest.fixture(scope="module")
def catalog(emulator: Emulator) -> dict[str, Any]:
    discovered = discovered_catalog(emulator_config(emulator.base_url, start_date=START_DATE))
    return configured_catalog(discovered, STREAMS, incremental=True)


def _default_sigint() -> None:
    # As a terminal's Ctrl-C reaches it: a runner started in the background may pass SIGINT on ignored.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_cancel_during_persistent_service_errors_stops_requests_at_once_and_exits_within_seconds(
    dataset: Dataset, catalog: dict[str, Any], stop: signal.Signals
) -> None:
    # Every report request answers 50000 (retried with backoff); one worker, so every request after the
    # signal would be one the connector chose to send after it.
    failing_reports = FaultPlan(code_every=1, code=50000, only_paths=frozenset({REPORT_PATH}))
    # Without the delivery-day queries, the first report requests are the read's own: the signal lands
    # mid-read, after the plan, as it does in a long sync.
    config = emulator_config("", start_date=START_DATE, num_workers=1, skip_days_without_delivery=False)
    with (
        SignallingEmulator(dataset, failing_reports, stop, at=3) as tiktok,
        tempfile.TemporaryDirectory() as inputs,
        tempfile.TemporaryDirectory() as connector_tmp,
    ):
        config["base_url"] = tiktok.base_url
        Path(inputs, "config.json").write_text(json.dumps(config))
        Path(inputs, "catalog.json").write_text(json.dumps(catalog))
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
            env={**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": connector_tmp},
            preexec_fn=_default_sigint,
        )
        tiktok.process = process
        output, errors = process.communicate(timeout=300)
        exited_at = time.monotonic()
        assert tiktok.signalled_at is not None, f"the read ended before the signal: {output[-2000:]}"
        after_signal = [request for request in tiktok.requests if request.received_at > tiktok.signalled_at]
        # The read unwound in order (its cleanup ran), rather than being cut short by the forced exit.
        left_behind = list(Path(connector_tmp).iterdir())

    assert process.returncode == 128 + stop
    assert exited_at - tiktok.signalled_at < EXIT_SECONDS
    assert after_signal == []
    assert left_behind == []
    messages = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    logs = [message["log"]["message"] for message in messages if message["type"] == "LOG"]
    assert messages[-1]["type"] == "LOG", output[-2000:]
    last = messages[-1]["log"]["message"]
    assert last.startswith(f"Read cancelled by {stop.name} after "), last
    assert " slices, " in last and " records, " in last and " requests" in last
    assert not [line for line in logs if line.startswith("Read done")]
    # The retries before the signal say what failed, where, and the wait rounded to a tenth of a second.
    retries = [line for line in logs if "Retrying in" in line]
    assert retries and all(
        re.search(r"report/integrated/get/.* Retrying in \d+\.\d s\.$", line) for line in retries
    )
    # What was read went out with its state: the entity streams, read before the reports failed.
    records = [message["record"]["stream"] for message in messages if message["type"] == "RECORD"]
    states = [
        message["state"]["stream"]["stream_descriptor"]["name"]
        for message in messages
        if message["type"] == "STATE"
    ]
    assert "campaigns" in records and "campaigns" in states
    assert "Traceback" not in output + errors and "KeyboardInterrupt" not in output + errors
    assert fs.secret_hits([output, errors]) == []
