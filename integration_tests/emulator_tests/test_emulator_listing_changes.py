"""The emulator's listings change as TikTok's do while they are read: objects deleted between pages shift
the later ones past the client's offset, and a store whose authorization is suspended leaves the store
list and its reports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import requests
from tiktok_emulator import Dataset, DatasetSpec, Emulator, FaultPlan, credentials

SPEC = DatasetSpec(
    advertisers=1,
    campaigns_per_advertiser=12,
    adgroups_per_campaign=1,
    ads_per_adgroup=1,
    days=2,
    end_date=date(2026, 11, 25),
    deleted_every=0,
    gmv_max_stores=2,
    gmv_max_active_stores=2,
)


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return Dataset.generate(SPEC)


@pytest.fixture(scope="module")
def emu(ds: Dataset) -> Iterator[Emulator]:
    with Emulator(ds) as running:
        yield running


def get(emu: Emulator, path: str, **params: Any) -> dict[str, Any]:
    encoded = {k: json.dumps(v) if isinstance(v, list | dict) else v for k, v in params.items()}
    response = requests.get(
        emu.base_url + path, params=encoded, headers={"Access-Token": credentials.ACCESS_TOKEN}, timeout=30
    )
    return response.json()


def campaigns_page(emu: Emulator, ds: Dataset, page: int, **filters: Any) -> dict[str, Any]:
    advertiser_id = ds.advertisers[0]["advertiser_id"]
    params: dict[str, Any] = {"advertiser_id": advertiser_id, "page": page, "page_size": 5}
    if filters:
        params["filtering"] = filters
    return get(emu, "campaign/get/", **params)["data"]


def ids(data: dict[str, Any]) -> list[str]:
    return [item["campaign_id"] for item in data["list"]]


def test_objects_deleted_between_pages_shift_the_rest_past_the_offset(emu: Emulator, ds: Dataset) -> None:
    emu.faults = FaultPlan()
    whole = (
        ids(campaigns_page(emu, ds, 1)) + ids(campaigns_page(emu, ds, 2)) + ids(campaigns_page(emu, ds, 3))
    )
    emu.faults = FaultPlan(rows_deleted_between_pages=2)
    try:
        first, second = campaigns_page(emu, ds, 1), campaigns_page(emu, ds, 2)
        assert first["page_info"]["total_number"] == 12 and second["page_info"]["total_number"] == 10
        # The two first objects of page 1 are gone; the two that were first on page 2 moved onto page 1.
        assert ids(first) == whole[:5] and ids(second) == whole[7:12]
        # The deletion happened once: the listing read again is stable, without the deleted objects.
        again = ids(campaigns_page(emu, ds, 1)) + ids(campaigns_page(emu, ds, 2))
        assert again == whole[2:12] and campaigns_page(emu, ds, 2)["page_info"]["total_number"] == 10
        # A listing that shows deleted objects too keeps them in their places.
        assert ids(campaigns_page(emu, ds, 1, primary_status="STATUS_ALL")) == whole[:5]
    finally:
        emu.faults = FaultPlan()
    assert ids(campaigns_page(emu, ds, 1)) == whole[:5], "a new plan starts from the undeleted world"


def test_a_suspended_store_leaves_the_store_list_and_its_reports(emu: Emulator, ds: Dataset) -> None:
    advertiser_id = ds.advertisers[0]["advertiser_id"]
    assert ds.gmv_max is not None
    kept, suspended = ds.gmv_max.store_ids(advertiser_id)
    emu.faults = FaultPlan(unlisted_stores=frozenset({(advertiser_id, suspended)}))
    try:
        listed = get(emu, "gmv_max/store/list/", advertiser_id=advertiser_id)["data"]["store_list"]
        report = get(
            emu,
            "gmv_max/report/get/",
            advertiser_id=advertiser_id,
            store_ids=[suspended],
            start_date="2026-11-24",
            end_date="2026-11-25",
            dimensions=["advertiser_id", "stat_time_day"],
            metrics=["cost"],
        )
        assert FaultPlan.from_dict(emu.faults.to_dict()) == emu.faults
    finally:
        emu.faults = FaultPlan()
    assert [store["store_id"] for store in listed] == [kept]
    assert report["code"] == 40002 and "not authorized" in report["message"]
    listed = get(emu, "gmv_max/store/list/", advertiser_id=advertiser_id)["data"]["store_list"]
    assert [store["store_id"] for store in listed] == [kept, suspended]
