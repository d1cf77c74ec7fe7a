"""What a run says, as Airbyte reads it from the process: the closing error of a failed read names each
failed stream with its own reason."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import START_DATE
from harness import configured_catalog, emulator_config, run_connector
from tiktok_emulator import Dataset, Emulator, FaultPlan

pytestmark = pytest.mark.slow

CDK_FAILED_STREAMS = "During the sync, the following streams did not sync successfully: "


@pytest.fixture(scope="module")
def catalog(emulator: Emulator) -> dict[str, Any]:
    discovered = run_connector("discover", emulator_config(emulator.base_url, start_date=START_DATE)).catalog
    return configured_catalog(discovered, ["campaigns", "ads", "ad_groups"])


def test_the_closing_error_names_each_failed_stream_with_its_own_reason(
    emulator: Emulator, dataset: Dataset, catalog: dict[str, Any]
) -> None:
    denied = dataset.advertisers[1]["advertiser_id"]
    emulator.faults = FaultPlan(deny=frozenset({(denied, "ad/get/"), (denied, "adgroup/get/")}))
    try:
        run = run_connector("read", emulator_config(emulator.base_url, start_date=START_DATE), catalog)
    finally:
        emulator.faults = FaultPlan()
    assert run.returncode != 0
    *per_stream, closing = run.errors()
    assert {error["stream_descriptor"]["name"] for error in per_stream} == {"ads", "ad_groups"}
    assert closing["message"].startswith(CDK_FAILED_STREAMS)
    assert "AirbyteTracedException(" not in closing["message"]
    for error in per_stream:
        name = error["stream_descriptor"]["name"]
        assert f"{name}: {error['message']}" in closing["message"]
        assert denied in error["message"]
    logs = [message["log"]["message"] for message in run.of_type("LOG")]
    assert not [line for line in logs if line.startswith(CDK_FAILED_STREAMS)]
