"""The port guard (port_guard.py) fails a test that binds a fixed port, and only such a test.

The cases run in a pytest of their own (a separate process, so that its failures are its own), with the
guard loaded as this repository loads it. The fixed port they try is never bound: the guard refuses it.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import port_guard
import pytest
from port_guard import FixedPortBind

INTEGRATION = Path(__file__).resolve().parent
FIXED = 18765

CASES = f"""
import socket
import threading

import pytest


def test_fixed_port() -> None:
    socket.create_server(("127.0.0.1", {FIXED}))


def test_fixed_port_in_a_thread_that_swallows_the_error() -> None:
    def serve() -> None:
        try:
            socket.create_server(("127.0.0.1", {FIXED}))
        except Exception:
            pass

    thread = threading.Thread(target=serve)
    thread.start()
    thread.join()


@pytest.fixture
def fixed_server():
    with socket.create_server(("127.0.0.1", {FIXED})) as server:
        yield server


def test_fixture_on_a_fixed_port(fixed_server) -> None:
    pass


def test_free_port_and_a_unix_socket(tmp_path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        assert server.getsockname()[1] != 0
    with socket.socket(socket.AF_UNIX) as unix:
        unix.bind(str(tmp_path / "socket"))
"""


def test_the_guard_fails_fixed_port_binds_wherever_they_happen(tmp_path: Path) -> None:
    (tmp_path / "test_cases.py").write_text(CASES)
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "port_guard", "-p", "no:cacheprovider", "-rA", "-q"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(INTEGRATION), "PATH": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    outcomes = dict(
        (name, outcome)
        for outcome, name in re.findall(
            r"^(PASSED|FAILED|ERROR) test_cases\.py::(\w+)", completed.stdout, re.M
        )
    )
    assert outcomes == {
        "test_fixed_port": "FAILED",
        "test_fixed_port_in_a_thread_that_swallows_the_error": "FAILED",
        "test_fixture_on_a_fixed_port": "ERROR",
        "test_free_port_and_a_unix_socket": "PASSED",
    }, completed.stdout[-3000:]
    assert completed.stdout.count(f"a test bound the fixed port {FIXED} on 127.0.0.1") >= 3


def test_the_guard_is_on_in_this_session_and_leaves_port_zero_alone() -> None:
    with pytest.raises(FixedPortBind, match=f"fixed port {FIXED}"):
        socket.create_server(("127.0.0.1", FIXED))
    assert port_guard.refused, "the refusal is recorded, to fail the test"
    port_guard.refused.clear()  # this test's refusal is the expected one
    with socket.create_server(("127.0.0.1", 0)) as server:
        assert server.getsockname()[1] > 0
