"""Network failures and broken answers on each endpoint a run starts with, during `check` and `read`:
the user is told which host failed, how, and what to change, and no output or leftover file carries
the access token, the app secret or a `secret=` URL parameter.

Faults: an untrusted TLS certificate, a host name that does not resolve, a proxy that refuses, a
connection reset mid-body and HTTP 500 with a JSON body, each on every request to one endpoint. The
backoff schedule is patched short in the connector process (the attempt counts are the real ones).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fault_support as fs
import pytest
from harness import (
    ConnectorRun,
    configured_catalog,
    connector_env,
    discovered_catalog,
    parse_messages,
)
from network_faults import UNRESOLVABLE_HOST, network_fault_patch, untrusted_tls_server
from tiktok_emulator import Dataset, Emulator, FaultPlan

pytestmark = pytest.mark.slow

PATHS = ("oauth2/advertiser/get/", "advertiser/info/", "report/integrated/get/")
FAULTS = ("tls", "dns", "proxy", "reset", "http500")
COMMANDS = ("check", "read")
STREAMS = ["advertisers", "campaigns", "ads_reports_daily"]
# `check` requests report/integrated/get/ only to probe a custom report.
PROBED_REPORT = {
    "name": "spend_by_ad",
    "data_level": "AUCTION_AD",
    "dimensions": ["ad_id"],
    "metrics": ["spend"],
}
# What the message must say, per network failure: the host, then the kind of failure and its fix.
NAMED = {
    "tls": ("Cannot reach 127.0.0.1", "TLS certificate could not be verified", "REQUESTS_CA_BUNDLE"),
    "dns": (f"Cannot reach {UNRESOLVABLE_HOST}", "DNS lookup", "base_url"),
    "proxy": ("Cannot reach", "proxy", "HTTPS_PROXY"),
}
CASES = [(command, path, fault) for command in COMMANDS for path in PATHS for fault in FAULTS]


@dataclass
class Outcome:
    run: ConnectorRun
    leftovers: dict[str, str]  # what the connector left in its temporary directory: path -> content

    @property
    def failure_text(self) -> str:
        if self.run.of_type("CONNECTION_STATUS"):
            return self.run.connection_status.get("message") or ""
        return " | ".join(error["message"] for error in self.run.errors())

    def logs(self) -> list[str]:
        return [message["log"]["message"] for message in self.run.of_type("LOG")]


def _emulator_faults(fault: str, path: str) -> FaultPlan:
    if fault == "reset":
        return FaultPlan(reset_every=1, only_paths=frozenset({path}))
    if fault == "http500":
        return FaultPlan(http_error_every=1, http_error_status=500, only_paths=frozenset({path}))
    return FaultPlan()


def _run(command: str, config: dict[str, Any], catalog: dict[str, Any] | None, patches: list[str]) -> Outcome:
    with tempfile.TemporaryDirectory() as inputs, tempfile.TemporaryDirectory() as connector_tmp:
        args = [command, "--config", str(Path(inputs, "config.json"))]
        Path(inputs, "config.json").write_text(json.dumps(config))
        if catalog is not None:
            Path(inputs, "catalog.json").write_text(json.dumps(catalog))
            args += ["--catalog", str(Path(inputs, "catalog.json"))]
        done = subprocess.run(
            [*fs.patched_command(*patches), *args],
            capture_output=True,
            text=True,
            timeout=300,
            env=connector_env(TMPDIR=connector_tmp, NO_PROXY="", no_proxy=""),
        )
        leftovers = {
            str(file): file.read_text(errors="replace")
            for file in Path(connector_tmp).rglob("*")
            if file.is_file()
        }
    messages = parse_messages(done.stdout)
    return Outcome(ConnectorRun(done.returncode, done.stdout, done.stderr, messages), leftovers)


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return fs.fault_dataset()


@pytest.fixture(scope="module")
def outcomes(
    dataset: Dataset, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str, str], Outcome]:
    with Emulator(dataset) as emulator:
        discovered = discovered_catalog(fs.read_config(emulator.base_url))
    catalog = configured_catalog(discovered, STREAMS)

    def one(case: tuple[str, str, str], tls_port: int) -> Outcome:
        command, path, fault = case
        patches = [fs.FAST_BACKOFF]
        if fault in NAMED:
            patches.append(network_fault_patch(fault, path, tls_port))
        with Emulator(dataset, faults=_emulator_faults(fault, path)) as emulator:
            config = fs.read_config(emulator.base_url)
            if command == "check":
                config["custom_reports"] = [PROBED_REPORT]
            return _run(command, config, catalog if command == "read" else None, patches)

    with (
        untrusted_tls_server(tmp_path_factory.mktemp("tls")) as tls_port,
        ThreadPoolExecutor(max_workers=4) as pool,
    ):
        futures = {case: pool.submit(one, case, tls_port) for case in CASES}
        return {case: future.result() for case, future in futures.items()}


@pytest.mark.parametrize(("command", "path", "fault"), CASES)
def test_no_secret_in_any_output_or_leftover_file(
    outcomes: dict[tuple[str, str, str], Outcome], command: str, path: str, fault: str
) -> None:
    outcome = outcomes[command, path, fault]
    assert outcome.run.messages, outcome.run.stderr[-2000:]
    texts = [outcome.run.stdout, outcome.run.stderr, *outcome.leftovers.values()]
    assert fs.secret_hits(texts) == []
    # Not even a masked one: URL query strings are hidden whole.
    assert not [text for text in texts if "secret=" in text]
    assert outcome.leftovers == {}, "the connector left files in its temporary directory"


@pytest.mark.parametrize(("command", "path", "fault"), CASES)
def test_the_failure_is_reported(
    outcomes: dict[tuple[str, str, str], Outcome], command: str, path: str, fault: str
) -> None:
    outcome = outcomes[command, path, fault]
    if command == "check":
        assert outcome.run.connection_status["status"] == "FAILED"
    else:
        assert outcome.run.returncode != 0
    assert path in outcome.failure_text


@pytest.mark.parametrize(("command", "path", "fault"), [case for case in CASES if case[2] in NAMED])
def test_a_network_failure_names_the_host_the_kind_and_the_fix_and_is_never_called_a_rate_limit(
    outcomes: dict[tuple[str, str, str], Outcome], command: str, path: str, fault: str
) -> None:
    outcome = outcomes[command, path, fault]
    for fragment in NAMED[fault]:
        assert fragment in outcome.failure_text, outcome.failure_text
    assert not [line for line in outcome.logs() if "rate limit" in line.lower()]


@pytest.mark.parametrize("path", ["oauth2/advertiser/get/", "advertiser/info/"])
@pytest.mark.parametrize("fault", list(NAMED))
def test_a_run_that_cannot_reach_tiktok_at_its_start_fails_once(
    outcomes: dict[tuple[str, str, str], Outcome], path: str, fault: str
) -> None:
    """The advertiser lookup is made once per run: no stream is tried after it failed."""
    outcome = outcomes["read", path, fault]
    assert len(outcome.run.errors()) == 1, outcome.failure_text
    assert not outcome.run.of_type("RECORD")
