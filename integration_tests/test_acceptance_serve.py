"""The newcomer's command, `python integration_tests/acceptance_env.py serve`, serves what the tests read.

It runs as a person runs it (a process, on a free port here), and the connector, given the config the
command prints, reads back the expected records of streams that only the pinned dataset's options
(Upgraded Smart+ campaigns, a GMV Max store) fill.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from acceptance_env import (
    ACCEPTANCE_TEST_CONFIG,
    CAT_PORT,
    CONFIGURED_CATALOG,
    CONNECTOR_ROOT,
    EXPECTED_RECORDS,
    HOST,
    INTEGRATION,
    SAMPLE_CONFIG,
    read_json,
)
from harness import run_connector
from tiktok_emulator import credentials

pytestmark = pytest.mark.slow

STREAMS = ("campaigns", "smart_plus_campaigns", "gmv_max_stores", "gmv_max_campaigns")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[str], Path]]:
    config_dir = tmp_path_factory.mktemp("served")
    process = subprocess.Popen(
        [
            sys.executable,
            str(INTEGRATION / "acceptance_env.py"),
            "serve",
            "--port",
            "0",
            "--config-dir",
            str(config_dir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("Ctrl-C"):
            break
    try:
        yield lines, config_dir
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0, process.stderr.read() if process.stderr else ""


def test_serve_prints_the_base_url_and_configs_pointing_at_it(served: tuple[list[str], Path]) -> None:
    lines, config_dir = served
    printed = "\n".join(lines)
    match = re.search(r"at (http://127\.0\.0\.1:(\d+)/open_api/v1\.3/)$", lines[0])
    assert match and match.group(2) != "0", printed
    copy = config_dir / "sample_config.json"
    assert str(copy) in printed and f"--config {copy}" in printed
    assert read_json(copy) == {**read_json(SAMPLE_CONFIG), "base_url": match.group(1)}
    assert (config_dir / "invalid_config.json").is_file()
    assert "test credentials" in printed


def test_the_served_dataset_is_the_one_the_expected_records_come_from(served: tuple[list[str], Path]) -> None:
    _, config_dir = served
    config = read_json(config_dir / "sample_config.json")
    discovered = {stream["name"]: stream for stream in run_connector("discover", config).catalog["streams"]}
    catalog = {
        "streams": [
            {**entry, "stream": discovered[entry["stream"]["name"]], "sync_mode": "full_refresh"}
            for entry in read_json(CONFIGURED_CATALOG)["streams"]
            if entry["stream"]["name"] in STREAMS
        ]
    }
    run = run_connector("read", config, catalog)
    assert run.returncode == 0 and not run.errors(), run.stderr[-2000:]

    expected = [json.loads(line) for line in EXPECTED_RECORDS.read_text().splitlines() if line.strip()]
    wanted = [message for message in expected if message["stream"] in STREAMS]
    assert {message["stream"] for message in wanted} == set(STREAMS)
    for message in wanted:
        assert message["data"] in run.records(message["stream"]), (
            f"{message['stream']}: expected record not read"
        )


def test_the_docs_give_this_command_the_cat_address_and_the_emulators_test_credentials() -> None:
    readme = (CONNECTOR_ROOT / "README.md").read_text()
    for document in (readme, ACCEPTANCE_TEST_CONFIG.read_text()):
        assert "python integration_tests/acceptance_env.py serve" in document
        assert f"{HOST}:{CAT_PORT}" in document
    for value in (
        credentials.APP_ID,
        credentials.APP_SECRET,
        credentials.ACCESS_TOKEN,
        credentials.REVOKED_TOKEN,
    ):
        assert f"`{value}`" in readme, f"the README does not give the emulator's {value!r}"
