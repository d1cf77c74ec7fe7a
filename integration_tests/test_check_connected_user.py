"""`check` names the TikTok user who authorized the token, and never fails because TikTok will not say."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import START_DATE
from harness import ConnectorRun, emulator_config, run_connector
from tiktok_emulator import Dataset, Emulator, FaultPlan, credentials
from tiktok_emulator.oauth import AUTHORIZED_USER

CONNECTED_AS = f"Connected as {AUTHORIZED_USER['display_name']} <{AUTHORIZED_USER['email']}>."
NOT_SAID = "TikTok did not say which user authorized this token (user/info/"


def log_lines(run: ConnectorRun) -> list[str]:
    return [message["log"]["message"] for message in run.of_type("LOG")]


@pytest.fixture
def faults_restored(emulator: Emulator) -> Iterator[Emulator]:
    yield emulator
    emulator.faults = FaultPlan()


def test_check_names_the_user_then_the_advertisers(emulator: Emulator, dataset: Dataset) -> None:
    run = run_connector("check", emulator_config(emulator.base_url, start_date=START_DATE))
    assert run.connection_status == {"status": "SUCCEEDED"}
    lines = log_lines(run)
    user_line = lines.index(CONNECTED_AS)
    (advertisers_line,) = [i for i, line in enumerate(lines) if line.startswith("Connected to ")]
    assert user_line < advertisers_line
    for advertiser in dataset.advertisers:
        assert advertiser["name"] in lines[advertisers_line]


@pytest.mark.parametrize(
    "refusal",
    [
        FaultPlan(only_paths=frozenset({"user/info/"}), code_every=1, code=40001),
        FaultPlan(only_paths=frozenset({"user/info/"}), http_error_every=1, http_error_status=503),
    ],
    ids=["permission-denied", "endpoint-down"],
)
def test_check_succeeds_when_tiktok_refuses_to_name_the_user(
    faults_restored: Emulator, dataset: Dataset, refusal: FaultPlan
) -> None:
    faults_restored.faults = refusal
    faults_restored.reset_counters()
    run = run_connector("check", emulator_config(faults_restored.base_url, start_date=START_DATE))
    assert run.connection_status == {"status": "SUCCEEDED"}
    lines = log_lines(run)
    assert any(line.startswith(NOT_SAID) for line in lines)
    assert not any(line.startswith("Connected as ") for line in lines)
    assert any(dataset.advertisers[0]["name"] in line for line in lines)
    assert credentials.ACCESS_TOKEN not in run.stdout + run.stderr
    # One attempt only: a name is not worth making the user wait out retries.
    assert faults_restored.request_count("user/info/") == 1
    if refusal.code_every:
        assert [m for m in run.of_type("LOG") if m["log"]["level"] == "ERROR"] == []


def test_sandbox_check_succeeds_without_the_user(dataset: Dataset) -> None:
    advertiser_id = dataset.advertisers[0]["advertiser_id"]
    with Emulator(dataset, sandbox=True) as sandbox:
        config = emulator_config(sandbox.base_url, start_date=START_DATE)
        config["credentials"] = {
            "auth_type": "sandbox_access_token",
            "advertiser_id": advertiser_id,
            "access_token": credentials.ACCESS_TOKEN,
        }
        run = run_connector("check", config)
    assert run.connection_status == {"status": "SUCCEEDED"}
    assert any(line.startswith(NOT_SAID) for line in log_lines(run))
