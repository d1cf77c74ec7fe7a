"""The CDK's standard tests (Airbyte's in-process successor to CAT), driven by acceptance-test-config.yml.

They run `spec`, `check`, `discover` and full-refresh `read` in-process against the session's emulator on
a free port, reading copies of the config files that point at it (acceptance_session.py). The full read
of the sample config is the session's shared one, which test_acceptance_suites.py checks too: the
standard `test_basic_read` runs unchanged, except that its `read` is answered from that read once it is
shown to be the same read (same streams, schemas and sync mode, same config). The suite's Docker-image
tests are deselected in pytest's config (`-m "not image_tests and not requires_creds"`): they need a
Docker engine, which CI does not have; scripts/image_test.sh builds and runs the image with buildah
instead, and test_docker_image.py covers machines that do have an engine.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from acceptance_env import full_refresh_only, single_entry
from acceptance_session import AcceptanceWorld, FullRead, standard_tests_config
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput
from airbyte_cdk.test.models import ConnectorTestScenario
from airbyte_cdk.test.standard_tests import SourceTestSuiteBase, source_base
from boltons.typeutils import classproperty

from source_tiktok_ads import SourceTiktokAds

pytest_plugins = ["airbyte_cdk.test.standard_tests.pytest_hooks"]


@pytest.fixture(autouse=True)
def _emulator_running(acceptance_world: AcceptanceWorld) -> None:
    """Every test here reads the config copies, which exist while the session's emulator runs."""


def _read_plan(catalog: dict[str, Any]) -> list[tuple[str, str, str]]:
    """What a read is asked to do: each stream's name, sync mode and schema, in order."""
    return [
        (
            entry["stream"]["name"],
            getattr(entry["sync_mode"], "value", entry["sync_mode"]),
            json.dumps(entry["stream"]["json_schema"], sort_keys=True),
        )
        for entry in catalog["streams"]
    ]


class SharedReadReplay:
    """The CDK's `run_test_job`, except that the `read` of the shared config is answered by the shared
    read, after checking that the standard test asks for exactly that read."""

    def __init__(self, shared: FullRead, config_path: Path, run_test_job: Callable[..., Any]) -> None:
        self.shared, self.config_path, self.run_test_job = shared, config_path, run_test_job
        self.replayed = 0

    def __call__(self, connector: Any, verb: str, **kwargs: Any) -> Any:
        scenario: ConnectorTestScenario | None = kwargs.get("test_scenario")
        if verb != "read" or scenario is None or scenario.config_path != self.config_path:
            return self.run_test_job(connector, verb, **kwargs)
        catalog = kwargs["catalog"]
        asked = _read_plan(catalog if isinstance(catalog, dict) else asdict(catalog))
        assert asked == _read_plan(full_refresh_only(self.shared.configured)), (
            "the standard test's read is no longer the shared one (streams, sync mode or schemas differ)"
        )
        self.replayed += 1
        return EntrypointOutput(messages=[json.dumps(message) for message in self.shared.run.messages])


class TestAirbyteStandards(SourceTestSuiteBase):
    # Named explicitly: the suite would otherwise guess the class from the checkout directory's name.
    connector = SourceTiktokAds

    @classproperty
    def acceptance_test_config(cls) -> Any:
        return standard_tests_config()

    def test_basic_read(
        self,
        scenario: ConnectorTestScenario,
        acceptance_world: AcceptanceWorld,
        acceptance_full_read: FullRead,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        shared_config = acceptance_world.copies[single_entry("basic_read")["config_path"]]
        replay = SharedReadReplay(acceptance_full_read, shared_config, source_base.run_test_job)
        monkeypatch.setattr(source_base, "run_test_job", replay)
        super().test_basic_read(scenario)
        if scenario.config_path == shared_config:
            assert replay.replayed == 1, "the standard read of the shared config did not use the shared read"
