"""Custom reports end to end: validated before any request, probed live by check, read like built-ins."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from conftest import END_DATE, START_DATE
from harness import ConnectorRun, configured_catalog, discovered_catalog, emulator_config, run_connector
from tiktok_emulator import Dataset, Emulator

SPEND_BY_COUNTRY = {
    "name": "ad_spend_by_country",
    "report_type": "BASIC",
    "data_level": "AUCTION_AD",
    "dimensions": ["ad_id", "country_code"],
    "time_granularity": "DAY",
    "metrics": ["spend", "impressions", "clicks", "campaign_id", "adgroup_name"],
}


def config_for(emulator: Emulator, *reports: dict) -> dict:
    return emulator_config(
        emulator.base_url, start_date=START_DATE, end_date=END_DATE, custom_reports=list(reports)
    )


def test_check_probes_each_custom_report_once(emulator: Emulator) -> None:
    emulator.reset_counters()
    run = run_connector("check", config_for(emulator, SPEND_BY_COUNTRY))
    assert run.connection_status == {"status": "SUCCEEDED"}
    probes = [r for r in emulator.requests if r.path == "report/integrated/get/"]
    assert len(probes) == 1
    assert (
        probes[0].params["page_size"] == "1"
        and probes[0].params["start_date"] == probes[0].params["end_date"]
    )


def test_check_reports_what_tiktok_refuses_for_a_report_the_catalog_cannot_judge(emulator: Emulator) -> None:
    unknown_metric = {**SPEND_BY_COUNTRY, "name": "with_new_metric", "metrics": ["spend", "brand_new_metric"]}
    run = run_connector("check", config_for(emulator, unknown_metric))
    status = run.connection_status
    assert status["status"] == "FAILED"
    assert "Custom report 'with_new_metric' was refused by TikTok" in status["message"]
    assert "brand_new_metric" in status["message"]


def test_check_refuses_an_invalid_report_before_any_request(emulator: Emulator) -> None:
    emulator.reset_counters()
    invalid = {**SPEND_BY_COUNTRY, "dimensions": ["ad_id", "campaign_id"]}
    run = run_connector("check", config_for(emulator, invalid))
    status = run.connection_status
    assert status["status"] == "FAILED"
    assert "dimension 'campaign_id' cannot be used at data_level AUCTION_AD" in status["message"]
    assert emulator.request_count() == 0


def test_custom_report_is_discovered_and_read(emulator: Emulator, dataset: Dataset) -> None:
    config = config_for(emulator, SPEND_BY_COUNTRY)
    discovered = discovered_catalog(config)
    stream = next(s for s in discovered["streams"] if s["name"] == "ad_spend_by_country")
    assert stream["source_defined_primary_key"] == [["ad_id"], ["stat_time_day"], ["country_code"]]
    run = run_connector("read", config, configured_catalog(discovered, ["ad_spend_by_country"]))
    assert run.returncode == 0
    records = run.records("ad_spend_by_country")
    expected = ground_truth(dataset, SPEND_BY_COUNTRY, ["spend"])
    assert len(records) == len(expected) > 0
    assert set(records[0]["metrics"]) == {"spend", "impressions", "clicks", "campaign_id", "adgroup_name"}
    assert isinstance(records[0]["metrics"]["clicks"], int) and isinstance(
        records[0]["metrics"]["campaign_id"], str
    )


# --- the three worked examples of the README, read against the emulator's ground truth -----------------

PAGE_EVENTS_DAILY = {
    "name": "ad_page_events_daily",
    "report_type": "BASIC",
    "data_level": "AUCTION_AD",
    "dimensions": ["ad_id"],
    "time_granularity": "DAY",
    "metrics": [
        "spend",
        "clicks",
        "total_pageview",
        "complete_payment",
        "value_per_complete_payment",
        "onsite_shopping",
        "adgroup_id",
        "ad_name",
    ],
}
AUDIENCE_BY_AGE_GENDER = {
    "name": "campaign_age_gender_daily",
    "report_type": "AUDIENCE",
    "data_level": "AUCTION_CAMPAIGN",
    "dimensions": ["campaign_id", "gender", "age"],
    "time_granularity": "DAY",
    "metrics": ["spend", "impressions", "clicks", "ctr", "campaign_name"],
}
LIFETIME_TOTALS = {
    "name": "adgroup_lifetime_totals",
    "report_type": "BASIC",
    "data_level": "AUCTION_ADGROUP",
    "dimensions": ["adgroup_id"],
    "time_granularity": "LIFETIME",
    "metrics": ["spend", "impressions", "reach", "frequency", "conversion", "campaign_id"],
}
EXAMPLES = (PAGE_EVENTS_DAILY, AUDIENCE_BY_AGE_GENDER, LIFETIME_TOTALS)
ATTRIBUTION_WINDOW = 2
ID_DIMENSION = {
    "AUCTION_ADVERTISER": "advertiser_id",
    "AUCTION_CAMPAIGN": "campaign_id",
    "AUCTION_ADGROUP": "adgroup_id",
    "AUCTION_AD": "ad_id",
}
TIME_DIMENSION = {"DAY": ["stat_time_day"], "HOUR": ["stat_time_hour"], "LIFETIME": []}


def key_names(report: dict[str, Any]) -> list[str]:
    """The primary key the connector must declare: ID dimension, time dimension, then the breakdowns."""
    id_dimension = ID_DIMENSION[report["data_level"]]
    breakdowns = [name for name in report["dimensions"] if name != id_dimension]
    return [id_dimension, *TIME_DIMENSION[report["time_granularity"]], *breakdowns]


def ground_truth(dataset: Dataset, report: dict[str, Any], metrics: list[str]) -> list[dict[str, Any]]:
    """Every row TikTok holds for the report, per advertiser as the connector asks. Below advertiser
    level TikTok reports TopView delivery only when asked for it by buying type, so both are summed."""
    lifetime = report["time_granularity"] == "LIFETIME" and report["report_type"] == "BASIC"
    start, end = (None, None) if lifetime else (START_DATE, END_DATE)
    top_view_too = report["data_level"] != "AUCTION_ADVERTISER"
    rows = []
    for advertiser in dataset.advertisers:
        for top_view in (False, True) if top_view_too else (False,):
            rows += dataset.report_rows(
                report["report_type"],
                report["data_level"],
                key_names(report),
                start,
                end,
                False,
                lifetime=lifetime,
                advertiser_id=advertiser["advertiser_id"],
                top_view=top_view,
                metrics=metrics,
            )
    return rows


@pytest.fixture(scope="module")
def examples_read(emulator: Emulator) -> tuple[dict[str, Any], ConnectorRun]:
    """One discover and one incremental read of the three examples, shared by the tests below."""
    config = config_for(emulator, *EXAMPLES) | {"attribution_window": ATTRIBUTION_WINDOW}
    discovered = discovered_catalog(config)
    names = [report["name"] for report in EXAMPLES]
    run = run_connector("read", config, configured_catalog(discovered, names, incremental=True))
    assert run.returncode == 0, run.stdout[-3000:]
    return discovered, run


@pytest.mark.parametrize(
    ("report", "compared"),
    [
        pytest.param(report, compared, id=report["name"])
        for report, compared in (
            (PAGE_EVENTS_DAILY, ["spend", "total_pageview", "complete_payment", "adgroup_id"]),
            (AUDIENCE_BY_AGE_GENDER, ["spend", "clicks", "campaign_name"]),
            (LIFETIME_TOTALS, ["spend", "reach", "campaign_id"]),
        )
    ],
)
def test_custom_report_records_equal_the_ground_truth(
    examples_read, dataset: Dataset, report: dict[str, Any], compared: list[str]
) -> None:
    _, run = examples_read
    keys = key_names(report)
    records = run.records(report["name"])
    expected = {
        tuple(row["dimensions"][name] for name in keys): row["metrics"]
        for row in ground_truth(dataset, report, compared)
    }
    actual_keys = [tuple(record[name] for name in keys) for record in records]
    assert max(Counter(actual_keys).values(), default=1) == 1, "duplicate rows"
    assert sorted(actual_keys) == sorted(expected) and expected
    for record, key in zip(records, actual_keys, strict=True):
        assert set(record["metrics"]) == set(report["metrics"])
        for name in compared:
            truth, value = expected[key][name], record["metrics"][name]
            if isinstance(value, float):
                assert value == pytest.approx(float(truth)), (key, name)
            else:
                assert str(value) == str(truth), (key, name)


def test_discover_lists_custom_streams_with_their_generated_schemas(examples_read) -> None:
    discovered, _ = examples_read
    streams = {stream["name"]: stream for stream in discovered["streams"]}
    for report in EXAMPLES:
        stream = streams[report["name"]]
        assert stream["source_defined_primary_key"] == [[name] for name in key_names(report)]
        daily = report["time_granularity"] == "DAY"
        assert stream.get("default_cursor_field") == (["stat_time_day"] if daily else None)
        assert set(stream["supported_sync_modes"]) == (
            {"full_refresh", "incremental"} if daily else {"full_refresh"}
        )
        properties = stream["json_schema"]["properties"]
        assert set(key_names(report)) | {"advertiser_id", "dimensions", "metrics"} <= set(properties)
        assert list(properties["metrics"]["properties"]) == report["metrics"]
    # Metric types come from the catalog: counts are integers, money and rates numbers, names and ids strings.
    types = {
        name: schema["type"]
        for stream in (streams["ad_page_events_daily"], streams["adgroup_lifetime_totals"])
        for name, schema in stream["json_schema"]["properties"]["metrics"]["properties"].items()
    }
    assert types["total_pageview"] == types["complete_payment"] == types["reach"] == ["null", "integer"]
    assert types["spend"] == types["value_per_complete_payment"] == types["frequency"] == ["null", "number"]
    assert types["ad_name"] == types["adgroup_id"] == types["campaign_id"] == ["null", "string"]


def test_incremental_custom_report_rereads_only_the_look_back_window(
    examples_read, emulator: Emulator, dataset: Dataset
) -> None:
    discovered, first = examples_read
    name = PAGE_EVENTS_DAILY["name"]
    state = first.stream_states()[name]
    cursors = {entry["cursor"]["stat_time_day"] for entry in state["stream"]["stream_state"]["states"]}
    assert cursors == {END_DATE}
    config = config_for(emulator, *EXAMPLES) | {"attribution_window": ATTRIBUTION_WINDOW}
    emulator.reset_counters()
    second = run_connector(
        "read", config, configured_catalog(discovered, [name], incremental=True), state=[state]
    )
    assert second.returncode == 0, second.stdout[-3000:]
    resume_from = (date.fromisoformat(END_DATE) - timedelta(days=ATTRIBUTION_WINDOW)).isoformat()
    windows = {
        (request.params["start_date"], request.params["end_date"])
        for request in emulator.requests
        if request.path == "report/integrated/get/"
    }
    assert windows == {(resume_from, END_DATE)}
    records = second.records(name)
    assert {record["stat_time_day"][:10] for record in records} == {
        (date.fromisoformat(resume_from) + timedelta(days=n)).isoformat()
        for n in range(ATTRIBUTION_WINDOW + 1)
    }
    window_rows = [
        row
        for row in ground_truth(dataset, PAGE_EVENTS_DAILY, ["spend"])
        if row["dimensions"]["stat_time_day"][:10] >= resume_from
    ]
    assert len(records) == len(window_rows)


@pytest.mark.parametrize("command", ["check", "discover"])
def test_two_custom_reports_with_the_same_name_are_refused_before_any_request(
    emulator: Emulator, command: str
) -> None:
    twin = {**AUDIENCE_BY_AGE_GENDER, "name": PAGE_EVENTS_DAILY["name"].upper()}
    emulator.reset_counters()
    run = run_connector(command, config_for(emulator, PAGE_EVENTS_DAILY, twin))
    expected = "name 'ad_page_events_daily' is used by more than one custom report"
    if command == "check":
        status = run.connection_status
        assert status["status"] == "FAILED" and expected in status["message"]
    else:
        errors = run.errors()
        assert run.returncode != 0 and errors and errors[0]["failure_type"] == "config_error"
        assert expected in errors[0]["message"] and "Invalid custom_reports." in errors[0]["message"]
    assert emulator.request_count() == 0


def test_a_metric_the_catalog_advises_against_is_left_to_tiktoks_probe(emulator: Emulator) -> None:
    # The catalog believes event metrics start at ad group level: a warning, and TikTok's answer decides.
    advised = {
        "name": "campaign_purchases",
        "data_level": "AUCTION_CAMPAIGN",
        "dimensions": ["campaign_id"],
        "metrics": ["spend", "total_purchase"],
    }
    run = run_connector("check", config_for(emulator, advised))
    status = run.connection_status
    assert status["status"] == "FAILED"
    assert "Custom report 'campaign_purchases' was refused by TikTok" in status["message"]
    assert "total_purchase" in status["message"] and "Invalid metric fields" in status["message"]
    warnings = [m["log"]["message"] for m in run.of_type("LOG") if m["log"]["level"] == "WARN"]
    assert any("metric 'total_purchase'" in warning and "TikTok decides" in warning for warning in warnings)


def test_the_recorded_campaign_level_conversion_request_is_accepted(emulator: Emulator) -> None:
    recorded = {
        "name": "campaign_conversions",
        "data_level": "AUCTION_CAMPAIGN",
        "dimensions": ["campaign_id", "stat_time_day"],
        "metrics": ["spend", "conversion", "cost_per_conversion", "result", "secondary_goal_result"],
    }
    run = run_connector("check", config_for(emulator, recorded))
    assert run.connection_status == {"status": "SUCCEEDED"}
