"""Upgraded Smart+ streams against the emulator: the id relations between campaigns, ad groups, asset
groups and creatives hold, objects without `modify_time` are never lost, and an incremental sync
of asset groups asks TikTok for changes only, whichever way TikTok treats `modified_after` [?]."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from conftest import END, END_DATE, START_DATE
from harness import configured_catalog, discovered_catalog, emulator_config, run_connector
from tiktok_emulator import Dataset, DatasetSpec, Emulator, credentials

STREAMS = ["smart_plus_campaigns", "smart_plus_ad_groups", "smart_plus_ads", "ads"]
KEYS = {
    "smart_plus_campaigns": "campaign_id",
    "smart_plus_ad_groups": "adgroup_id",
    "smart_plus_ads": "smart_plus_ad_id",
    "ads": "ad_id",
}


def spec(keeps_missing: bool = False) -> DatasetSpec:
    return DatasetSpec(
        advertisers=2,
        campaigns_per_advertiser=1,
        adgroups_per_campaign=1,
        ads_per_adgroup=1,
        days=3,
        end_date=END,
        seed=11,
        upgraded_smart_plus_campaigns=2,
        smart_plus_missing_modify_every=3,
        modified_after_keeps_missing=keeps_missing,
    )


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return Dataset.generate(spec())


@pytest.fixture(scope="module")
def emulator(dataset: Dataset) -> Iterator[Emulator]:
    with Emulator(dataset) as running:
        yield running


_DISCOVERED: dict[str, Any] = {}


def read(emulator: Emulator, streams: list[str], incremental: bool = False, state: Any = None) -> Any:
    config = emulator_config(emulator.base_url, start_date=START_DATE, end_date=END_DATE)
    if not _DISCOVERED:  # the catalog does not depend on the data: discover once
        _DISCOVERED.update(discovered_catalog(config))
    catalog = configured_catalog(_DISCOVERED, streams, incremental=incremental)
    run = run_connector("read", config, catalog, state=state)
    assert run.returncode == 0 and not run.errors(), run.stderr[-2000:]
    return run


def test_smart_plus_ids_relate_and_no_object_is_dropped(emulator: Emulator, dataset: Dataset) -> None:
    emulator.reset_counters()
    run = read(emulator, STREAMS)
    records = {name: run.records(name) for name in STREAMS}
    for name, key in KEYS.items():
        counts = Counter((record["advertiser_id"], record[key]) for record in records[name])
        assert counts and max(counts.values()) == 1, f"{name}: duplicate keys"
    campaigns = {r["campaign_id"] for r in records["smart_plus_campaigns"]}
    groups = {r["adgroup_id"]: r["campaign_id"] for r in records["smart_plus_ad_groups"]}
    assets = {r["smart_plus_ad_id"]: r for r in records["smart_plus_ads"]}
    assert set(groups.values()) == campaigns
    assert {asset["adgroup_id"] for asset in assets.values()} == set(groups)
    # Every asset group is emitted, with or without modify_time.
    assert len(assets) == len(dataset.smart_plus_ads)
    assert any(asset.get("modify_time") is None for asset in assets.values())
    # The classic ads stream lists the creatives, each naming its asset group.
    creatives = [r for r in records["ads"] if r.get("smart_plus_ad_id")]
    assert {r["smart_plus_ad_id"] for r in creatives} == set(assets)
    assert all(assets[r["smart_plus_ad_id"]]["adgroup_id"] == r["adgroup_id"] for r in creatives)
    # Each endpoint is asked for at its own page-size limit.
    sizes = {
        (r.path, r.params.get("page_size")) for r in emulator.requests if r.path.startswith("smart_plus/")
    }
    assert sizes == {
        ("smart_plus/campaign/get/", "1000"),
        ("smart_plus/adgroup/get/", "1000"),
        ("smart_plus/ad/get/", "100"),
    }


@pytest.mark.parametrize("keeps_missing", [False, True])
def test_incremental_asset_groups_use_modified_after_and_keep_new_objects(keeps_missing: bool) -> None:
    dataset = Dataset.generate(spec(keeps_missing))
    with Emulator(dataset) as emulator:
        first = read(emulator, ["smart_plus_ads"], incremental=True)
        assert len(first.records("smart_plus_ads")) == len(dataset.smart_plus_ads)
        # A cursor at the creation of an object without modify_time: the next sync must bring it, and
        # every object created or modified since.
        unmodified = min(a["create_time"] for a in dataset.smart_plus_ads if "modify_time" not in a)
        cursor = unmodified.replace(" ", "T") + "Z"
        state = [
            {
                "type": "STREAM",
                "stream": {
                    "stream_descriptor": {"name": "smart_plus_ads"},
                    "stream_state": {
                        "states": [
                            {
                                "partition": {"advertiser_id": a["advertiser_id"]},
                                "cursor": {"modify_time": cursor},
                            }
                            for a in dataset.advertisers
                        ]
                    },
                },
            }
        ]
        emulator.reset_counters()
        second = read(emulator, ["smart_plus_ads"], incremental=True, state=state)
    expected = {
        asset["smart_plus_ad_id"]
        for asset in dataset.smart_plus_ads
        if (asset.get("modify_time") or asset["create_time"]).replace(" ", "T") + "Z" >= cursor
    }
    got = [record["smart_plus_ad_id"] for record in second.records("smart_plus_ads")]
    assert sorted(got) == sorted(expected) and len(got) == len(set(got))
    assert any(
        asset.get("modify_time") is None
        for asset in dataset.smart_plus_ads
        if asset["smart_plus_ad_id"] in expected
    )
    filters = [r.params.get("filtering", "") for r in emulator.requests if r.path == "smart_plus/ad/get/"]
    assert any("modified_after" in f for f in filters) and any(
        "creation_filter_start_time" in f for f in filters
    )


def test_creative_and_ad_grain_reports_split_the_same_spend(emulator: Emulator, dataset: Dataset) -> None:
    emulator.reset_counters()
    run = read(
        emulator,
        ["ads_reports_daily", "ads_v2_reports_daily", "smart_plus_ads", "smart_plus_material_reports_daily"],
    )

    def spend(name: str) -> dict[tuple[str, str], float]:
        totals: dict[tuple[str, str], float] = {}
        for record in run.records(name):
            key = (record["advertiser_id"], record["stat_time_day"])
            totals[key] = round(totals.get(key, 0.0) + record["metrics"]["spend"], 3)
        return totals

    assert spend("ads_reports_daily") and spend("ads_reports_daily") == spend("ads_v2_reports_daily")
    assets = {record["smart_plus_ad_id"] for record in run.records("smart_plus_ads")}
    manual = {ad["ad_id"] for ad in dataset.ads if "smart_plus_ad_id" not in ad}
    rows = run.records("ads_v2_reports_daily")
    assert {r["ad_id_v2"] for r in rows} <= assets | manual
    assert {r["metrics"]["campaign_automation_type"] for r in rows if r["ad_id_v2"] in assets} == {
        "UPGRADED_SMART_PLUS"
    }
    keys = Counter((r["advertiser_id"], r["ad_id_v2"], r["stat_time_day"]) for r in rows)
    assert max(keys.values()) == 1
    # An asset group's row is the sum of its creatives' rows.
    assert len(rows) < len(run.records("ads_reports_daily"))
    # ... and of its material rows, one per main material (a creative's video here).
    by_asset = {
        (r["ad_id_v2"], r["stat_time_day"]): r["metrics"]["spend"] for r in rows if r["ad_id_v2"] in assets
    }
    materials: dict[tuple[str, str], float] = {}
    for r in run.records("smart_plus_material_reports_daily"):
        key = (r["smart_plus_ad_id"], r["stat_time_day"])
        materials[key] = round(materials.get(key, 0.0) + r["metrics"]["spend"], 3)
    assert materials and materials == {key: round(value, 3) for key, value in by_asset.items()}
    material_keys = Counter(
        (r["advertiser_id"], r["smart_plus_ad_id"], r["main_material_id"], r["stat_time_day"])
        for r in run.records("smart_plus_material_reports_daily")
    )
    assert max(material_keys.values()) == 1
    sizes = {r.params.get("page_size") for r in emulator.requests if "material_report" in r.path}
    assert sizes == {"100"}


def test_emulator_refuses_ad_id_with_ad_id_v2(emulator: Emulator, dataset: Dataset) -> None:
    params = {
        "advertiser_id": dataset.advertisers[0]["advertiser_id"],
        "report_type": "BASIC",
        "data_level": "AUCTION_AD",
        "dimensions": json.dumps(["ad_id", "ad_id_v2", "stat_time_day"]),
        "metrics": json.dumps(["spend"]),
        "start_date": START_DATE,
        "end_date": START_DATE,
    }
    answer = requests.get(
        emulator.base_url + "report/integrated/get/",
        params=params,
        headers={"Access-Token": credentials.ACCESS_TOKEN},
        timeout=10,
    ).json()
    assert answer["code"] == 40002 and "ad_id_v2" in answer["message"]


def test_an_asset_group_modified_in_the_cursors_own_second_after_a_sync_comes_in_the_next() -> None:
    dataset = Dataset.generate(spec())
    with Emulator(dataset) as emulator:
        first = read(emulator, ["smart_plus_ads"], incremental=True)
        state = list(first.stream_states().values())
        cursors = {
            entry["partition"]["advertiser_id"]: entry["cursor"]["modify_time"]
            for entry in state[0]["stream"]["stream_state"]["states"]
        }
        # After the first sync read it, an asset group of the first advertiser is edited within the very
        # second its cursor stands at: TikTok counts whole seconds, so its modify_time equals the cursor.
        advertiser_id = dataset.advertisers[0]["advertiser_id"]
        cursor = cursors[advertiser_id]
        edited = next(
            asset
            for asset in dataset.smart_plus_ads
            if asset["advertiser_id"] == advertiser_id
            and (asset.get("modify_time") or asset["create_time"]).replace(" ", "T") + "Z" < cursor
        )
        edited["modify_time"] = cursor[:10] + " " + cursor[11:19]
        emulator.reset_counters()
        second = read(emulator, ["smart_plus_ads"], incremental=True, state=state)
    got = {record["smart_plus_ad_id"]: record for record in second.records("smart_plus_ads")}
    assert edited["smart_plus_ad_id"] in got
    assert got[edited["smart_plus_ad_id"]]["modify_time"] == cursor
    # Asked for from one second before the cursor, not at it.
    before = (datetime.strptime(cursor, "%Y-%m-%dT%H:%M:%SZ") - timedelta(seconds=1)).strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    filters = [json.loads(r.params["filtering"]) for r in emulator.requests if r.path == "smart_plus/ad/get/"]
    assert {"modified_after": before} in filters
