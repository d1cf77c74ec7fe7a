"""The emulator's creative, audience, pixel and Spark Ads endpoints follow the documented rules."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import requests
from tiktok_emulator import Dataset, DatasetSpec, Emulator, FaultPlan, credentials

END = date(2026, 11, 25)
SPEC = DatasetSpec(advertisers=2, campaigns_per_advertiser=1, days=30, end_date=END, images_per_advertiser=25)
FULL = {"Access-Token": credentials.ACCESS_TOKEN}
# path -> (records key, page cap)
LISTINGS = {
    "file/image/ad/search/": ("list", 100),
    "file/video/ad/search/": ("list", 100),
    "file/music/get/": ("musics", 100),
    "creative/portfolio/list/": ("creative_portfolios", 100),
    "dmp/custom_audience/list/": ("list", 100),
    "pixel/list/": ("pixels", 20),
    "tt_video/list/": ("list", 50),
}


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return Dataset.generate(SPEC)


@pytest.fixture(scope="module")
def emu(ds: Dataset) -> Iterator[Emulator]:
    with Emulator(ds) as running:
        yield running


@pytest.fixture(scope="module")
def adv(ds: Dataset) -> str:
    return ds.advertisers[0]["advertiser_id"]


def call(emu: Emulator, path: str, headers: dict[str, str] | None = None, **params: Any) -> dict[str, Any]:
    encoded = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    response = requests.get(emu.base_url + path, params=encoded, headers=headers or FULL, timeout=10)
    assert response.status_code == 200
    return response.json()


def pixel_ids(ds: Dataset, adv: str) -> list[str]:
    return [pixel["pixel_id"] for pixel in ds.library("pixel", adv)]


@pytest.mark.parametrize("path", LISTINGS)
def test_listings_page_with_page_info_and_enforce_their_cap(emu: Emulator, adv: str, path: str) -> None:
    key, cap = LISTINGS[path]
    first = call(emu, path, advertiser_id=adv, page_size="1")
    assert first["code"] == 0 and len(first["data"][key]) == 1
    info = first["data"]["page_info"]
    assert info["page"] == 1 and info["page_size"] == 1 and info["total_page"] == info["total_number"] >= 2
    second = call(emu, path, advertiser_id=adv, page_size="1", page="2")
    assert second["data"][key] != first["data"][key]
    over = call(emu, path, advertiser_id=adv, page_size=str(cap + 1))
    assert over["code"] == 40002 and "page_size" in over["message"] and str(cap) in over["message"]
    missing = call(emu, path)
    assert missing["code"] == 40002 and "advertiser_id" in missing["message"]


def test_asset_timestamps_are_iso_utc_and_ids_strings(emu: Emulator, adv: str) -> None:
    items = call(emu, "file/image/ad/search/", advertiser_id=adv, page_size="100")["data"]["list"]
    assert len(items) == 25
    assert all(item["modify_time"].endswith("Z") and "T" in item["modify_time"] for item in items)
    assert all(isinstance(item["image_id"], str) for item in items)


def test_fresh_assets_lack_timestamps(adv: str) -> None:
    dataset = Dataset.generate(DatasetSpec(advertisers=1, days=3, end_date=END, fresh_asset_every=2))
    videos = dataset.library("video", dataset.advertisers[0]["advertiser_id"])
    assert ["modify_time" in video for video in videos] == [True, False, True]


def test_asset_filtering_by_ids_and_unknown_keys(emu: Emulator, ds: Dataset, adv: str) -> None:
    wanted = ds.library("video", adv)[1]["video_id"]
    found = call(emu, "file/video/ad/search/", advertiser_id=adv, filtering={"video_ids": [wanted]})
    assert [item["video_id"] for item in found["data"]["list"]] == [wanted]
    bad = call(emu, "file/video/ad/search/", advertiser_id=adv, filtering={"colour": "red"})
    assert bad["code"] == 40002 and "filtering.colour" in bad["message"]


def test_pixel_stats_answer_per_pixel_over_the_range(emu: Emulator, ds: Dataset, adv: str) -> None:
    ids = pixel_ids(ds, adv)
    start, end = END - timedelta(days=29), END
    body = call(
        emu,
        "pixel/event/stats/",
        advertiser_id=adv,
        pixel_ids=ids,
        date_range={"start_date": str(start), "end_date": str(end)},
    )
    assert body["code"] == 0
    assert body["data"]["list"] == [ds.pixel_event_stats(pixel_id, start, end) for pixel_id in ids]
    totals = body["data"]["list"][0]["statistics"][0]
    assert (
        totals["total_count"] == totals["browser_event_total_count"] + totals["server_event_total_count"] > 0
    )


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"pixel_ids": "6200001000000000001"}, "pixel_ids: Must be a JSON array"),
        ({"pixel_ids": []}, "pixel_ids: Length must be between 1 and 10"),
        ({"date_range": '{"start_date":2026-10-01,"end_date":2026-10-02}'}, "date_range: Not a valid JSON"),
        ({"date_range": {"start_date": "2026-10-05", "end_date": "2026-10-01"}}, "must not be later"),
        ({"date_range": {"start_date": "2026-10-01", "end_date": "2026-10-31"}}, "at most 30 days"),
        ({"date_range": {"start_date": "2026-10-01"}}, "date_range.end_date"),
        ({"date_range": None}, "date_range: Missing data"),
    ],
)
def test_pixel_stats_validation(emu: Emulator, ds: Dataset, adv: str, params: dict, fragment: str) -> None:
    query: dict[str, Any] = {
        "advertiser_id": adv,
        "pixel_ids": pixel_ids(ds, adv),
        "date_range": {"start_date": "2026-10-01", "end_date": "2026-10-30"},
        **params,
    }
    query = {k: v for k, v in query.items() if v is not None}
    body = call(emu, "pixel/event/stats/", **query)
    assert body["code"] == 40002 and fragment in body["message"], body["message"]


def test_pixel_stats_refuse_too_many_or_foreign_pixels(emu: Emulator, ds: Dataset, adv: str) -> None:
    other = ds.advertisers[1]["advertiser_id"]
    date_range = {"start_date": "2026-11-01", "end_date": "2026-11-02"}
    foreign = call(
        emu, "pixel/event/stats/", advertiser_id=adv, pixel_ids=pixel_ids(ds, other), date_range=date_range
    )
    assert (
        foreign["code"] == 40002
        and pixel_ids(ds, other)[0] in foreign["message"]
        and adv in foreign["message"]
    )
    eleven = call(emu, "pixel/event/stats/", advertiser_id=adv, pixel_ids=["1"] * 11, date_range=date_range)
    assert eleven["code"] == 40002 and "between 1 and 10" in eleven["message"]


def test_instant_page_events_need_a_documented_objective_and_an_offered_goal(emu: Emulator, adv: str) -> None:
    ok = call(
        emu,
        "pixel/instant_page/event/",
        advertiser_id=adv,
        objective_type="CONVERSIONS",
        optimization_goal="CONVERT",
    )
    assert ok["code"] == 0
    goals = ok["data"]["list"][0]["instant_page_events"]["objective_types"][0]["optimization_goals"]
    assert goals == [{"optimization_goal": "CONVERT", "optimization_events": ["BUTTON"]}]
    alias = call(
        emu,
        "pixel/instant_page/event/",
        advertiser_id=adv,
        objective_type="WEB_CONVERSIONS",
        optimization_goal="CONVERT",
    )
    assert (
        alias["data"]["list"][0]["instant_page_events"]["objective_types"][0]["objective_type"]
        == "CONVERSIONS"
    )
    reach = call(
        emu, "pixel/instant_page/event/", advertiser_id=adv, objective_type="REACH", optimization_goal="REACH"
    )
    assert reach["code"] == 40002 and "objective_type" in reach["message"]
    unsupported = call(
        emu,
        "pixel/instant_page/event/",
        advertiser_id=adv,
        objective_type="APP_PROMOTION",
        optimization_goal="CONVERT",
    )
    assert unsupported["code"] == 40002 and "optimization_goal" in unsupported["message"]
    missing = call(emu, "pixel/instant_page/event/", advertiser_id=adv, objective_type="CONVERSIONS")
    assert missing["code"] == 40002 and "optimization_goal: Missing" in missing["message"]


def test_endpoint_permission_denial_names_the_endpoint(ds: Dataset, adv: str) -> None:
    other = ds.advertisers[1]["advertiser_id"]
    with Emulator(ds, faults=FaultPlan(deny=frozenset({(adv, "file/video/ad/search/")}))) as emu:
        denied = call(emu, "file/video/ad/search/", advertiser_id=adv)
        assert denied["code"] == 40001
        assert denied["message"] == "advertiser does not grant you /file/video/ad/search/:GET permission"
        assert call(emu, "file/video/ad/search/", advertiser_id=other)["code"] == 0
        assert call(emu, "file/image/ad/search/", advertiser_id=adv)["code"] == 0


def test_auth_errors_apply_to_the_new_endpoints(emu: Emulator, adv: str) -> None:
    assert call(emu, "pixel/list/", headers={"Access-Token": ""}, advertiser_id=adv)["code"] == 40104
    assert call(emu, "tt_video/list/", headers={"Access-Token": "nope"}, advertiser_id=adv)["code"] == 40105
    limited = {"Access-Token": credentials.LIMITED_TOKEN}
    other_adv = call(emu, "file/music/get/", headers=limited, advertiser_id="7999999999999999999")
    assert other_adv["code"] == 40001 and "No permission to operate advertiser" in other_adv["message"]


def test_sandbox_has_no_audiences_pixels_or_spark_ads(ds: Dataset, adv: str) -> None:
    with Emulator(ds, sandbox=True) as emu:
        for path in (
            "dmp/custom_audience/list/",
            "pixel/list/",
            "tt_video/list/",
            "pixel/instant_page/event/",
        ):
            assert call(emu, path, advertiser_id=adv)["code"] == 40001, path
        assert call(emu, "file/image/ad/search/", advertiser_id=adv)["code"] == 0
