"""The installed connector, run as a process the way Airbyte runs it, against the emulator."""

from __future__ import annotations

from collections import Counter

import pytest
from conftest import START_DATE
from harness import configured_catalog, discovered_catalog, emulator_config, run_connector
from tiktok_emulator import Dataset, Emulator, credentials

from source_tiktok_ads.config import connection_specification

ENTITY_STREAMS = {
    "campaigns": ("campaign", "campaign_id"),
    "ad_groups": ("adgroup", "adgroup_id"),
    "ads": ("ad", "ad_id"),
}
SECRETS = (credentials.ACCESS_TOKEN, credentials.APP_SECRET)


def assert_clean_output(run) -> None:
    """No secret, and no Python traceback where Airbyte reads messages."""
    for secret in SECRETS:
        assert secret not in run.stdout and secret not in run.stderr
    assert "Traceback" not in run.stdout


def config_for(emulator: Emulator, **overrides) -> dict:
    return emulator_config(emulator.base_url, **{"start_date": START_DATE, **overrides})


def test_spec_prints_the_generated_model() -> None:
    run = run_connector("spec")
    assert run.returncode == 0
    spec = run.of_type("SPEC")[0]["spec"]
    assert spec["connectionSpecification"] == connection_specification()
    assert spec["supportsIncremental"] is True


def test_check_succeeds_and_names_the_advertisers(emulator: Emulator, dataset: Dataset) -> None:
    run = run_connector("check", config_for(emulator))
    assert run.connection_status == {"status": "SUCCEEDED"}
    logs = " ".join(message["log"]["message"] for message in run.of_type("LOG"))
    for advertiser in dataset.advertisers:
        assert advertiser["advertiser_id"] in logs and advertiser["name"] in logs
    assert_clean_output(run)


@pytest.mark.parametrize(
    ("credential_overrides", "config_overrides", "expected"),
    [
        ({"access_token": credentials.REVOKED_TOKEN}, {}, ["rejected the access token", "Re-authorize"]),
        ({"secret": "not-the-app-secret"}, {}, ["credentials.app_id", "credentials.secret"]),
        (
            {"access_token": credentials.NO_ADVERTISERS_TOKEN},
            {},
            ["reaches no advertiser", "Authorize the app"],
        ),
        (
            {"access_token": credentials.LIMITED_TOKEN},
            {"advertiser_ids": ["second"]},
            ["cannot access advertiser", "Manage Permissions"],
        ),
        ({"access_token": ""}, {}, ["credentials.access_token"]),
        ({}, {"start_date": "2026-02-30"}, ["start_date"]),
    ],
)
def test_check_failures_are_distinct_and_actionable(
    emulator: Emulator,
    dataset: Dataset,
    credential_overrides: dict,
    config_overrides: dict,
    expected: list[str],
) -> None:
    config = config_for(emulator, **config_overrides)
    if config_overrides.get("advertiser_ids") == ["second"]:
        config["advertiser_ids"] = [dataset.advertisers[1]["advertiser_id"]]
    config["credentials"].update(credential_overrides)
    run = run_connector("check", config)
    status = run.connection_status
    assert status["status"] == "FAILED"
    for fragment in expected:
        assert fragment in status["message"]
    if "advertiser_ids" in config_overrides:
        assert dataset.advertisers[1]["advertiser_id"] in status["message"]
    assert run.returncode == 0
    assert_clean_output(run)


def test_discover_lists_every_stream_with_keys(emulator: Emulator) -> None:
    run = run_connector("discover", config_for(emulator))
    streams = {stream["name"]: stream for stream in run.catalog["streams"]}
    assert {"advertisers", "advertiser_ids", "campaigns", "ad_groups", "ads"} <= set(streams)
    assert streams["campaigns"]["source_defined_primary_key"] == [["campaign_id"]]
    assert streams["ads"]["default_cursor_field"] == ["modify_time"]
    assert "incremental" in streams["ads"]["supported_sync_modes"]
    assert streams["advertisers"]["supported_sync_modes"] == ["full_refresh"]
    assert emulator.request_count() >= 0
    assert_clean_output(run)


def entity_catalog(emulator: Emulator, incremental: bool = False) -> dict:
    discovered = discovered_catalog(config_for(emulator))
    return configured_catalog(
        discovered, ["advertisers", "campaigns", "ad_groups", "ads"], incremental=incremental
    )


@pytest.mark.parametrize("include_deleted", [False, True])
def test_full_refresh_reads_every_entity_exactly_once(
    emulator: Emulator, dataset: Dataset, include_deleted: bool
) -> None:
    run = run_connector(
        "read", config_for(emulator, include_deleted=include_deleted), entity_catalog(emulator)
    )
    assert run.returncode == 0, run.stdout[-3000:]
    by_stream = run.records_by_stream()
    assert sorted(record["advertiser_id"] for record in by_stream["advertisers"]) == sorted(
        advertiser["advertiser_id"] for advertiser in dataset.advertisers
    )
    for stream, (kind, id_field) in ENTITY_STREAMS.items():
        expected = sorted(
            entity[id_field]
            for advertiser in dataset.advertisers
            for buying_types in (None, ["RESERVATION_TOP_VIEW"])
            for entity in dataset.entities(
                kind, advertiser["advertiser_id"], include_deleted, buying_types=buying_types
            )
        )
        actual = [record[id_field] for record in by_stream[stream]]
        assert sorted(actual) == expected, stream
        assert max(Counter(actual).values()) == 1, f"duplicates in {stream}"
    assert_clean_output(run)


def test_incremental_entities_resume_from_state(emulator: Emulator, dataset: Dataset) -> None:
    catalog = entity_catalog(emulator, incremental=True)
    first = run_connector("read", config_for(emulator), catalog)
    assert first.returncode == 0
    states = first.stream_states()
    ads_state = states["ads"]["stream"]["stream_state"]
    assert {entry["partition"]["advertiser_id"] for entry in ads_state["states"]} == {
        advertiser["advertiser_id"] for advertiser in dataset.advertisers
    }
    second = run_connector("read", config_for(emulator), catalog, state=list(states.values()))
    assert second.returncode == 0
    # Nothing changed in between: only the objects modified at the saved cursor itself come back.
    for stream in ENTITY_STREAMS:
        cursors = {
            entry["partition"]["advertiser_id"]: entry["cursor"]["modify_time"]
            for entry in states[stream]["stream"]["stream_state"]["states"]
        }
        for record in second.records(stream):
            assert (record.get("modify_time") or record.get("create_time")) >= cursors[
                record["advertiser_id"]
            ]
        assert len(second.records(stream)) < len(first.records(stream))
