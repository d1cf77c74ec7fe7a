"""Custom reports end to end: validated before any request, probed live by check, read like built-ins."""

from __future__ import annotations

from conftest import END_DATE, START_DATE
from harness import configured_catalog, emulator_config, run_connector
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
    discovered = run_connector("discover", config).catalog
    stream = next(s for s in discovered["streams"] if s["name"] == "ad_spend_by_country")
    assert stream["source_defined_primary_key"] == [["ad_id"], ["stat_time_day"], ["country_code"]]
    run = run_connector("read", config, configured_catalog(discovered, ["ad_spend_by_country"]))
    assert run.returncode == 0
    records = run.records("ad_spend_by_country")
    expected = [
        row
        for advertiser in dataset.advertisers
        for row in dataset.report_rows(
            "BASIC",
            "AUCTION_AD",
            ["ad_id", "stat_time_day", "country_code"],
            START_DATE,
            END_DATE,
            False,
            advertiser_id=advertiser["advertiser_id"],
            metrics=["spend"],
        )
    ]
    assert len(records) == len(expected) > 0
    assert set(records[0]["metrics"]) == {"spend", "impressions", "clicks", "campaign_id", "adgroup_name"}
    assert isinstance(records[0]["metrics"]["clicks"], int) and isinstance(
        records[0]["metrics"]["campaign_id"], str
    )
