"""metadata.yaml follows Airbyte's ConnectorMetadataDefinitionV0 and agrees with the rest of the repository.

The schema's rules are restated here (required keys, closed key sets, enums, formats) rather than
fetched, so the test runs offline; the source is airbyte-connector-models'
`metadata/v0/ConnectorMetadataDefinitionV0.json`.
"""

from __future__ import annotations

import re
import tomllib
import uuid
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml
from airbyte_cdk.models.connector_metadata import ConnectorLanguage, MetadataFile

ROOT = Path(__file__).resolve().parent.parent
METADATA_PATH = ROOT / "metadata.yaml"

DATA_REQUIRED = {
    "name",
    "definitionId",
    "connectorType",
    "dockerRepository",
    "dockerImageTag",
    "license",
    "documentationUrl",
    "githubIssueLabel",
    "connectorSubtype",
    "releaseStage",
}
DATA_ALLOWED = DATA_REQUIRED | {
    "icon",
    "connectorBuildOptions",
    "connectorTestSuitesOptions",
    "supportsDbt",
    "supportsNormalization",
    "externalDocumentationUrls",
    "maxSecondsBetweenMessages",
    "releaseDate",
    "protocolVersion",
    "erdUrl",
    "supportLevel",
    "tags",
    "registryOverrides",
    "allowedHosts",
    "releases",
    "normalizationConfig",
    "suggestedStreams",
    "resourceRequirements",
    "ab_internal",
    "remoteRegistries",
    "supportsRefreshes",
    "generated",
    "supportsFileTransfer",
    "supportsDataActivation",
    "connectorIPCOptions",
}
ENUMS = {
    "connectorType": {"source", "destination"},
    "connectorSubtype": {
        "api",
        "database",
        "datalake",
        "file",
        "custom",
        "message_queue",
        "unknown",
        "vectorstore",
    },
    "releaseStage": {"alpha", "beta", "generally_available", "custom"},
    "supportLevel": {"community", "certified", "archived"},
}
TEST_SUITES = {"unitTests", "integrationTests", "acceptanceTests", "liveTests", "smokeTests"}
BASE_IMAGE = re.compile(r"^docker\.io/airbyte/python-connector-base:\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$")


@pytest.fixture(scope="module")
def metadata() -> dict[str, Any]:
    return yaml.safe_load(METADATA_PATH.read_text())


@pytest.fixture(scope="module")
def data(metadata: dict[str, Any]) -> dict[str, Any]:
    return metadata["data"]


def _changelog() -> list[tuple[str, str]]:
    """(version, date) rows of the changelog table, newest first."""
    section = (ROOT / "docs" / "changelog.md").read_text()
    return re.findall(r"^\|\s*(\d+\.\d+\.\d+)\s*\|\s*(\d{4}-\d{2}-\d{2})\s*\|", section, flags=re.MULTILINE)


def _dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def test_top_level_is_closed(metadata: dict[str, Any]) -> None:
    assert set(metadata) == {"metadataSpecVersion", "data"}
    assert metadata["metadataSpecVersion"] == "1.0"


def test_data_has_the_required_keys_and_no_unknown_ones(data: dict[str, Any]) -> None:
    assert set(data) >= DATA_REQUIRED, DATA_REQUIRED - set(data)
    assert set(data) <= DATA_ALLOWED, set(data) - DATA_ALLOWED


def test_field_types_enums_and_formats(data: dict[str, Any]) -> None:
    for key, allowed in ENUMS.items():
        if key in data:
            assert data[key] in allowed, (key, data[key])
    for key in ("name", "dockerRepository", "dockerImageTag", "license", "githubIssueLabel"):
        assert isinstance(data[key], str) and data[key], key
    assert str(uuid.UUID(data["definitionId"])) == data["definitionId"]
    url = urlparse(data["documentationUrl"])
    assert url.scheme == "https" and url.netloc
    if "releaseDate" in data:
        assert isinstance(data["releaseDate"], str), "quote releaseDate: the schema wants a string"
        date.fromisoformat(data["releaseDate"])
    assert isinstance(data.get("maxSecondsBetweenMessages", 0), int)
    assert all(isinstance(tag, str) for tag in data.get("tags", []))
    assert {"language:python", "cdk:python"} <= set(data["tags"])
    assert all(isinstance(host, str) for host in data["allowedHosts"]["hosts"])


def test_nested_objects_are_closed(data: dict[str, Any]) -> None:
    assert set(data["connectorBuildOptions"]) <= {"baseImage"}
    releases = data.get("releases", {})
    assert set(releases) <= {"rolloutConfiguration", "breakingChanges", "migrationDocumentationUrl"}
    assert set(releases.get("rolloutConfiguration", {})) <= {
        "enableProgressiveRollout",
        "initialPercentage",
        "maxPercentage",
        "advanceDelayMinutes",
    }
    for version, change in releases.get("breakingChanges", {}).items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version)
        assert {"upgradeDeadline", "message"} <= set(change)
        assert set(change) <= {
            "upgradeDeadline",
            "message",
            "deadlineAction",
            "migrationDocumentationUrl",
            "scopedImpact",
        }
    overrides = data.get("registryOverrides", {})
    assert set(overrides) <= {"oss", "cloud"}
    assert all(isinstance(registry["enabled"], bool) for registry in overrides.values())
    for suite in data.get("connectorTestSuitesOptions", []):
        assert set(suite) <= {"suite", "testSecrets", "testConnections", "scenarios"}
        assert suite["suite"] in TEST_SUITES


def test_image_tag_is_the_package_version(data: dict[str, Any]) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert data["dockerImageTag"] == project["version"]
    assert data["dockerRepository"] == f"airbyte/{project['name']}"
    assert data["githubIssueLabel"] == project["name"]
    # The template Dockerfile and ours run the console script named like the connector.
    assert project["scripts"][project["name"]] == "source_tiktok_ads.run:run"


def test_changelog_and_releases_agree(data: dict[str, Any]) -> None:
    rows = _changelog()
    assert rows, "docs/changelog.md has a changelog table"
    assert rows[0][0] == data["dockerImageTag"], "the newest changelog row is the current version"
    assert rows[-1][1] == data["releaseDate"], "releaseDate is the first version's date"
    versions = {version for version, _ in rows}
    for version in data.get("releases", {}).get("breakingChanges", {}):
        assert version in versions, f"breaking change {version} has no changelog row"


def test_base_image_is_pinned_and_is_the_dockerfiles_default(data: dict[str, Any]) -> None:
    base = data["connectorBuildOptions"]["baseImage"]
    assert BASE_IMAGE.match(base), base
    default = re.search(r"^ARG BASE_IMAGE=(\S+)$", _dockerfile(), flags=re.MULTILINE)
    assert default and default.group(1) == base


def test_dockerfile_runs_the_connector_as_airbyte() -> None:
    dockerfile = _dockerfile()
    final_stage = dockerfile.split("\nFROM ${BASE_IMAGE}\n", 1)[1]
    assert re.search(r"^USER airbyte$", final_stage, flags=re.MULTILINE)
    assert re.search(r'^ENTRYPOINT \["source-tiktok-ads"\]$', final_stage, flags=re.MULTILINE)
    assert re.search(r'^ENV AIRBYTE_ENTRYPOINT="source-tiktok-ads"$', final_stage, flags=re.MULTILINE)
    assert "uv.lock" in dockerfile and "--frozen" in dockerfile, "the image installs from the lock file"


def test_the_cdk_reads_it(data: dict[str, Any]) -> None:
    parsed = MetadataFile.from_file(METADATA_PATH)
    assert parsed.data.language == ConnectorLanguage.PYTHON
    assert parsed.data.connectorBuildOptions is not None
    assert parsed.data.connectorBuildOptions.baseImage == data["connectorBuildOptions"]["baseImage"]
