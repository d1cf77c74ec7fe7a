"""The connector, run as a process, against responses other projects recorded from TikTok (served by
`replay_server` from `../shared/real_shapes/fixtures/`): every row once, ids as strings, metrics typed,
TikTok's "-" as null, timestamps as the README says."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from harness import ConnectorRun, configured_catalog, discovered_catalog, emulator_config, run_connector
from replay_server import (
    EXTRACTOR_ADVERTISER,
    KEBOOLA_ADVERTISER,
    UNIT_ADVERTISER,
    ReplayServer,
    available,
)

from source_tiktok_ads.reports.catalog import METRICS, ValueType
from source_tiktok_ads.reports.definitions import BUILTIN_REPORTS

pytestmark = pytest.mark.skipif(
    not available(),
    reason="../shared/real_shapes/fixtures/ (recorded TikTok responses, reference data kept outside the "
    "repository) is not next to this clone",
)

REPORTS = {definition.name: definition for definition in BUILTIN_REPORTS}
RECORDED_ADVERTISERS = ["7001035076276387841", "7001040009704833026", "7002238017842757633"]
UNIVERSES = {
    "unit": (
        [UNIT_ADVERTISER],
        "2024-01-01",
        "2024-01-01",
        [
            "ads_reports_hourly",
            "ad_groups_reports_hourly",
            "campaigns_reports_hourly",
            "advertisers_reports_hourly",
            "advertisers_audience_reports_lifetime",
            "creative_assets_music",
            "creative_assets_portfolios",
            "advertisers",
        ],
    ),
    "recorded": (
        RECORDED_ADVERTISERS,
        "2021-10-01",
        "2021-10-31",
        [
            "advertisers",
            "advertiser_ids",
            "campaigns",
            "ad_groups",
            "ads",
            "campaigns_reports_daily",
            "advertisers_reports_daily",
            "ads_reports_daily",
            "ad_groups_reports_daily",
            "campaigns_reports_lifetime",
            "ads_reports_lifetime",
            "ad_groups_reports_lifetime",
            "advertisers_reports_lifetime",
            "ads_audience_reports_daily",
            "campaigns_audience_reports_by_country_daily",
            "advertisers_audience_reports_daily",
            "advertisers_audience_reports_lifetime",
            "ad_group_audience_reports_daily",
        ],
    ),
    "other": (
        [EXTRACTOR_ADVERTISER, KEBOOLA_ADVERTISER],
        "2020-10-16",
        "2022-11-30",
        ["ads_reports_daily", "campaigns_reports_daily"],
    ),
}
ENTITY_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
LOCAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:00:00$")
TYPES = {
    ValueType.MONEY: float,
    ValueType.RATE: float,
    ValueType.DECIMAL: float,
    ValueType.COUNT: int,
    ValueType.STRING: str,
    ValueType.ID: str,
}


@pytest.fixture(scope="module")
def replay() -> Iterator[ReplayServer]:
    with ReplayServer() as server:
        yield server


@pytest.fixture(scope="module", params=sorted(UNIVERSES))
def universe(request: pytest.FixtureRequest, replay: ReplayServer) -> tuple[str, ConnectorRun]:
    advertisers, start, end, streams = UNIVERSES[request.param]
    # The recordings hold no account-level daily rows to tell the days with delivery from: every day is asked.
    config = emulator_config(
        replay.base_url,
        advertiser_ids=advertisers,
        start_date=start,
        end_date=end,
        skip_days_without_delivery=False,
    )
    catalog = discovered_catalog(config)
    return request.param, run_connector("read", config, configured_catalog(catalog, streams))


def report_key(name: str, advertiser_id: str) -> tuple[str, str, str, frozenset[str]]:
    definition = REPORTS[name]
    return (
        advertiser_id,
        definition.report_type.value,
        definition.data_level.value,
        frozenset(definition.dimensions),
    )


def test_the_read_completes_without_refused_requests(
    universe: tuple[str, ConnectorRun], replay: ReplayServer
) -> None:
    _, run = universe
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.errors() == []
    assert replay.refused == []
    assert "Traceback" not in run.stdout


def test_every_recorded_row_comes_out_once(universe: tuple[str, ConnectorRun], replay: ReplayServer) -> None:
    name, run = universe
    advertisers, _, _, streams = UNIVERSES[name]
    emitted = 0
    for stream in (stream for stream in streams if stream in REPORTS):
        records = run.records(stream)
        served = sum(replay.served[report_key(stream, advertiser)] for advertiser in advertisers)
        assert served, f"{stream}: the replay has rows for it"
        keys = [tuple(record.get(field) for field in REPORTS[stream].primary_key) for record in records]
        assert len(records) == served and len(set(keys)) == len(keys), stream
        emitted += len(records)
    assert emitted


def _ids(record: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for field, value in record.items():
        if field == "id" or field.endswith("_id"):
            yield field, value
        elif isinstance(value, dict) and field != "metrics":
            yield from _ids(value)


def test_ids_are_strings_and_metrics_typed(universe: tuple[str, ConnectorRun]) -> None:
    _, run = universe
    for stream, records in run.records_by_stream().items():
        for record in records:
            for field, value in _ids(record):
                assert value is None or isinstance(value, str), (stream, field, value)
            for metric, value in (record.get("metrics") or {}).items():
                expected = TYPES[METRICS[metric].value_type] if metric in METRICS else str
                assert value is None or isinstance(value, expected), (stream, metric, value)


def test_not_applicable_is_null_and_decimal_counts_are_integers(universe: tuple[str, ConnectorRun]) -> None:
    name, run = universe
    if name != "other":
        pytest.skip("the Keboola and v1.2 recordings are in the 'other' universe")
    (keboola,) = [
        r for r in run.records("campaigns_reports_daily") if r["advertiser_id"] == KEBOOLA_ADVERTISER
    ]
    for metric in ("secondary_goal_result", "cost_per_secondary_goal_result", "secondary_goal_result_rate"):
        assert keboola["metrics"][metric] is None  # TikTok's "-"
    assert keboola["metrics"]["conversion"] == 0 and keboola["metrics"]["spend"] == 40.18
    extractor = run.records("ads_reports_daily")
    assert sorted(record["metrics"]["clicks"] for record in extractor) == [116, 134]  # sent as "116.0"
    assert all(record["ad_id"] == "1678604629756978" for record in extractor)  # sent as a bare number


def test_timestamps_are_as_the_readme_says(universe: tuple[str, ConnectorRun]) -> None:
    _, run = universe
    for stream, records in run.records_by_stream().items():
        for record in records:
            for field in ("create_time", "modify_time"):
                if record.get(field) is not None and stream in (
                    "campaigns",
                    "ad_groups",
                    "ads",
                    "advertisers",
                ):
                    assert ENTITY_TIMESTAMP.match(record[field]), (stream, field, record[field])
            for field in ("stat_time_day", "stat_time_hour"):
                if field in record:
                    assert LOCAL_TIME.match(record[field]), (stream, field, record[field])
