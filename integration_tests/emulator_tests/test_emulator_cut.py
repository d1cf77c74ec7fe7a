"""The emulator cuts synchronous reports as TikTok does: past the cut size, only the newest-created ids'
rows, the `X-Tt-Ads-Throttle` header, and `total_number` counted before or after the cut (switchable);
and the limits that last past any retry: the daily quota and maintenance."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import requests
from tiktok_emulator import Dataset, DatasetSpec, Emulator, FaultPlan, credentials
from tiktok_emulator.report_cut import CUT_HEADER, TIKTOK_CUT_SIZE

END = date(2026, 11, 25)
SPEC = DatasetSpec(
    advertisers=1,
    campaigns_per_advertiser=4,
    adgroups_per_campaign=2,
    ads_per_adgroup=3,
    days=5,
    end_date=END,
    deleted_every=0,
)
CUT = 10


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return Dataset.generate(SPEC)


@pytest.fixture(scope="module")
def emu(ds: Dataset) -> Iterator[Emulator]:
    with Emulator(ds) as running:
        yield running


def ask(emu: Emulator, ds: Dataset, **params: Any) -> requests.Response:
    params = {
        "advertiser_id": ds.advertisers[0]["advertiser_id"],
        "report_type": "BASIC",
        "data_level": "AUCTION_AD",
        "dimensions": ["ad_id", "stat_time_day"],
        "metrics": ["spend"],
        "start_date": str(END - timedelta(days=4)),
        "end_date": str(END),
        "page_size": 1000,
        **params,
    }
    encoded = {k: json.dumps(v) if isinstance(v, list) else v for k, v in params.items()}
    response = requests.get(
        emu.base_url + "report/integrated/get/",
        params=encoded,
        headers={"Access-Token": credentials.ACCESS_TOKEN},
        timeout=30,
    )
    assert response.status_code == 200
    assert response.json()["code"] == 0, response.json()
    return response


def ids_of(response: requests.Response, dimension: str = "ad_id") -> set[str]:
    return {row["dimensions"][dimension] for row in response.json()["data"]["list"]}


def newest(ds: Dataset, kind: str, count: int) -> set[str]:
    objects = [e for e in getattr(ds, f"{kind}s") if not ds.is_deleted(e[f"{kind}_id"])]
    ordered = sorted(objects, key=lambda e: (e["create_time"], e[f"{kind}_id"]), reverse=True)
    return {e[f"{kind}_id"] for e in ordered[:count]}


def test_tiktoks_own_cut_size_is_the_default() -> None:
    assert FaultPlan().report_cut_ids == TIKTOK_CUT_SIZE == 20_000


def test_an_uncut_query_has_no_header(emu: Emulator, ds: Dataset) -> None:
    emu.faults = FaultPlan()
    response = ask(emu, ds)
    assert CUT_HEADER not in response.headers
    assert len(ids_of(response)) == len(ds.ads)


@pytest.mark.parametrize(
    ("level", "dimension", "kind"),
    [("AUCTION_AD", "ad_id", "ad"), ("AUCTION_ADGROUP", "adgroup_id", "adgroup")],
)
def test_a_query_past_the_cut_keeps_the_newest_created_ids(
    emu: Emulator, ds: Dataset, level: str, dimension: str, kind: str
) -> None:
    cut = 5
    emu.faults = FaultPlan(report_cut_ids=cut)
    response = ask(emu, ds, data_level=level, dimensions=[dimension, "stat_time_day"])
    assert ids_of(response, dimension) == newest(ds, kind, cut)
    assert "20k" not in response.headers[CUT_HEADER] and "5" in response.headers[CUT_HEADER]


def test_total_number_counts_the_rows_after_the_cut_or_before_it(emu: Emulator, ds: Dataset) -> None:
    emu.faults = FaultPlan(report_cut_ids=0)
    uncut_rows = ask(emu, ds).json()["data"]["list"]
    emu.faults = FaultPlan(report_cut_ids=CUT, cut_total_counts="after")
    after = ask(emu, ds).json()["data"]
    emu.faults = FaultPlan(report_cut_ids=CUT, cut_total_counts="before")
    before = ask(emu, ds).json()["data"]
    assert after["list"] == before["list"]
    assert len(after["list"]) < len(uncut_rows)
    assert after["page_info"]["total_number"] == len(after["list"])
    assert before["page_info"]["total_number"] == len(uncut_rows)


def test_the_header_can_be_left_out(emu: Emulator, ds: Dataset) -> None:
    emu.faults = FaultPlan(report_cut_ids=CUT, cut_header=False)
    response = ask(emu, ds)
    assert CUT_HEADER not in response.headers
    assert len(ids_of(response)) == CUT


def test_filters_that_narrow_a_query_under_the_cut_lift_it(emu: Emulator, ds: Dataset) -> None:
    emu.faults = FaultPlan(report_cut_ids=CUT)
    campaign = ds.campaigns[0]["campaign_id"]
    filtering = [{"field_name": "campaign_ids", "filter_type": "IN", "filter_value": json.dumps([campaign])}]
    response = ask(emu, ds, filtering=filtering)
    assert CUT_HEADER not in response.headers
    assert ids_of(response) == {ad["ad_id"] for ad in ds.ads if ad["campaign_id"] == campaign}


def test_lifetime_queries_are_cut_and_the_advertiser_level_never(emu: Emulator, ds: Dataset) -> None:
    emu.faults = FaultPlan(report_cut_ids=1)
    lifetime = ask(emu, ds, dimensions=["ad_id"], query_lifetime="true", start_date=None, end_date=None)
    assert CUT_HEADER in lifetime.headers and len(ids_of(lifetime)) == 1
    advertiser = ask(emu, ds, data_level="AUCTION_ADVERTISER", dimensions=["advertiser_id", "stat_time_day"])
    assert CUT_HEADER not in advertiser.headers


def test_the_daily_quota_answers_40100_past_it_with_or_without_daily_words(
    emu: Emulator, ds: Dataset
) -> None:
    for says_daily in (True, False):
        emu.faults = FaultPlan(daily_quota=1, daily_quota_says_daily=says_daily)
        ask(emu, ds)
        answer = _raw(emu, ds)
        assert answer["code"] == 40100
        assert ("daily" in answer["message"]) is says_daily


def test_maintenance_answers_60001_while_it_lasts(emu: Emulator, ds: Dataset) -> None:
    emu.faults = FaultPlan(maintenance_seconds=3600)
    assert _raw(emu, ds)["code"] == 60001
    emu.faults = FaultPlan(maintenance_seconds=0)
    assert _raw(emu, ds)["code"] == 0


def _raw(emu: Emulator, ds: Dataset) -> dict[str, Any]:
    response = requests.get(
        emu.base_url + "advertiser/info/",
        params={"advertiser_ids": json.dumps([ds.advertisers[0]["advertiser_id"]])},
        headers={"Access-Token": credentials.ACCESS_TOKEN},
        timeout=30,
    )
    return response.json()
