"""Campaigns / ad groups / ads against a mocked TikTok: pagination, TopView, cursors, permissions."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests_mock
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read
from airbyte_cdk.test.models import ExpectedOutcome
from airbyte_cdk.test.state_builder import StateBuilder

from source_tiktok_ads import SourceTiktokAds

from .conftest import BASE_URL, TOKEN, envelope, raw_config

ADVERTISERS = ["111", "222"]


def campaign(
    advertiser_id: str, number: int, modify_time: str | None = "2026-10-05 10:00:00"
) -> dict[str, Any]:
    item = {
        "advertiser_id": advertiser_id,
        "campaign_id": f"{advertiser_id}{number:03d}",
        "campaign_name": f"Campaign {number}",
        "budget": 20.5,
        "create_time": "2026-09-01 08:00:00",
    }
    if modify_time:
        item["modify_time"] = modify_time
    return item


def paged(items: list[dict[str, Any]], page: int, page_size: int) -> dict[str, Any]:
    total_page = max(1, -(-len(items) // page_size))
    chunk = items[(page - 1) * page_size : page * page_size]
    return envelope(
        {
            "list": chunk,
            "page_info": {
                "page": page,
                "page_size": page_size,
                "total_number": len(items),
                "total_page": total_page,
            },
        }
    )


class FakeEntities:
    """Answers campaign/get/ like TikTok: one advertiser per call, filtering object, page_info paging."""

    def __init__(
        self,
        regular: dict[str, list[dict]],
        topview: dict[str, list[dict]] | None = None,
        page_size: int = 2,
        denied: set[str] | None = None,
    ) -> None:
        self.regular = regular
        self.topview = topview or {}
        self.page_size = page_size
        self.denied = denied or set()
        self.queries: list[dict[str, Any]] = []

    def __call__(self, request: Any, context: Any) -> dict[str, Any]:
        # requests_mock lower-cases `request.qs`; TikTok's enums are upper case, so parse the URL itself.
        query = {key: value[0] for key, value in parse_qs(urlsplit(request.url).query).items()}
        self.queries.append(query)
        advertiser_id = query["advertiser_id"]
        if advertiser_id in self.denied:
            return envelope(code=40001, message=f"No permission to operate advertiser: {advertiser_id}")
        filtering = json.loads(query["filtering"])
        source = self.topview if filtering["buying_types"] == ["RESERVATION_TOP_VIEW"] else self.regular
        # The mock pages with its own small size, whatever was asked: the connector must follow page_info.
        return paged(source.get(advertiser_id, []), int(query["page"]), self.page_size)


def run(
    config: dict,
    fake: FakeEntities,
    sync_mode: SyncMode = SyncMode.full_refresh,
    state: list | None = None,
    stream: str = "campaigns",
    expect_error: bool = False,
):
    catalog = CatalogBuilder().with_stream(stream, sync_mode).build()
    with requests_mock.Mocker() as mock:
        mock.get(BASE_URL + "campaign/get/", json=fake)
        outcome = ExpectedOutcome.EXPECT_EXCEPTION if expect_error else None
        return read(SourceTiktokAds(), config, catalog, state, expected_outcome=outcome), mock


def test_full_refresh_follows_pages_reads_topview_and_converts_timestamps() -> None:
    fake = FakeEntities(
        regular={
            "111": [campaign("111", n, modify_time="2015-01-01 00:00:00") for n in range(5)],
            "222": [campaign("222", 1)],
        },
        topview={"111": [campaign("111", 900)]},
    )
    output, mock = run(raw_config(advertiser_ids=ADVERTISERS), fake)
    ids = sorted(record.record.data["campaign_id"] for record in output.records)
    assert ids == sorted([f"111{n:03d}" for n in range(5)] + ["111900", "222001"])
    # A full refresh returns entities last modified long before start_date.
    first = output.records[0].record.data
    assert first["modify_time"] == "2015-01-01T00:00:00Z" and first["create_time"] == "2026-09-01T08:00:00Z"
    assert all(query["page_size"] == "1000" for query in fake.queries)
    assert all(request.headers["Access-Token"] == TOKEN for request in mock.request_history)
    # 3 pages + 1 TopView page for 111, 1 + 1 for 222.
    assert len(fake.queries) == 6
    assert {query["filtering"] for query in fake.queries} == {
        '{"buying_types":["AUCTION","RESERVATION_RF"]}',
        '{"buying_types":["RESERVATION_TOP_VIEW"]}',
    }


def test_include_deleted_asks_for_every_status() -> None:
    fake = FakeEntities(regular={"111": [campaign("111", 1)]})
    run(raw_config(advertiser_ids=["111"], include_deleted=True), fake)
    assert all(json.loads(query["filtering"])["primary_status"] == "STATUS_ALL" for query in fake.queries)


def test_incremental_keeps_records_at_or_after_the_cursor_and_advances_per_advertiser() -> None:
    fake = FakeEntities(
        regular={
            "111": [campaign("111", 1, "2026-10-01 00:00:00"), campaign("111", 2, "2026-10-09 12:00:00")],
            "222": [campaign("222", 1, "2026-10-03 00:00:00")],
        }
    )
    state = (
        StateBuilder()
        .with_stream_state(
            "campaigns",
            {
                "states": [
                    {"partition": {"advertiser_id": "111"}, "cursor": {"modify_time": "2026-10-05T00:00:00Z"}}
                ]
            },
        )
        .build()
    )
    output, _ = run(raw_config(advertiser_ids=ADVERTISERS), fake, SyncMode.incremental, state)
    assert sorted(record.record.data["campaign_id"] for record in output.records) == ["111002", "222001"]
    final = output.most_recent_state.stream_state.__dict__
    assert final["states"] == [
        {"partition": {"advertiser_id": "111"}, "cursor": {"modify_time": "2026-10-09T12:00:00Z"}},
        {"partition": {"advertiser_id": "222"}, "cursor": {"modify_time": "2026-10-03T00:00:00Z"}},
    ]


def test_objects_without_modify_time_fall_back_to_create_time() -> None:
    fake = FakeEntities(regular={"111": [campaign("111", 1, modify_time=None)]})
    state = (
        StateBuilder()
        .with_stream_state(
            "campaigns",
            {
                "states": [
                    {"partition": {"advertiser_id": "111"}, "cursor": {"modify_time": "2026-08-01T00:00:00Z"}}
                ]
            },
        )
        .build()
    )
    output, _ = run(raw_config(advertiser_ids=["111"]), fake, SyncMode.incremental, state)
    assert [record.record.data["campaign_id"] for record in output.records] == ["111001"]
    assert (
        output.most_recent_state.stream_state.__dict__["states"][0]["cursor"]["modify_time"]
        == "2026-09-01T08:00:00Z"
    )


def test_missing_permission_fails_one_advertiser_not_the_others() -> None:
    fake = FakeEntities(regular={"222": [campaign("222", 1)]}, denied={"111"})
    output, _ = run(raw_config(advertiser_ids=ADVERTISERS), fake, expect_error=True)
    assert [record.record.data["campaign_id"] for record in output.records] == ["222001"]
    messages = " ".join(error.trace.error.message for error in output.errors)
    assert "advertiser 111" in messages and "Manage Permissions" in messages
    assert "campaigns" in messages
