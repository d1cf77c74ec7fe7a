"""Creative assets, audiences and Spark Ads against a mocked TikTok: paging, keys, cursors, permissions."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests_mock
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import discover, read
from airbyte_cdk.test.models import ExpectedOutcome
from airbyte_cdk.test.state_builder import StateBuilder

from source_tiktok_ads import SourceTiktokAds
from source_tiktok_ads.timestamps import utc_timestamp

from .conftest import BASE_URL, envelope, raw_config

ADVERTISERS = ["111", "222"]


class FakeListing:
    """One per-advertiser list endpoint: its own small page size, `page_info`, optional 40001."""

    def __init__(
        self, items: dict[str, list[dict]], records_key: str = "list", page_size: int = 2, denied=()
    ):
        self.items = items
        self.records_key = records_key
        self.page_size = page_size
        self.denied = set(denied)
        self.queries: list[dict[str, str]] = []

    def __call__(self, request: Any, context: Any) -> dict[str, Any]:
        query = {key: value[0] for key, value in parse_qs(urlsplit(request.url).query).items()}
        self.queries.append(query)
        path = urlsplit(request.url).path.split("/v1.3/", 1)[1]
        advertiser_id = query["advertiser_id"]
        if advertiser_id in self.denied:
            return envelope(code=40001, message=f"advertiser does not grant you /{path}:GET permission")
        items = self.items.get(advertiser_id, [])
        page = int(query["page"])
        chunk = items[(page - 1) * self.page_size : page * self.page_size]
        total_page = max(1, -(-len(items) // self.page_size))
        return envelope(
            {
                self.records_key: chunk,
                "page_info": {
                    "page": page,
                    "page_size": self.page_size,
                    "total_number": len(items),
                    "total_page": total_page,
                },
            }
        )


def image(number: int, modify_time: str | None = "2026-10-05T10:00:00Z") -> dict[str, Any]:
    item: dict[str, Any] = {"image_id": f"img-{number}", "width": 100, "create_time": "2026-09-01T00:00:00Z"}
    if modify_time:
        item["modify_time"] = modify_time
    else:
        del item["create_time"]
    return item


def run(
    stream: str,
    path: str,
    fake: FakeListing,
    sync_mode=SyncMode.full_refresh,
    state=None,
    config=None,
    error=False,
):
    catalog = CatalogBuilder().with_stream(stream, sync_mode).build()
    with requests_mock.Mocker() as mock:
        mock.get(BASE_URL + path, json=fake)
        outcome = ExpectedOutcome.EXPECT_EXCEPTION if error else None
        return read(
            SourceTiktokAds(),
            config or raw_config(advertiser_ids=ADVERTISERS),
            catalog,
            state,
            expected_outcome=outcome,
        )


def test_images_full_refresh_pages_keeps_everything_and_tags_the_advertiser() -> None:
    fake = FakeListing({"111": [image(n, "2015-01-01T00:00:00Z") for n in range(5)], "222": [image(9, None)]})
    output = run("creative_assets_images", "file/image/ad/search/", fake)
    records = [record.record.data for record in output.records]
    assert sorted(record["image_id"] for record in records) == [*(f"img-{n}" for n in range(5)), "img-9"]
    assert {record["advertiser_id"] for record in records} == {"111", "222"}
    # Old assets and assets without timestamps are both kept in a full refresh.
    assert next(record for record in records if record["image_id"] == "img-9").get("modify_time") is None
    assert records[0]["modify_time"] == "2015-01-01T00:00:00Z"
    # 3 pages for 111, 1 for 222; no ads-management filtering on asset endpoints.
    assert len(fake.queries) == 4
    assert all(query["page_size"] == "100" and "filtering" not in query for query in fake.queries)


def test_images_incremental_cursor_per_advertiser_never_drops_undated_assets() -> None:
    fake = FakeListing(
        {
            "111": [image(1, "2026-10-01T00:00:00Z"), image(2, "2026-10-09T12:00:00Z"), image(3, None)],
            "222": [image(4, "2026-10-03T00:00:00Z")],
        }
    )
    state = (
        StateBuilder()
        .with_stream_state(
            "creative_assets_images",
            {
                "states": [
                    {"partition": {"advertiser_id": "111"}, "cursor": {"modify_time": "2026-10-05T00:00:00Z"}}
                ]
            },
        )
        .build()
    )
    output = run("creative_assets_images", "file/image/ad/search/", fake, SyncMode.incremental, state)
    assert sorted(record.record.data["image_id"] for record in output.records) == ["img-2", "img-3", "img-4"]
    assert output.most_recent_state.stream_state.__dict__["states"] == [
        {"partition": {"advertiser_id": "111"}, "cursor": {"modify_time": "2026-10-09T12:00:00Z"}},
        {"partition": {"advertiser_id": "222"}, "cursor": {"modify_time": "2026-10-03T00:00:00Z"}},
    ]


def test_music_pages_through_its_own_records_key() -> None:
    fake = FakeListing({"111": [{"music_id": str(n)} for n in range(3)]}, records_key="musics")
    output = run("creative_assets_music", "file/music/get/", fake, config=raw_config(advertiser_ids=["111"]))
    assert [record.record.data["music_id"] for record in output.records] == ["0", "1", "2"]
    assert [query["page"] for query in fake.queries] == ["1", "2"]


def test_audiences_respect_the_page_cap_and_normalise_timestamps() -> None:
    fake = FakeListing({"111": [{"audience_id": "a1", "create_time": "2026-01-02 03:04:05", "cover_num": 7}]})
    output = run("audiences", "dmp/custom_audience/list/", fake, config=raw_config(advertiser_ids=["111"]))
    record = output.records[0].record.data
    assert record == {
        "audience_id": "a1",
        "create_time": "2026-01-02T03:04:05Z",
        "cover_num": 7,
        "advertiser_id": "111",
    }
    assert fake.queries[0]["page_size"] == "100"


def test_spark_ads_key_comes_from_the_promoted_item() -> None:
    fake = FakeListing({"111": [{"item_info": {"item_id": 7123456789012345678}}, {"item_info": None}]})
    output = run("spark_ads", "tt_video/list/", fake, config=raw_config(advertiser_ids=["111"]))
    assert [record.record.data.get("spark_ads_post_id") for record in output.records] == [
        "7123456789012345678",
        None,
    ]
    assert fake.queries[0]["page_size"] == "50"


def test_denied_video_library_fails_that_advertiser_and_names_the_scope() -> None:
    fake = FakeListing({"222": [{"video_id": "v1", "modify_time": "2026-10-01T00:00:00Z"}]}, denied={"111"})
    output = run("creative_assets_videos", "file/video/ad/search/", fake, error=True)
    assert [record.record.data["video_id"] for record in output.records] == ["v1"]
    messages = " ".join(error.trace.error.message for error in output.errors)
    assert "advertiser 111" in messages and "advertiser 222" not in messages
    assert "'Creative Management > Video Management > Read Video Library'" in messages


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2020-06-10T07:39:14Z", "2020-06-10T07:39:14Z"),
        ("2020-06-10T07:39:14", "2020-06-10T07:39:14Z"),
        ("2020-06-10T07:39:14+00:00", "2020-06-10T07:39:14Z"),
        ("2020-06-10 07:39:14", "2020-06-10T07:39:14Z"),
        ("", None),
        (None, None),
    ],
)
def test_asset_timestamp_styles_become_rfc3339(raw: str | None, expected: str | None) -> None:
    assert utc_timestamp(raw) == expected


def test_sandbox_offers_the_creative_library_only() -> None:
    config = raw_config(
        credentials={
            "auth_type": "sandbox_access_token",
            "advertiser_id": "111",
            "access_token": "tok-x-asset-test",
        }
    )
    names = {stream.name for stream in discover(SourceTiktokAds(), config).catalog.catalog.streams}
    assert {
        "creative_assets_images",
        "creative_assets_videos",
        "creative_assets_music",
        "creative_assets_portfolios",
    } <= names
    assert not names & {
        "audiences",
        "spark_ads",
        "pixels",
        "pixel_events_statistics",
        "pixel_instant_page_events",
    }
    production = {stream.name for stream in discover(SourceTiktokAds(), raw_config()).catalog.catalog.streams}
    assert {
        "audiences",
        "spark_ads",
        "pixels",
        "pixel_events_statistics",
        "pixel_instant_page_events",
    } <= production
    # Apart from reports, the sandbox lacks exactly the advertiser, audience, Spark Ads, pixel, Upgraded
    # Smart+ and GMV Max streams.
    assert {name for name in production - names if "reports" not in name} == {
        "advertisers",
        "advertiser_ids",
        "audiences",
        "spark_ads",
        "pixels",
        "pixel_events_statistics",
        "pixel_instant_page_events",
        "smart_plus_campaigns",
        "smart_plus_ad_groups",
        "smart_plus_ads",
        "gmv_max_stores",
        "gmv_max_campaigns",
    }
