"""Builds the connector image with a Docker engine and runs `spec`, `check` and a small `read` in it.

Only where an engine answers: CI has none (the `docker` CLI exists but no daemon), so there
scripts/image_test.sh does the same with buildah, and this test skips saying so.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from acceptance_env import CONNECTOR_ROOT, SAMPLE_CONFIG, emulator, read_json

docker = pytest.importorskip("docker")

IMAGE_TAG = "airbyte/source-tiktok-ads:dev"
READ_STREAMS = ("advertisers", "campaigns", "ads_reports_daily")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client() -> Any:
    try:
        engine = docker.from_env(timeout=10)
        engine.ping()
    except Exception as error:  # the SDK raises several types for "no engine"; any of them means skip
        pytest.skip(
            f"no Docker engine reachable ({type(error).__name__}); in CI scripts/image_test.sh builds and "
            "runs this Dockerfile with buildah instead (spec, check and read against the emulator)"
        )
    return engine


@pytest.fixture(scope="module")
def image(client: Any) -> str:
    client.images.build(path=str(CONNECTOR_ROOT), dockerfile="Dockerfile", tag=IMAGE_TAG, rm=True)
    return IMAGE_TAG


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    # Port 0: the container shares the host network, so any free port on the loopback will do.
    with emulator(port=0) as running:
        yield running.base_url


def _run(
    client: Any, image: str, command: list[str], files: dict[str, Any], tmp_path: Path
) -> list[dict[str, Any]]:
    for name, content in files.items():
        (tmp_path / name).write_text(json.dumps(content))
        (tmp_path / name).chmod(0o644)
    tmp_path.chmod(0o755)
    output = client.containers.run(
        image,
        command,
        network_mode="host",
        volumes={str(tmp_path): {"bind": "/secrets", "mode": "ro"}},
        remove=True,
        stdout=True,
        stderr=False,
    )
    messages = []
    for line in output.decode().splitlines():
        try:
            messages.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return messages


def test_image_runs_as_airbyte_with_the_connector_entrypoint(client: Any, image: str) -> None:
    config = client.images.get(image).attrs["Config"]
    assert config["User"] == "airbyte"
    assert config["Entrypoint"] == ["source-tiktok-ads"]
    assert "AIRBYTE_ENTRYPOINT=source-tiktok-ads" in config["Env"]


def test_image_spec_check_and_read(client: Any, image: str, base_url: str, tmp_path: Path) -> None:
    spec = _run(client, image, ["spec"], {}, tmp_path)
    assert len([message for message in spec if message["type"] == "SPEC"]) == 1

    config = {**read_json(SAMPLE_CONFIG), "base_url": base_url}
    check = _run(
        client, image, ["check", "--config", "/secrets/config.json"], {"config.json": config}, tmp_path
    )
    statuses = [
        message["connectionStatus"]["status"] for message in check if message["type"] == "CONNECTION_STATUS"
    ]
    assert statuses == ["SUCCEEDED"]

    discover = _run(client, image, ["discover", "--config", "/secrets/config.json"], {}, tmp_path)
    streams = {
        stream["name"]: stream
        for stream in next(m for m in discover if m["type"] == "CATALOG")["catalog"]["streams"]
    }
    catalog = {
        "streams": [
            {"stream": streams[name], "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}
            for name in READ_STREAMS
        ]
    }
    read = _run(
        client,
        image,
        ["read", "--config", "/secrets/config.json", "--catalog", "/secrets/catalog.json"],
        {"catalog.json": catalog},
        tmp_path,
    )
    read_streams = {message["record"]["stream"] for message in read if message["type"] == "RECORD"}
    assert read_streams == set(READ_STREAMS)
