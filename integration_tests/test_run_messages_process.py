"""What a run says, as Airbyte reads it from the process: the closing error of a failed read names each
failed stream with its own reason; saved states of every shape source-tiktok-marketing writes are read
(and said so), and one that cannot be read fails the read before any request."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from conftest import END, START_DATE
from harness import configured_catalog, discovered_catalog, emulator_config, run_connector
from tiktok_emulator import Dataset, Emulator, FaultPlan

pytestmark = pytest.mark.slow

CDK_FAILED_STREAMS = "During the sync, the following streams did not sync successfully: "


@pytest.fixture(scope="module")
def catalog(emulator: Emulator) -> dict[str, Any]:
    discovered = discovered_catalog(emulator_config(emulator.base_url, start_date=START_DATE))
    return configured_catalog(discovered, ["campaigns", "ads", "ad_groups", "ads_reports_daily"])


def stream_state(stream: str, blob: dict[str, Any]) -> dict[str, Any]:
    return {"type": "STREAM", "stream": {"stream_descriptor": {"name": stream}, "stream_state": blob}}


@pytest.fixture(scope="module")
def incremental(emulator: Emulator) -> dict[str, Any]:
    discovered = discovered_catalog(emulator_config(emulator.base_url, start_date=START_DATE))
    return configured_catalog(discovered, ["campaigns", "ads_reports_daily"], incremental=True)


def test_the_closing_error_names_each_failed_stream_with_its_own_reason(
    emulator: Emulator, dataset: Dataset, catalog: dict[str, Any]
) -> None:
    catalog = {
        "streams": [entry for entry in catalog["streams"] if entry["stream"]["name"] != "ads_reports_daily"]
    }
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


def test_states_in_source_tiktok_marketing_shapes_are_read_and_said_so(
    emulator: Emulator, dataset: Dataset, incremental: dict[str, Any]
) -> None:
    cursor_day = (END - timedelta(days=2)).isoformat()
    advertisers = sorted(advertiser["advertiser_id"] for advertiser in dataset.advertisers)
    state = [
        # The CDK's shape once a stream has many partitions: one cursor for every advertiser.
        stream_state(
            "ads_reports_daily",
            {"use_global_cursor": True, "state": {"stat_time_day": cursor_day}, "lookback_window": 12},
        ),
        # An older release's flat shape.
        stream_state("campaigns", {"modify_time": "2001-01-01 00:00:00"}),
    ]
    config = emulator_config(emulator.base_url, start_date=START_DATE, attribution_window=0)
    run = run_connector("read", config, incremental, state=state)
    assert run.returncode == 0, run.stdout[-2000:]
    logs = [message["log"]["message"] for message in run.of_type("LOG")]
    assert [
        line
        for line in logs
        if line.startswith("ads_reports_daily: saved state in source-tiktok-marketing's")
    ]
    assert [
        line for line in logs if line.startswith("campaigns: saved state in source-tiktok-marketing's flat")
    ]
    days = {record["stat_time_day"][:10] for record in run.records("ads_reports_daily")}
    assert days and min(days) >= cursor_day
    final = run.stream_states()["ads_reports_daily"]["stream"]["stream_state"]
    assert set(final) == {"states"}
    assert sorted(entry["partition"]["advertiser_id"] for entry in final["states"]) == advertisers
    assert run.records("campaigns")  # every campaign was modified after the flat cursor
    assert set(run.stream_states()["campaigns"]["stream"]["stream_state"]) == {"states"}


@pytest.mark.parametrize(
    ("blob", "named"),
    [
        (
            {"states": [{"partition": {"advertiser_id": "1"}, "cursor": {"stat_time_day": "not-a-date"}}]},
            '"not-a-date"',
        ),
        ({"use_global_cursor": True, "state": {"stat_time_day": "15/11/2026"}}, '"15/11/2026"'),
        ({"states": "all of them"}, '"all of them"'),
    ],
)
def test_a_state_that_cannot_be_read_fails_before_any_request_naming_the_stream_and_value(
    emulator: Emulator, incremental: dict[str, Any], blob: dict[str, Any], named: str
) -> None:
    emulator.reset_counters()
    run = run_connector(
        "read",
        emulator_config(emulator.base_url, start_date=START_DATE),
        incremental,
        state=[stream_state("ads_reports_daily", blob)],
    )
    assert run.returncode != 0
    assert emulator.request_count() == 0
    [error] = run.errors()
    assert error["failure_type"] == "config_error"
    assert error["message"].startswith("The saved state of stream ads_reports_daily cannot be read: ")
    assert named in error["message"]
    assert "Something went wrong" not in error["message"]
    assert not run.records()


def test_one_character_secrets_are_refused_and_every_line_stays_a_protocol_message(
    emulator: Emulator,
) -> None:
    config = emulator_config(emulator.base_url, start_date=START_DATE)
    config["credentials"] = {**config["credentials"], "secret": "e", "access_token": "t"}
    run = run_connector("check", config)
    lines = [line for line in run.stdout.splitlines() if line]
    assert lines and all(json.loads(line)["type"] for line in lines)
    assert run.connection_status["status"] == "FAILED"
    message = run.connection_status["message"]
    assert "'credentials.secret': 1 character(s) is too short" in message
    assert "'credentials.access_token': 1 character(s) is too short" in message
    assert "****" not in run.stdout
