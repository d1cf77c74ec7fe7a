"""Creative assets, audiences, pixels and Spark Ads, read by the connector process from the emulator.

Three reads serve every assertion: a full sync of the new streams, an incremental follow-up of the
asset streams, and a sync with one advertiser denied the video library.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import END, END_DATE, START_DATE
from harness import ConnectorRun, configured_catalog, discovered_catalog, emulator_config, run_connector
from tiktok_emulator import Dataset, DatasetSpec, Emulator, FaultPlan, credentials

SCHEMAS = Path(__file__).resolve().parent.parent / "source_tiktok_ads" / "schemas"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

# stream -> (emulator library kind, primary key, timestamp fields the connector normalises)
LISTINGS = {
    "creative_assets_images": ("image", "image_id", ("create_time", "modify_time")),
    "creative_assets_videos": ("video", "video_id", ("create_time", "modify_time")),
    "creative_assets_music": ("music", "music_id", ("create_time", "modify_time")),
    "creative_assets_portfolios": ("portfolio", "creative_portfolio_id", ()),
    "audiences": ("audience", "audience_id", ("create_time", "expired_time")),
    "pixels": ("pixel", "pixel_id", ("create_time",)),
    "spark_ads": ("spark", "spark_ads_post_id", ()),
}
NEW_STREAMS = [*LISTINGS, "pixel_events_statistics", "pixel_instant_page_events"]
INCREMENTAL = ("creative_assets_images", "creative_assets_videos")
PRODUCTION_ONLY = {"audiences", "spark_ads", "pixels", "pixel_events_statistics", "pixel_instant_page_events"}
START_DATE_D = date.fromisoformat(START_DATE)
VIDEO_PATH = "file/video/ad/search/"
# What the emulator offers on pixel/instant_page/event/ (its own table).
INSTANT_PAGE_OFFERED = {
    "CONVERSIONS": ("CONVERT", "VALUE"),
    # Documented as an alias answering with CONVERSIONS data.
    "WEB_CONVERSIONS": ("CONVERT", "VALUE"),
    "APP_PROMOTION": ("INSTALL", "IN_APP_EVENT", "VALUE"),
}


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    # Sized so images, videos and audiences (100 per page) and pixels (20 per page) need two pages,
    # and one advertiser's pixels need three `pixel_ids` batches of 10.
    return Dataset.generate(
        DatasetSpec(
            advertisers=2,
            campaigns_per_advertiser=1,
            adgroups_per_campaign=1,
            ads_per_adgroup=1,
            days=10,
            end_date=END,
            seed=11,
            images_per_advertiser=101,
            videos_per_advertiser=102,
            audiences_per_advertiser=101,
            pixels_per_advertiser=21,
            music_per_advertiser=3,
            portfolios_per_advertiser=2,
            spark_posts_per_advertiser=3,
            fresh_asset_every=9,
        )
    )


@pytest.fixture(scope="module")
def emulator(dataset: Dataset) -> Iterator[Emulator]:
    with Emulator(dataset) as running:
        yield running


def config_for(emulator: Emulator, **overrides: Any) -> dict[str, Any]:
    return emulator_config(emulator.base_url, **{"start_date": START_DATE, "end_date": END_DATE, **overrides})


@pytest.fixture(scope="module")
def catalog(emulator: Emulator) -> dict[str, Any]:
    return discovered_catalog(config_for(emulator))


@pytest.fixture(scope="module")
def full_run(emulator: Emulator, catalog: dict[str, Any]) -> tuple[ConnectorRun, dict[str, int], list]:
    emulator.reset_counters()
    run = run_connector(
        "read", config_for(emulator), configured_catalog(catalog, NEW_STREAMS, incremental=True)
    )
    return run, emulator.stats()["by_path"], list(emulator.requests)


@pytest.fixture(scope="module")
def second_run(emulator: Emulator, catalog: dict[str, Any], full_run) -> ConnectorRun:
    states = full_run[0].stream_states()
    configured = configured_catalog(catalog, list(INCREMENTAL), incremental=True)
    return run_connector(
        "read", config_for(emulator), configured, state=[states[name] for name in INCREMENTAL]
    )


@pytest.fixture(scope="module")
def denied_run(emulator: Emulator, dataset: Dataset, catalog: dict[str, Any], full_run) -> ConnectorRun:
    denied = dataset.advertisers[0]["advertiser_id"]
    emulator.faults = FaultPlan(deny=frozenset({(denied, VIDEO_PATH)}))
    try:
        return run_connector("read", config_for(emulator), configured_catalog(catalog, NEW_STREAMS))
    finally:
        emulator.faults = FaultPlan()


def as_rfc3339(value: Any) -> Any:
    if isinstance(value, str) and len(value) == 19 and value[10] == " ":
        return f"{value[:10]}T{value[11:]}Z"
    return value


def expected_listing(dataset: Dataset, stream: str) -> list[dict[str, Any]]:
    kind, _, timestamps = LISTINGS[stream]
    records = []
    for advertiser in dataset.advertisers:
        for item in dataset.library(kind, advertiser["advertiser_id"]):
            for field in timestamps:
                if field in item:
                    item[field] = as_rfc3339(item[field])
            if kind == "spark":
                item["spark_ads_post_id"] = item["item_info"]["item_id"]
            records.append({**item, "advertiser_id": advertiser["advertiser_id"]})
    return records


def by_key(records: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {record[key]: record for record in records}


def test_every_listing_stream_returns_exactly_the_dataset(full_run, dataset: Dataset) -> None:
    run = full_run[0]
    assert run.returncode == 0, run.stdout[-3000:]
    for stream, (_, key, _) in LISTINGS.items():
        actual = run.records(stream)
        assert max(Counter(record[key] for record in actual).values()) == 1, f"duplicates in {stream}"
        assert by_key(actual, key) == by_key(expected_listing(dataset, stream), key), stream


def test_records_match_their_schemas_with_rfc3339_timestamps(full_run) -> None:
    run = full_run[0]
    for stream in NEW_STREAMS:
        schema = json.loads((SCHEMAS / f"{stream}.json").read_text())
        records = run.records(stream)
        assert records, stream
        timestamp_fields = [
            name for name, spec in schema["properties"].items() if spec.get("format") == "date-time"
        ]
        for record in records:
            jsonschema.validate(record, schema)
            assert isinstance(record["advertiser_id"], str)
            for field in timestamp_fields:
                assert record.get(field) is None or RFC3339.match(record[field]), (
                    stream,
                    field,
                    record[field],
                )


def test_fresh_assets_without_timestamps_are_kept(full_run) -> None:
    images = full_run[0].records("creative_assets_images")
    assert any("modify_time" not in record and "create_time" not in record for record in images)


def test_pagination_respects_each_endpoint_cap(full_run, dataset: Dataset) -> None:
    _, by_path, requests = full_run
    caps = {
        "file/image/ad/search/": "100",
        "file/video/ad/search/": "100",
        "dmp/custom_audience/list/": "100",
        "pixel/list/": "20",
        "tt_video/list/": "50",
        "file/music/get/": "100",
        "creative/portfolio/list/": "100",
    }
    for path, cap in caps.items():
        sizes = {request.params.get("page_size") for request in requests if request.path == path}
        assert sizes == {cap}, path
    advertisers = len(dataset.advertisers)
    # Two pages per advertiser; pixel/list/ is read by pixels and by pixel_events_statistics.
    assert by_path["file/image/ad/search/"] == 2 * advertisers
    assert by_path["file/video/ad/search/"] == 2 * advertisers
    assert by_path["dmp/custom_audience/list/"] == 2 * advertisers
    assert by_path["pixel/list/"] == 2 * 2 * advertisers


def test_pixel_statistics_batch_all_pixels_with_valid_json_ranges(full_run, dataset: Dataset) -> None:
    run, by_path, requests = full_run
    calls = [request.params for request in requests if request.path == "pixel/event/stats/"]
    # 21 pixels per advertiser -> batches of 10, 10 and 1, over one 10-day window.
    assert by_path["pixel/event/stats/"] == 3 * len(dataset.advertisers)
    for params in calls:
        ids = json.loads(params["pixel_ids"])
        assert isinstance(ids, list) and 1 <= len(ids) <= 10
        date_range = json.loads(params["date_range"])
        assert date_range == {"start_date": START_DATE, "end_date": END_DATE}
    expected = [
        {
            **dataset.pixel_event_stats(pixel["pixel_id"], START_DATE_D, END),
            "advertiser_id": advertiser["advertiser_id"],
            "start_date": START_DATE,
            "end_date": END_DATE,
        }
        for advertiser in dataset.advertisers
        for pixel in dataset.library("pixel", advertiser["advertiser_id"])
    ]
    assert by_key(run.records("pixel_events_statistics"), "pixel_id") == by_key(expected, "pixel_id")


def test_instant_page_events_cost_and_records(full_run, dataset: Dataset) -> None:
    run, by_path, _ = full_run
    # The first advertiser: each objective type TikTok refuses once, the offered ones with every goal
    # (WEB_CONVERSIONS only with the goals CONVERSIONS is served); the others: only the pairs served.
    offered = sum(len(goals) for goals in INSTANT_PAGE_OFFERED.values())
    refused_objectives = 10 - len(INSTANT_PAGE_OFFERED)
    web_goals = len(INSTANT_PAGE_OFFERED["WEB_CONVERSIONS"])
    first = refused_objectives + (len(INSTANT_PAGE_OFFERED) - 1) * 22 + web_goals
    assert by_path["pixel/instant_page/event/"] == first + offered * (len(dataset.advertisers) - 1)
    actual = sorted(
        (record["advertiser_id"], record["objective_type"], record["optimization_goal"])
        for record in run.records("pixel_instant_page_events")
    )
    expected = sorted(
        (advertiser["advertiser_id"], objective, goal)
        for advertiser in dataset.advertisers
        for objective, goals in INSTANT_PAGE_OFFERED.items()
        for goal in goals
    )
    assert actual == expected


def test_incremental_assets_resume_per_advertiser(full_run, second_run, dataset: Dataset) -> None:
    first = full_run[0]
    states = first.stream_states()
    assert second_run.returncode == 0, second_run.stdout[-3000:]
    for stream in INCREMENTAL:
        cursors = {
            entry["partition"]["advertiser_id"]: entry["cursor"]["modify_time"]
            for entry in states[stream]["stream"]["stream_state"]["states"]
        }
        assert set(cursors) == {advertiser["advertiser_id"] for advertiser in dataset.advertisers}
        for advertiser_id, cursor in cursors.items():
            newest = max(
                record["modify_time"]
                for record in first.records(stream)
                if record["advertiser_id"] == advertiser_id and "modify_time" in record
            )
            assert cursor == newest
        again = second_run.records(stream)
        assert 0 < len(again) < len(first.records(stream))
        for record in again:
            value = record.get("modify_time") or record.get("create_time")
            # Assets without timestamps come back every time; the others only at or after the cursor.
            assert value is None or value >= cursors[record["advertiser_id"]]
        assert any(record.get("modify_time") is None for record in again)


def test_denied_video_library_fails_one_advertiser_only(denied_run, full_run, dataset: Dataset) -> None:
    denied, allowed = (advertiser["advertiser_id"] for advertiser in dataset.advertisers)
    assert denied_run.returncode != 0
    videos = denied_run.records("creative_assets_videos")
    assert videos and {record["advertiser_id"] for record in videos} == {allowed}
    assert len(videos) == len(dataset.library("video", allowed))
    for stream in NEW_STREAMS:
        if stream != "creative_assets_videos":
            assert len(denied_run.records(stream)) == len(full_run[0].records(stream)), stream
    errors = [error["message"] for error in denied_run.errors()]
    stream_errors = [message for message in errors if message.startswith("Stream ")]
    assert len(stream_errors) == 1 and stream_errors[0].startswith("Stream creative_assets_videos ")
    assert denied in stream_errors[0] and allowed not in stream_errors[0]
    assert "Creative Management > Video Management > Read Video Library" in stream_errors[0]
    # The closing summary names the one failed stream and no other.
    summary = [message for message in errors if "did not sync successfully" in message]
    assert summary and all(
        stream not in summary[0] for stream in NEW_STREAMS if stream != "creative_assets_videos"
    )
    assert credentials.ACCESS_TOKEN not in denied_run.stdout


def test_sandbox_discover_omits_production_only_streams(emulator: Emulator) -> None:
    config = emulator_config(
        emulator.base_url,
        start_date=START_DATE,
        credentials={
            "auth_type": "sandbox_access_token",
            "advertiser_id": "7000011000000000001",
            "access_token": credentials.ACCESS_TOKEN,
        },
    )
    run = run_connector("discover", config)
    names = {stream["name"] for stream in run.catalog["streams"]}
    assert not names & PRODUCTION_ONLY
    assert {"creative_assets_images", "creative_assets_videos", "creative_assets_music"} <= names
    logs = " ".join(message["log"]["message"] for message in run.of_type("LOG"))
    for stream in PRODUCTION_ONLY:
        assert stream in logs
