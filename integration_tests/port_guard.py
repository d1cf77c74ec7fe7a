"""A pytest plugin that fails any test binding a fixed port in the test process.

A fixed port collides with whatever else holds it, another test run on the same machine for one, and
the test then fails for a reason that has nothing to do with the code. Port 0 lets the system pick a
free port, so it is always allowed, as are non-IP sockets. The guard wraps `socket.socket.bind` for the
whole session: a fixed-port bind raises `FixedPortBind` where it happens, and is also recorded, so that
the test (or the fixture it set up) fails even when the bind ran in a thread that swallowed the error.
Processes a test starts (the connector, the emulator run as a process) are not affected: they run
their own interpreter.

Loaded for every test by the repository's conftest.py (`pytest_plugins`).
"""

from __future__ import annotations

import socket
from collections.abc import Generator
from typing import Any

import pytest

GUARDED_FAMILIES = (socket.AF_INET, socket.AF_INET6)
_unguarded_bind = socket.socket.bind
# Fixed-port binds refused since the last test report: the report of the phase they happened in fails.
refused: list[str] = []


class FixedPortBind(RuntimeError):
    """A test tried to bind a fixed port."""


def _bind(self: socket.socket, address: Any) -> None:
    if self.family in GUARDED_FAMILIES and isinstance(address, tuple) and address[1]:
        problem = (
            f"a test bound the fixed port {address[1]} on {address[0] or 'every interface'}: tests bind "
            "port 0 (a free port the system picks) and pass the port they got to whatever connects"
        )
        refused.append(problem)
        raise FixedPortBind(problem)
    _unguarded_bind(self, address)


def pytest_configure(config: pytest.Config) -> None:
    socket.socket.bind = _bind  # type: ignore[method-assign]


def pytest_unconfigure(config: pytest.Config) -> None:
    socket.socket.bind = _unguarded_bind  # type: ignore[method-assign]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if refused:
        problems = "\n".join(refused)
        refused.clear()
        if not report.failed:
            report.outcome = "failed"
            report.longrepr = problems
    return report
