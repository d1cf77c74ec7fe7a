"""What a run logs about the answers it handles, as Airbyte reads it from the process: one line per
answer at the level it deserves, no airbyte-cdk request dump or traceback for an answer the connector
resolved, every error naming its endpoint, network advice fitting the URL; and the config mistakes a
new user makes, named with their fix."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest
from conftest import START_DATE
from harness import ConnectorRun, configured_catalog, discovered_catalog, emulator_config, run_connector
from network_faults import closed_port
from tiktok_emulator import Dataset, Emulator, FaultPlan, credentials

pytestmark = pytest.mark.slow

# airbyte-cdk's dump of a failed request (HttpClient._handle_error_resolution).
CDK_REQUEST_DUMP = re.compile(r"'[A-Z]+' request to '.*' failed with (status code|exception)")
CDK_NOISE = ("Traceback", "Retries exhausted", "Max retry limit reached", "handled by the stream")
STREAM_FAILED = "Encountered an exception while reading stream "


def logs(run: ConnectorRun, *levels: str) -> list[str]:
    return [
        message["log"]["message"]
        for message in run.of_type("LOG")
        if not levels or message["log"]["level"] in levels
    ]


def assert_no_cdk_noise(run: ConnectorRun) -> None:
    for line in logs(run):
        assert not CDK_REQUEST_DUMP.search(line), line
        assert not any(noise in line for noise in CDK_NOISE), line


@pytest.fixture(scope="module")
def discovered(emulator: Emulator) -> dict[str, Any]:
    return discovered_catalog(emulator_config(emulator.base_url, start_date=START_DATE))


def test_answers_that_fail_streams_are_one_line_each_naming_their_endpoint(
    emulator: Emulator, dataset: Dataset, discovered: dict[str, Any]
) -> None:
    denied = dataset.advertisers[1]["advertiser_id"]
    emulator.faults = FaultPlan(
        deny=frozenset({(denied, "adgroup/get/")}),  # 40001, HTTP 200: the stream reads on, then fails
        code_every=1,
        code=40105,  # HTTP 200 with a code the client fails at once
        only_paths=frozenset({"ad/get/"}),
        not_found_paths=frozenset({"campaign/get/"}),  # HTTP 404
    )
    catalog = configured_catalog(discovered, ["campaigns", "ad_groups", "ads"])
    try:
        run = run_connector("read", emulator_config(emulator.base_url, start_date=START_DATE), catalog)
    finally:
        emulator.faults = FaultPlan()
    assert run.returncode != 0
    assert_no_cdk_noise(run)
    errors = {error["stream_descriptor"]["name"]: error["message"] for error in run.errors()[:-1]}
    assert set(errors) == {"campaigns", "ad_groups", "ads"}
    assert errors["ads"].startswith("TikTok rejected the access token on ad/get/ (TikTok code 40105")
    assert errors["campaigns"].startswith("campaign/get/: HTTP Status Code: 404.")
    assert f"TikTok denied adgroup/get/ for advertiser {denied}" in errors["ad_groups"]
    # Each failed stream: one error line, its own error's sentence; the refused slice: one warning.
    error_lines = logs(run, "ERROR", "FATAL")
    assert sorted(error_lines) == sorted(f"{STREAM_FAILED}{name}: {errors[name]}" for name in errors)
    refusals = [line for line in logs(run, "WARN") if "TikTok denied adgroup/get/" in line]
    assert len(refusals) == 1 and denied in refusals[0]


def test_a_retried_server_error_is_one_line_naming_its_endpoint_and_a_rounded_wait(
    emulator: Emulator, discovered: dict[str, Any]
) -> None:
    emulator.faults = FaultPlan(http_error_every=2, only_paths=frozenset({"ad/get/"}))
    try:
        run = run_connector(
            "read",
            emulator_config(emulator.base_url, start_date=START_DATE),
            configured_catalog(discovered, ["ads"]),
        )
    finally:
        emulator.faults = FaultPlan()
    assert run.returncode == 0, run.stdout[-2000:]
    assert_no_cdk_noise(run)
    retries = [line for line in logs(run) if "HTTP Status Code: 500" in line]
    assert retries, logs(run)
    for line in retries:
        assert re.fullmatch(
            r"ad/get/: HTTP Status Code: 500\. Error: Internal server error\. Retrying in \d+\.\d s\.", line
        ), line
    assert logs(run, "ERROR", "FATAL", "WARN") == []


def test_check_on_an_unreachable_plain_http_host_is_one_error_line_with_fitting_advice() -> None:
    port = closed_port()
    run = run_connector("check", emulator_config(f"http://127.0.0.1:{port}", start_date=START_DATE))
    assert run.returncode == 0
    status = run.connection_status
    assert status["status"] == "FAILED"
    message = status["message"]
    assert "Cannot reach 127.0.0.1: the connection was refused." in message
    assert f"outbound HTTP (port {port}) to this host" in message and "443" not in message
    assert_no_cdk_noise(run)
    assert logs(run, "ERROR", "FATAL") == [f"Check failed: {message}"]


def test_a_token_only_config_says_what_was_inferred_and_what_to_add(emulator: Emulator) -> None:
    config = emulator_config(emulator.base_url, start_date=START_DATE)
    config["credentials"] = {"access_token": credentials.ACCESS_TOKEN}
    run = run_connector("discover", config)
    assert run.returncode == 1
    [error] = run.errors()
    assert error["failure_type"] == "config_error"
    assert "'credentials.advertiser_id': Field required." in error["message"]
    assert 'taken as a sandbox token (auth_type "sandbox_access_token")' in error["message"]
    assert 'add auth_type "oauth2.0", app_id and secret' in error["message"]


@pytest.mark.parametrize("field", ["start_date", "end_date"])
def test_a_date_in_another_form_names_yyyy_mm_dd(emulator: Emulator, field: str) -> None:
    config = emulator_config(emulator.base_url, start_date=START_DATE)
    config[field] = "15/11/2026"
    run = run_connector("discover", config)
    assert run.returncode == 1
    [error] = run.errors()
    assert error["message"] == (
        f"Invalid configuration. '{field}': \"15/11/2026\" is not a date; write it as YYYY-MM-DD, "
        "e.g. 2026-11-15."
    )


def test_a_source_tiktok_marketing_config_with_its_legacy_keys_is_checked(emulator: Emulator) -> None:
    config = emulator_config(
        emulator.base_url,
        start_date=START_DATE,
        concurrency_level=3,
        report_granularity="DAY",
        environment="prod",
    )
    # The spec the process gives is what Airbyte validates the config against before running it.
    spec = run_connector("spec").of_type("SPEC")[0]["spec"]["connectionSpecification"]
    jsonschema.Draft7Validator(spec).validate(config)
    run = run_connector("check", config)
    assert run.connection_status["status"] == "SUCCEEDED", run.connection_status


def test_a_check_that_meets_a_refusal_logs_it_once_without_the_http_clients_line(
    emulator: Emulator, dataset: Dataset
) -> None:
    denied = dataset.advertisers[0]["advertiser_id"]
    emulator.faults = FaultPlan(deny=frozenset({(denied, "advertiser/info/")}))
    try:
        run = run_connector("check", emulator_config(emulator.base_url, start_date=START_DATE))
    finally:
        emulator.faults = FaultPlan()
    assert_no_cdk_noise(run)
    mentions = [line for line in logs(run) if denied in line]
    assert mentions, logs(run)
    assert "advertiser/info/" in " ".join(mentions) + run.connection_status.get("message", "")
