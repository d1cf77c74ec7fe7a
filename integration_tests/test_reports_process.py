"""Report streams, run as a process against the emulator: exact rows, numbers that reconcile, windows."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest
from conftest import END_DATE, START_DATE
from harness import configured_catalog, discovered_catalog, emulator_config, run_connector
from tiktok_emulator import Dataset, DatasetSpec, Emulator, FaultPlan

from source_tiktok_ads.reports.definitions import BUILTIN_REPORTS

REPORTS = {definition.name: definition for definition in BUILTIN_REPORTS}


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    end = date.fromisoformat(END_DATE)
    return Dataset.generate(
        DatasetSpec(
            advertisers=2,
            campaigns_per_advertiser=2,
            adgroups_per_campaign=2,
            ads_per_adgroup=2,
            days=10,
            end_date=end,
            seed=11,
        )
    )


def config_for(emulator: Emulator, **overrides) -> dict:
    return emulator_config(emulator.base_url, **{"start_date": START_DATE, "end_date": END_DATE, **overrides})


def expected_rows(dataset: Dataset, name: str, include_deleted: bool = False) -> list[dict]:
    definition = REPORTS[name]
    lifetime = definition.uses_query_lifetime
    rows = []
    for advertiser in dataset.advertisers:
        rows += dataset.report_rows(
            definition.report_type.value,
            definition.data_level.value,
            list(definition.dimensions),
            None if lifetime else START_DATE,
            None if lifetime else END_DATE,
            include_deleted,
            lifetime=lifetime,
            advertiser_id=advertiser["advertiser_id"],
            metrics=["spend", "impressions"],
        )
    return rows


def key_of(dimensions: dict, names: tuple[str, ...]) -> tuple:
    return tuple(dimensions[name] for name in names)


@pytest.fixture(scope="module")
def full_read(emulator: Emulator):
    discovered = discovered_catalog(config_for(emulator))
    catalog = configured_catalog(discovered, list(REPORTS))
    run = run_connector("read", config_for(emulator), catalog)
    assert run.returncode == 0, run.stdout[-3000:]
    return run


def test_every_report_stream_returns_exactly_the_rows_tiktok_has(full_read, dataset: Dataset) -> None:
    by_stream = full_read.records_by_stream()
    for name, definition in REPORTS.items():
        expected = expected_rows(dataset, name)
        records = by_stream.get(name, [])
        actual_keys = [key_of(record, definition.dimensions) for record in records]
        assert max(Counter(actual_keys).values(), default=1) == 1, f"duplicate rows in {name}"
        assert sorted(actual_keys) == sorted(
            key_of(row["dimensions"], definition.dimensions) for row in expected
        ), name
        expected_spend = {
            key_of(row["dimensions"], definition.dimensions): float(row["metrics"]["spend"])
            for row in expected
        }
        for record in records:
            assert record["metrics"]["spend"] == pytest.approx(
                expected_spend[key_of(record, definition.dimensions)]
            ), name
            assert isinstance(record["metrics"]["impressions"], int)


def test_spend_reconciles_across_levels_like_ads_manager(full_read) -> None:
    by_stream = full_read.records_by_stream()
    totals = {
        name: round(sum(record["metrics"]["spend"] for record in by_stream[name]), 2)
        for name in (
            "advertisers_reports_daily",
            "campaigns_reports_daily",
            "ad_groups_reports_daily",
            "ads_reports_daily",
            "ads_reports_hourly",
        )
    }
    # Deleted objects' spend is left out below advertiser level unless include_deleted is on.
    assert totals["ads_reports_daily"] == totals["ads_reports_hourly"]
    assert (
        totals["ads_reports_daily"]
        <= totals["ad_groups_reports_daily"]
        <= totals["campaigns_reports_daily"]
        <= totals["advertisers_reports_daily"]
    )
    per_day = defaultdict(float)
    for record in by_stream["ads_reports_hourly"]:
        per_day[(record["ad_id"], record["stat_time_hour"][:10])] += record["metrics"]["spend"]
    for record in by_stream["ads_reports_daily"]:
        assert per_day[(record["ad_id"], record["stat_time_day"][:10])] == pytest.approx(
            record["metrics"]["spend"]
        )


def test_include_deleted_brings_back_deleted_spend(emulator: Emulator, full_read, dataset: Dataset) -> None:
    names = [
        "advertisers_reports_daily",
        "ads_reports_daily",
        "ads_audience_reports_daily",
        "ads_reports_lifetime",
    ]
    discovered = discovered_catalog(config_for(emulator))
    run = run_connector(
        "read", config_for(emulator, include_deleted=True), configured_catalog(discovered, names)
    )
    assert run.returncode == 0
    records = run.records_by_stream()
    for name in names[1:]:
        assert (
            len(records[name])
            == len(expected_rows(dataset, name, include_deleted=True))
            > len(full_read.records(name))
        )
    total = {name: round(sum(r["metrics"]["spend"] for r in records[name]), 2) for name in names[:2]}
    assert total["ads_reports_daily"] == total["advertisers_reports_daily"]


def test_requests_respect_span_rules_and_are_minimal(emulator: Emulator) -> None:
    emulator.reset_counters()
    discovered = discovered_catalog(config_for(emulator))
    names = ["ads_reports_daily", "ads_reports_hourly", "ads_reports_lifetime"]
    run = run_connector(
        "read", config_for(emulator, advertiser_ids=[]), configured_catalog(discovered, names)
    )
    assert run.returncode == 0
    requests = [request for request in emulator.requests if request.path == "report/integrated/get/"]
    reports = [request for request in requests if request.params["data_level"] == "AUCTION_AD"]
    # 10 days: one daily window, ten hourly days, one lifetime query per advertiser (2 advertisers); every
    # day delivers, so none is skipped.
    assert len(reports) == 2 * (1 + 10 + 1)
    # Which days delivered: the account's days and the campaigns' late conversions, per advertiser.
    assert len(requests) - len(reports) == 2 * 2
    for request in reports:
        assert "filters" not in request.params and request.params["page_size"] == "1000"


def test_query_too_large_windows_are_split_without_losing_rows(emulator: Emulator, dataset: Dataset) -> None:
    discovered = discovered_catalog(config_for(emulator))
    emulator.faults = FaultPlan(query_too_large_rows=20)
    try:
        run = run_connector(
            "read", config_for(emulator), configured_catalog(discovered, ["ads_reports_daily"])
        )
    finally:
        emulator.faults = FaultPlan()
    assert run.returncode == 0, run.stdout[-2000:]
    assert len(run.records("ads_reports_daily")) == len(expected_rows(dataset, "ads_reports_daily"))


def test_incremental_rereads_only_the_attribution_window(emulator: Emulator, dataset: Dataset) -> None:
    discovered = discovered_catalog(config_for(emulator))
    catalog = configured_catalog(discovered, ["ads_reports_daily", "ads_reports_hourly"], incremental=True)
    first = run_connector("read", config_for(emulator, attribution_window=2), catalog)
    assert first.returncode == 0
    states = first.stream_states()
    daily_state = states["ads_reports_daily"]["stream"]["stream_state"]["states"]
    assert {entry["cursor"]["stat_time_day"] for entry in daily_state} == {END_DATE}
    emulator.reset_counters()
    second = run_connector(
        "read", config_for(emulator, attribution_window=2), catalog, state=list(states.values())
    )
    assert second.returncode == 0
    resume_from = (date.fromisoformat(END_DATE) - timedelta(days=2)).isoformat()
    assert {record["stat_time_day"][:10] for record in second.records("ads_reports_daily")} <= {
        (date.fromisoformat(resume_from) + timedelta(days=n)).isoformat() for n in range(3)
    }
    assert (
        min(record["stat_time_hour"] for record in second.records("ads_reports_hourly"))[:10] >= resume_from
    )
    # 2 advertisers x (1 daily window + 3 hourly days).
    assert emulator.request_count("report/integrated/get/") == 2 * (1 + 3)
