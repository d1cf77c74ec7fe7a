"""The CDK's standard tests (Airbyte's in-process successor to CAT), driven by acceptance-test-config.yml.

They run `spec`, `check`, `discover` and full-refresh `read` in-process against the emulator on the fixed
port the config files name. The suite's Docker-image tests are deselected in pytest's config
(`-m "not image_tests and not requires_creds"`): they need a Docker engine, which CI does not have;
scripts/image_test.sh builds and runs the image with buildah instead, and test_docker_image.py covers
machines that do have an engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from acceptance_env import emulator, load_acceptance_test_config, standard_tests_view
from airbyte_cdk.test.standard_tests import SourceTestSuiteBase
from boltons.typeutils import classproperty

from source_tiktok_ads import SourceTiktokAds

pytest_plugins = ["airbyte_cdk.test.standard_tests.pytest_hooks"]


@pytest.fixture(scope="module", autouse=True)
def acceptance_emulator() -> Iterator[None]:
    with emulator():
        yield


class TestAirbyteStandards(SourceTestSuiteBase):
    # Named explicitly: the suite would otherwise guess the class from the checkout directory's name.
    connector = SourceTiktokAds

    @classproperty
    def acceptance_test_config(cls) -> Any:
        return standard_tests_view(load_acceptance_test_config())
