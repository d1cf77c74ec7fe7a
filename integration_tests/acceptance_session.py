"""The acceptance tests' world for one test session, shared by the suites that read it.

One emulator serves the pinned dataset on a free port for the whole session; the config files that
`acceptance-test-config.yml` names are copied, pointing at it, into `CONFIG_DIR`; and the one full read
of the sample that both acceptance suites check (test_acceptance_suites.py, test_airbyte_standards.py)
is run once. The standard tests learn their config paths when pytest collects them, before any fixture
runs, so `CONFIG_DIR` is chosen when this module is imported (one per test process) and filled by the
`acceptance_world` fixture. integration_tests/conftest.py makes the fixtures visible to every module.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from acceptance_env import (
    CONNECTOR_ROOT,
    emulator,
    full_refresh_only,
    load_acceptance_test_config,
    pointing_at,
    read_json,
    single_entry,
    standard_tests_view,
    with_discovered_streams,
    write_configs,
)
from harness import TEST_RATE_SETTINGS, ConnectorRun, run_connector

CONFIG_DIR = Path(tempfile.gettempdir()) / f"tiktok-acceptance-{os.getpid()}-{secrets.token_hex(4)}"


@dataclass(frozen=True)
class AcceptanceWorld:
    base_url: str
    # Each config file the acceptance-test config names (relative to the connector root), and its copy.
    copies: dict[str, Path]

    def config(self, section: str) -> dict[str, Any]:
        """The config (pointing at this session's emulator) of the section's one entry."""
        return read_json(self.copies[single_entry(section)["config_path"]])


@dataclass(frozen=True)
class FullRead:
    """The full-refresh read of the configured catalog, every stream, with the sample config."""

    discovered: dict[str, Any]
    # The committed configured catalog, each stream's definition taken from `discovered`.
    configured: dict[str, Any]
    run: ConnectorRun


def standard_tests_config() -> dict[str, Any]:
    """acceptance-test-config.yml as the standard tests read it: their view, reading the copies."""
    return pointing_at(standard_tests_view(load_acceptance_test_config()), CONFIG_DIR)


@pytest.fixture(scope="session")
def acceptance_world() -> Iterator[AcceptanceWorld]:
    with emulator() as running:
        CONFIG_DIR.mkdir(mode=0o700)
        try:
            # The tests' request rate: they check what the connector reads, not TikTok's pace.
            copies = write_configs(running.base_url, CONFIG_DIR, TEST_RATE_SETTINGS)
            yield AcceptanceWorld(running.base_url, copies)
        finally:
            shutil.rmtree(CONFIG_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def acceptance_full_read(acceptance_world: AcceptanceWorld) -> FullRead:
    config = acceptance_world.config("basic_read")
    discovered = run_connector("discover", config).catalog
    entry = single_entry("full_refresh")
    configured = with_discovered_streams(
        read_json(CONNECTOR_ROOT / entry["configured_catalog_path"]), discovered
    )
    run = run_connector("read", config, full_refresh_only(configured))
    assert run.returncode == 0, run.stderr[-3000:]
    assert not run.errors(), run.errors()
    return FullRead(discovered, configured, run)
