"""acceptance-test-config.yml is valid for both of its readers, and its input files match the emulator.

CAT's rules are restated here from its config model (connector_acceptance_test/config.py) and its
`high` strictness checks, because CAT itself cannot be installed and run without Docker. The standard
tests' rules are the CDK's own code (`entry_key_problems`, `get_scenarios`).
"""

from __future__ import annotations

import importlib
from typing import Any

import yaml
from acceptance_env import (
    ACCEPTANCE_TEST_CONFIG,
    CAT_BASE_URL,
    CAT_ONLY_KEYS,
    CONNECTOR_ROOT,
    END_DATE,
    INVALID_CONFIG,
    SAMPLE_CONFIG,
    START_DATE,
    load_acceptance_test_config,
    read_json,
    standard_tests_view,
)
from acceptance_session import CONFIG_DIR
from airbyte_cdk.test.models.scenario import SCENARIO_SECTIONS, entry_key_problems
from tiktok_emulator import credentials

# CAT's config model: top-level fields, sections, and the fields each section's entries accept.
CAT_TOP_LEVEL = {
    "connector_image",
    "acceptance_tests",
    "base_path",
    "test_strictness_level",
    "custom_environment_variables",
}
_COMMON = {"config_path", "timeout_seconds", "deployment_mode"}
CAT_SECTION_KEYS = {
    "spec": _COMMON | {"spec_path", "backward_compatibility_tests_config", "auth_default_method"},
    "connection": _COMMON | {"status"},
    "discovery": _COMMON | {"backward_compatibility_tests_config", "validate_primary_keys_data_type"},
    "basic_read": _COMMON
    | {
        "configured_catalog_path",
        "empty_streams",
        "expect_records",
        "validate_schema",
        "validate_stream_statuses",
        "validate_state_messages",
        "validate_primary_keys_data_type",
        "fail_on_extra_columns",
        "validate_data_points",
        "expect_trace_message_on_failure",
        "file_types",
        "client_container_config",
    },
    "full_refresh": _COMMON | {"configured_catalog_path", "ignored_fields", "client_container_config"},
    "incremental": _COMMON
    | {
        "configured_catalog_path",
        "future_state",
        "skip_comprehensive_incremental_tests",
        "client_container_config",
    },
    "connector_attributes": {
        "timeout_seconds",
        "config_path",
        "streams_without_primary_key",
        "allowed_hosts",
        "suggested_streams",
    },
    "connector_documentation": {"timeout_seconds", "config_path"},
}
# At `high` strictness CAT fails unless each of these suites has tests (or a section-wide bypass_reason).
CAT_HIGH_MANDATORY = ("spec", "connection", "discovery", "basic_read", "full_refresh", "incremental")


def _entries(config: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (section, entry)
        for section, body in config["acceptance_tests"].items()
        for entry in (body or {}).get("tests") or []
    ]


def _paths(entry: dict[str, Any]) -> list[str]:
    found = [entry[key] for key in ("config_path", "configured_catalog_path", "spec_path") if key in entry]
    found += [entry["expect_records"]["path"]] if "path" in entry.get("expect_records", {}) else []
    found += [entry["future_state"]["future_state_path"]] if "future_state" in entry else []
    return found


def test_config_follows_cat_model_and_high_strictness() -> None:
    config = load_acceptance_test_config()
    metadata = yaml.safe_load((CONNECTOR_ROOT / "metadata.yaml").read_text())["data"]

    assert set(config) <= CAT_TOP_LEVEL
    assert config["connector_image"] == f"{metadata['dockerRepository']}:dev"
    assert config["test_strictness_level"] == "high"
    assert set(config["acceptance_tests"]) <= set(CAT_SECTION_KEYS)
    for section in CAT_HIGH_MANDATORY:
        body = config["acceptance_tests"].get(section) or {}
        assert body.get("tests") or body.get("bypass_reason"), f"`high` needs the {section} suite"
        assert not (body.get("tests") and body.get("bypass_reason")), (
            "CAT forbids tests and bypass_reason together"
        )

    for section, entry in _entries(config):
        unknown = set(entry) - CAT_SECTION_KEYS[section]
        assert not unknown, f"CAT does not know {unknown} in {section}"
        for relative in _paths(entry):
            assert (CONNECTOR_ROOT / relative).is_file(), f"{section}: {relative} does not exist"

    statuses = {entry.get("status", "succeed") for _, entry in _entries(config) if _ == "connection"}
    assert statuses == {"succeed", "failed"}, "a good and a bad config"
    for entry in config["acceptance_tests"]["basic_read"]["tests"]:
        assert set(entry["expect_records"]) <= {"path", "bypass_reason", "exact_order"}
        assert entry["expect_records"].get("path"), "`high` needs expected records in basic_read"
        assert "configured_catalog_path" not in entry, "`high` reads every discovered stream in basic_read"
        assert entry.get("validate_schema", True), "`high` forbids validate_schema: false"
        assert all(stream.get("bypass_reason") for stream in entry.get("empty_streams") or [])
    for entry in config["acceptance_tests"]["incremental"]["tests"]:
        assert entry["future_state"].get("future_state_path"), "`high` needs a future state"


def test_standard_tests_reject_only_the_cat_only_keys_and_accept_the_rest() -> None:
    config = load_acceptance_test_config()
    raw = [
        problem
        for section, entry in _entries(config)
        if section in SCENARIO_SECTIONS
        for problem in entry_key_problems(entry, (section,))
    ]
    stripped = {key for keys in CAT_ONLY_KEYS.values() for key in keys}
    # Exactly the keys the adapter removes are what the CDK objects to in the raw file...
    assert raw and all(any(f"`{key}`" in problem for key in stripped) for problem in raw), raw
    # ...and its view of the file passes the CDK's own check.
    view = standard_tests_view(config)
    assert [
        problem
        for section, entry in _entries(view)
        if section in SCENARIO_SECTIONS
        for problem in entry_key_problems(entry, (section,))
    ] == []
    # Nothing else differs between what CAT and the standard tests read.
    for section, keys in CAT_ONLY_KEYS.items():
        for entry in config["acceptance_tests"][section]["tests"]:
            for key in keys:
                entry.pop(key, None)
    assert config == view

    suite = importlib.import_module("test_airbyte_standards").TestAirbyteStandards
    scenarios = {scenario.id: scenario for scenario in suite.get_scenarios()}
    assert set(scenarios) == {"sample_config", "invalid_config"}
    assert set(scenarios["sample_config"].sections) == {
        "spec",
        "connection",
        "discovery",
        "basic_read",
        "full_refresh",
    }
    assert scenarios["invalid_config"].status == "failed"
    # They read this session's copies, which point at an emulator on a free port, not the committed files.
    assert {scenario.config_path.parent for scenario in scenarios.values()} == {CONFIG_DIR}


def test_configs_point_at_the_pinned_emulator() -> None:
    # The committed address is CAT's, run by hand (`acceptance_env.py serve`); tests read rewritten copies.
    good, bad = read_json(SAMPLE_CONFIG), read_json(INVALID_CONFIG)
    for config in (good, bad):
        assert config["base_url"] == CAT_BASE_URL
        assert (config["start_date"], config["end_date"]) == (START_DATE.isoformat(), END_DATE.isoformat())
        assert config["credentials"]["app_id"] == credentials.APP_ID
        assert config["credentials"]["secret"] == credentials.APP_SECRET
    assert good["credentials"]["access_token"] == credentials.ACCESS_TOKEN
    assert bad["credentials"]["access_token"] == credentials.REVOKED_TOKEN
    assert ACCEPTANCE_TEST_CONFIG.is_file()
