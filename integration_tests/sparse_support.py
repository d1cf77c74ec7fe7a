"""What the sparse and dense account tests share: their accounts, streams, and a read that counts
TikTok's requests."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

from conftest import END, END_DATE
from harness import (
    ConnectorRun,
    canonical,
    configured_catalog,
    discovered_catalog,
    emulator_config,
    run_connector,
)
from tiktok_emulator import DatasetSpec, Emulator

from source_tiktok_ads.reports.definitions import BUILTIN_REPORTS

DAYS = 40
FIRST_DAY = (END - timedelta(days=DAYS - 1)).isoformat()
# Hourly, below advertiser level, broken down, and the advertiser-level daily report read whole.
STREAMS = [
    "advertisers_reports_hourly",
    "ads_reports_hourly",
    "ad_groups_reports_by_country_hourly",
    "campaigns_reports_daily",
    "ads_reports_daily",
    "ads_audience_reports_daily",
    "advertisers_audience_reports_daily",
    "advertisers_reports_daily",
]
DEFINITIONS = {definition.name: definition for definition in BUILTIN_REPORTS}
# Metrics that count delivery (the others are attributes: names, ids, budgets).
COUNTERS = (
    "spend",
    "impressions",
    "clicks",
    "conversion",
    "result",
    "real_time_conversion",
    "real_time_result",
)
# Fast enough for a test; the requests are what is counted.
FAST = {"requests_per_second": 1000, "requests_per_minute": 60000, "include_deleted": True}


def sparse_spec(**overrides) -> DatasetSpec:
    values = {
        "advertisers": 2,
        "campaigns_per_advertiser": 2,
        "adgroups_per_campaign": 2,
        "ads_per_adgroup": 2,
        "days": DAYS,
        "end_date": END,
        "seed": 5,
        "deleted_every": 3,
        "delivery_day_percent": 25,
        "late_conversion_every": 2,
        **overrides,
    }
    return DatasetSpec(**values)


def read(emulator: Emulator, streams: list[str], state: list | None = None, **config) -> ConnectorRun:
    settings = {**FAST, "end_date": END_DATE, **config}
    discovered = discovered_catalog(emulator_config(emulator.base_url, **settings))
    catalog = configured_catalog(discovered, streams, incremental=state is not None)
    emulator.reset_counters()
    run = run_connector("read", emulator_config(emulator.base_url, **settings), catalog, state=state)
    assert run.returncode == 0, run.stdout[-3000:]
    return run


def records_of(run: ConnectorRun) -> Counter[str]:
    return Counter(canonical(record) for record in run.records())


def assert_same(actual: Counter[str], expected: Counter[str]) -> None:
    """Equal as multisets; otherwise the failure names a few of the differences, not every record."""
    extra, missing = actual - expected, expected - actual
    assert not extra and not missing, (
        f"{sum(extra.values())} records too many, {sum(missing.values())} missing; "
        f"e.g. extra {list(extra)[:2]}, missing {list(missing)[:2]}"
    )


def number(value: object) -> float:
    """A metric's value as a number; 0 for attributes (names, ids, settings)."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0


def report_requests(emulator: Emulator) -> Counter[tuple]:
    """Report requests by stream shape (level, dimensions), the activity query included."""
    shapes: Counter[tuple] = Counter()
    for request in emulator.requests:
        if request.path == "report/integrated/get/":
            shapes[request.params["data_level"], *json.loads(request.params["dimensions"])] += 1
    return shapes


def shape_of(name: str) -> tuple:
    definition = DEFINITIONS[name]
    return (definition.data_level.value, *definition.dimensions)
