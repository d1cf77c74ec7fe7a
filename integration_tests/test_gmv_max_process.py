"""GMV Max streams against the emulator: one store per request, `filtering` as an object, unique keys
with advertiser and store on every row, cost that reconciles between the account and campaign
levels, and a missing permission that fails only the GMV Max streams of that advertiser."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from conftest import END, END_DATE, START_DATE
from harness import configured_catalog, discovered_catalog, emulator_config, run_connector
from tiktok_emulator import Dataset, DatasetSpec, Emulator, FaultPlan, credentials

OBJECTS = ["gmv_max_stores", "gmv_max_campaigns"]
REPORTS = [
    "gmv_max_advertisers_reports_daily",
    "gmv_max_product_campaigns_reports_daily",
    "gmv_max_live_campaigns_reports_daily",
    "gmv_max_product_spus_reports_daily",
    "gmv_max_product_creatives_reports_daily",
]
KEYS = {
    "gmv_max_stores": ("advertiser_id", "store_id"),
    "gmv_max_campaigns": ("advertiser_id", "campaign_id"),
    "gmv_max_advertisers_reports_daily": ("advertiser_id", "store_id", "stat_time_day"),
    "gmv_max_product_campaigns_reports_daily": ("advertiser_id", "store_id", "campaign_id", "stat_time_day"),
    "gmv_max_live_campaigns_reports_daily": ("advertiser_id", "store_id", "campaign_id", "stat_time_day"),
    "gmv_max_product_spus_reports_daily": (
        "advertiser_id",
        "store_id",
        "campaign_id",
        "item_group_id",
        "stat_time_day",
    ),
    "gmv_max_product_creatives_reports_daily": (
        "advertiser_id",
        "store_id",
        "campaign_id",
        "item_group_id",
        "item_id",
        "stat_time_day",
    ),
}


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return Dataset.generate(
        DatasetSpec(
            advertisers=2,
            campaigns_per_advertiser=1,
            adgroups_per_campaign=1,
            ads_per_adgroup=1,
            days=10,
            end_date=END,
            seed=5,
            gmv_max_stores=2,
            upgraded_smart_plus_campaigns=1,
        )
    )


@pytest.fixture(scope="module")
def emulator(dataset: Dataset) -> Iterator[Emulator]:
    with Emulator(dataset) as running:
        yield running


@pytest.fixture(scope="module")
def discovered(emulator: Emulator) -> dict[str, Any]:
    return discovered_catalog(emulator_config(emulator.base_url))


def read(emulator: Emulator, discovered: dict[str, Any], streams: list[str]) -> Any:
    config = emulator_config(emulator.base_url, start_date=START_DATE, end_date=END_DATE)
    return run_connector("read", config, configured_catalog(discovered, streams))


def test_gmv_max_streams_key_rows_by_store_and_reconcile(
    emulator: Emulator, dataset: Dataset, discovered: dict[str, Any]
) -> None:
    emulator.reset_counters()
    run = read(emulator, discovered, OBJECTS + REPORTS)
    assert run.returncode == 0 and not run.errors(), run.stderr[-2000:]
    for name, key in KEYS.items():
        records = run.records(name)
        assert records, f"{name} has no records"
        assert all(record.get("advertiser_id") and record.get("store_id") for record in records), name
        counts = Counter(tuple(record[field] for field in key) for record in records)
        assert max(counts.values()) == 1, f"{name}: duplicate primary keys"
    # Both stores of each advertiser are listed, the inactive one too.
    assert len(run.records("gmv_max_stores")) == 2 * len(dataset.advertisers)
    campaigns = run.records("gmv_max_campaigns")
    assert {c["gmv_max_promotion_type"] for c in campaigns} == {"PRODUCT_GMV_MAX", "LIVE_GMV_MAX"}
    assert {c["store_id"] for c in campaigns} == {
        dataset.gmv_max.store_of[c["campaign_id"]] for c in campaigns
    }

    # The account level is the sum of Product and LIVE campaigns, per advertiser and day.
    def cost_by_day(names: list[str]) -> dict[tuple[str, str], float]:
        totals: dict[tuple[str, str], float] = defaultdict(float)
        for name in names:
            for record in run.records(name):
                totals[(record["advertiser_id"], record["stat_time_day"])] += record["metrics"]["cost"]
        return {key: round(value, 2) for key, value in totals.items()}

    account = cost_by_day(["gmv_max_advertisers_reports_daily"])
    assert account and account == cost_by_day(REPORTS[1:3])
    # Product campaigns, their SPUs and their creatives split the same cost.
    product = cost_by_day(["gmv_max_product_campaigns_reports_daily"])
    assert product == cost_by_day(["gmv_max_product_spus_reports_daily"])
    assert product == cost_by_day(["gmv_max_product_creatives_reports_daily"])
    creatives = run.records("gmv_max_product_creatives_reports_daily")
    assert any(r["item_id"] == "-1" for r in creatives) and all(r["metrics"]["cost"] > 0 for r in creatives)
    assert all(isinstance(r["metrics"]["orders"], int) for r in run.records(REPORTS[0]))

    reports = [r for r in emulator.requests if r.path == "gmv_max/report/get/"]
    assert reports and all(len(json.loads(r.params["store_ids"])) == 1 for r in reports)
    filters = [json.loads(r.params["filtering"]) for r in reports if "filtering" in r.params]
    assert filters and all(isinstance(f, dict) for f in filters)
    assert {tuple(f["gmv_max_promotion_types"]) for f in filters if "gmv_max_promotion_types" in f} == {
        ("PRODUCT",),
        ("LIVE",),
    }
    # Below campaign level, each request names the parent ids TikTok requires.
    creative_requests = [r for r in reports if "item_id" in r.params["dimensions"]]
    assert creative_requests and all(
        {"campaign_ids", "item_group_ids"} <= set(json.loads(r.params["filtering"]))
        for r in creative_requests
    )


def test_missing_gmv_max_or_smart_plus_permission_fails_only_those_streams_of_that_advertiser(
    emulator: Emulator, dataset: Dataset, discovered: dict[str, Any]
) -> None:
    first, second = (a["advertiser_id"] for a in dataset.advertisers)
    denied = {
        (first, "gmv_max/store/list/"),
        (second, "gmv_max/report/get/"),
        (second, "smart_plus/ad/get/"),
    }
    emulator.faults = FaultPlan(deny=frozenset(denied))
    try:
        run = read(
            emulator, discovered, ["gmv_max_stores", REPORTS[0], "smart_plus_ads", "smart_plus_campaigns"]
        )
    finally:
        emulator.faults = FaultPlan()
    messages = " | ".join(error["message"] for error in run.errors())
    for scope, advertiser_id in (
        ("Ads Management > GMV MAX > Store Management", first),
        ("Reporting > GMV MAX Report", second),
        ("Ads Management > Ad > Read Ads", second),
    ):
        assert scope in messages and advertiser_id in messages, scope
    # Each stream loses exactly the advertisers denied what it needs; the others are read in full.
    expected = {
        "gmv_max_stores": {second},
        REPORTS[0]: set(),
        "smart_plus_ads": {first},
        "smart_plus_campaigns": {first, second},
    }
    for name, advertisers in expected.items():
        assert {record["advertiser_id"] for record in run.records(name)} == advertisers, name


def test_gmv_max_custom_reports_are_probed_at_check_and_read_like_the_others(
    emulator: Emulator, dataset: Dataset
) -> None:
    good = {"name": "shop_creatives", "level": "PRODUCT_CREATIVE", "metrics": ["cost", "product_clicks"]}
    config = emulator_config(
        emulator.base_url, start_date=START_DATE, end_date=END_DATE, gmv_max_custom_reports=[good]
    )
    emulator.reset_counters()
    assert run_connector("check", config).connection_status["status"] == "SUCCEEDED"
    probes = [json.loads(r.params["filtering"]) for r in emulator.requests if r.path == "gmv_max/report/get/"]
    assert probes and {"campaign_ids", "item_group_ids"} <= set(probes[-1])
    # A name the catalog does not know passes validation with a warning; TikTok's refusal fails check.
    unknown = {"name": "shop_daily", "level": "PRODUCT_CAMPAIGN", "metrics": ["cost", "no_such_metric"]}
    refused = run_connector("check", {**config, "gmv_max_custom_reports": [unknown]}).connection_status
    assert refused["status"] == "FAILED" and "shop_daily" in refused["message"]
    assert "no_such_metric" in refused["message"]
    discovered = discovered_catalog(config)
    run = run_connector("read", config, configured_catalog(discovered, ["shop_creatives"]))
    assert run.returncode == 0 and not run.errors(), run.stderr[-2000:]
    records = run.records("shop_creatives")
    assert records and all(r["store_id"] and r["metrics"]["cost"] > 0 for r in records)


def test_emulator_gmv_max_reports_have_their_own_bucket_and_rules(
    emulator: Emulator, dataset: Dataset
) -> None:
    advertiser_id = dataset.advertisers[0]["advertiser_id"]
    store_id = dataset.gmv_max.store_ids(advertiser_id)[0]
    headers = {"Access-Token": credentials.ACCESS_TOKEN}

    def report(**params: Any) -> dict[str, Any]:
        base = {
            "advertiser_id": advertiser_id,
            "store_ids": json.dumps([store_id]),
            "start_date": START_DATE,
            "end_date": START_DATE,
            "dimensions": json.dumps(["campaign_id", "stat_time_day"]),
            "metrics": json.dumps(["cost"]),
            "filtering": json.dumps({"gmv_max_promotion_types": ["PRODUCT"]}),
        }
        url = emulator.base_url + "gmv_max/report/get/"
        return requests.get(url, params={**base, **params}, headers=headers, timeout=10).json()

    assert report()["code"] == 0
    # The listing spelling, a list-shaped filtering, BASIC names, two stores, a missing parent filter.
    assert report(filtering=json.dumps({"gmv_max_promotion_types": ["PRODUCT_GMV_MAX"]}))["code"] == 40002
    assert report(filtering=json.dumps([{"gmv_max_promotion_types": ["PRODUCT"]}]))["code"] == 40002
    assert report(metrics=json.dumps(["spend"]))["code"] == 40002
    assert report(store_ids=json.dumps([store_id, store_id]))["code"] == 40002
    assert report(dimensions=json.dumps(["campaign_id", "item_group_id"]), filtering="{}")["code"] == 40002
    emulator.faults = FaultPlan(gmv_max_qps_cap=2)
    try:
        codes = [report()["code"] for _ in range(6)]
        listing = requests.get(
            emulator.base_url + "gmv_max/store/list/",
            params={"advertiser_id": advertiser_id},
            headers=headers,
            timeout=10,
        ).json()
    finally:
        emulator.faults = FaultPlan()
    assert 40100 in codes and codes[:2] == [0, 0]
    assert listing["code"] == 0  # the other GMV Max endpoints use the global bucket only


def test_deleted_gmv_max_campaigns_are_asked_for_when_wanted(
    emulator: Emulator, dataset: Dataset, discovered: dict[str, Any]
) -> None:
    config = emulator_config(emulator.base_url, include_deleted=True)
    emulator.reset_counters()
    run = run_connector("read", config, configured_catalog(discovered, ["gmv_max_campaigns"]))
    assert run.returncode == 0 and not run.errors(), run.stderr[-2000:]
    statuses = [
        json.loads(r.params["filtering"]).get("primary_status")
        for r in emulator.requests
        if r.path == "gmv_max/campaign/get/"
    ]
    assert statuses.count("STATUS_DELETE") == statuses.count(None) > 0
    ids = [record["campaign_id"] for record in run.records("gmv_max_campaigns")]
    assert len(ids) == len(set(ids)) == sum(len(c) for c in dataset.gmv_max.campaigns.values())
