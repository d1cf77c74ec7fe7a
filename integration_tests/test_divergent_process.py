"""The whole catalog against a TikTok that differs from the connector's catalog (the emulator's
`divergent` profile): the read completes, and the metrics TikTok refused are named."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import END_DATE, START_DATE
from harness import ConnectorRun, configured_catalog, discovered_catalog, emulator_config, run_connector
from tiktok_emulator import Dataset, Emulator
from tiktok_emulator.divergent import EXTRA_METRIC, REFUSED_METRICS

ID_FIELDS = {
    "advertisers": ["advertiser_id"],
    "advertiser_ids": ["advertiser_id"],
    "campaigns": ["advertiser_id", "campaign_id"],
    "ad_groups": ["advertiser_id", "campaign_id", "adgroup_id"],
    "ads": ["advertiser_id", "campaign_id", "adgroup_id", "ad_id"],
}
CUSTOM = {
    "name": "custom_campaigns_daily",
    "data_level": "AUCTION_CAMPAIGN",
    "dimensions": ["campaign_id"],
    "metrics": ["spend", "clicks", "gross_impressions", "billed_cost"],
}


@pytest.fixture(scope="module")
def divergent(dataset: Dataset) -> Iterator[Emulator]:
    with Emulator(dataset, profile="divergent") as running:
        yield running


def config_for(emulator: Emulator, **overrides) -> dict:
    return emulator_config(
        emulator.base_url, start_date=START_DATE, end_date=END_DATE, custom_reports=[CUSTOM], **overrides
    )


@pytest.fixture(scope="module")
def full_read(divergent: Emulator) -> ConnectorRun:
    config = config_for(divergent)
    catalog = discovered_catalog(config)
    return run_connector("read", config, configured_catalog(catalog))


def warnings_of(run: ConnectorRun) -> list[str]:
    return [message["log"]["message"] for message in run.of_type("LOG") if message["log"]["level"] == "WARN"]


def test_the_whole_catalog_reads_to_the_end(full_read: ConnectorRun) -> None:
    assert full_read.returncode == 0, full_read.stderr[-2000:]
    assert full_read.errors() == []
    by_stream = full_read.records_by_stream()
    for stream in (
        "campaigns_reports_daily",
        "ads_reports_hourly",
        "advertisers_reports_daily",
        CUSTOM["name"],
    ):
        assert by_stream.get(stream), stream
    assert "Traceback" not in full_read.stdout


def test_every_refused_metric_is_named_with_tiktoks_reason_and_summarised(full_read: ConnectorRun) -> None:
    warnings = warnings_of(full_read)
    summary = [message for message in warnings if message.startswith("Metrics TikTok refused")]
    assert len(summary) == 1
    for name in REFUSED_METRICS:
        assert name in summary[0], name
    # One warning per stream and advertiser: this TikTok refuses them for every advertiser.
    per_stream = [message for message in warnings if message.startswith("ads_reports_daily: TikTok refused")]
    advertisers = {message.split(" for advertiser ")[1].split(" ")[0] for message in per_stream}
    assert len(per_stream) == len(advertisers) >= 2
    for warning in per_stream:
        assert "billed_cost" in warning and "is not supported when data_level is AUCTION_AD" in warning
        assert "Invalid metric field(s): engaged_view, engaged_view_15s." in warning
    assert any(message.startswith(f"{CUSTOM['name']}: TikTok refused metric(s)") for message in warnings)


def test_refused_metrics_are_null_and_the_others_typed(full_read: ConnectorRun) -> None:
    for record in full_read.records("ads_reports_daily") + full_read.records(CUSTOM["name"]):
        metrics = record["metrics"]
        assert all(metrics.get(name) is None for name in REFUSED_METRICS)
        assert isinstance(metrics["spend"], float) and isinstance(metrics["clicks"], int)
        # A metric nobody asked for, sent anyway, passes through untouched.
        assert metrics.get(EXTRA_METRIC[0]) in (None, EXTRA_METRIC[1])


def test_ids_sent_as_numbers_come_out_as_strings(full_read: ConnectorRun) -> None:
    for stream, fields in ID_FIELDS.items():
        records = full_read.records(stream)
        assert records, stream
        for record in records:
            for field in fields:
                assert isinstance(record[field], str) and record[field].isdigit(), (
                    stream,
                    field,
                    record[field],
                )


def test_check_still_fails_for_a_custom_metric_tiktok_refuses(divergent: Emulator) -> None:
    run = run_connector("check", config_for(divergent))
    status = run.connection_status
    assert status["status"] == "FAILED"
    assert f"Custom report '{CUSTOM['name']}' was refused by TikTok" in status["message"]
    assert "gross_impressions" in status["message"]


def test_a_row_without_its_id_fails_only_after_the_other_rows(dataset: Dataset) -> None:
    with Emulator(dataset, profile="divergent", keyless_rows=True) as keyless:
        config = emulator_config(keyless.base_url, start_date=END_DATE, end_date=END_DATE)
        catalog = discovered_catalog(config)
        run = run_connector("read", config, configured_catalog(catalog, ["campaigns_reports_daily"]))
    assert run.records("campaigns_reports_daily"), "the window's other rows are emitted"
    messages = [error["message"] for error in run.errors()]
    [left] = [m for m in messages if m.startswith("Stream campaigns_reports_daily left ")]
    assert "TikTok returned 1 row(s) without campaign_id" in left
    # This TikTok drops the id of one row in every answer: every advertiser's window is named.
    assert all(f"advertiser {a['advertiser_id']} (window {END_DATE})" in left for a in dataset.advertisers)
    assert "Traceback" not in run.stdout


def test_instant_page_events_of_an_undocumented_objective_are_read(full_read: ConnectorRun) -> None:
    objectives = {record["objective_type"] for record in full_read.records("pixel_instant_page_events")}
    assert "TRAFFIC" in objectives and "CONVERSIONS" in objectives
