"""`advertisers` comes from the run's one `advertiser/info/` lookup: an advertiser TikTok denies is named
alone, and the others of its batch still have their records."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests_mock
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read
from airbyte_cdk.test.models import ExpectedOutcome

from source_tiktok_ads import SourceTiktokAds

from .conftest import BASE_URL, envelope, raw_config

ADVERTISERS = ["111", "222", "333"]


class AdvertiserInfo:
    """`advertiser/info/` refusing a whole batch (40001) when it holds a denied id, as TikTok does."""

    def __init__(self, denied: set[str]) -> None:
        self.denied = denied
        self.batches: list[list[str]] = []

    def __call__(self, request: Any, context: Any) -> dict[str, Any]:
        ids = json.loads(parse_qs(urlsplit(request.url).query)["advertiser_ids"][0])
        self.batches.append(ids)
        if self.denied & set(ids):
            return envelope(code=40001, message="No permission to operate advertiser")
        infos = [
            {"advertiser_id": int(advertiser_id), "name": f"Account {advertiser_id}", "timezone": "Etc/GMT+8"}
            for advertiser_id in ids
        ]
        return envelope({"list": infos})


def test_a_denied_advertiser_is_named_and_the_others_of_its_batch_come_out() -> None:
    info = AdvertiserInfo(denied={"222"})
    catalog = CatalogBuilder().with_stream("advertisers", SyncMode.full_refresh).build()
    with requests_mock.Mocker() as mock:
        mock.get(BASE_URL + "advertiser/info/", json=info)
        output = read(
            SourceTiktokAds(),
            raw_config(advertiser_ids=ADVERTISERS),
            catalog,
            expected_outcome=ExpectedOutcome.EXPECT_EXCEPTION,
        )
    records = [record.record.data for record in output.records]
    assert [(r["advertiser_id"], r["name"]) for r in records] == [
        ("111", "Account 111"),
        ("333", "Account 333"),
    ]
    messages = [error.trace.error.message for error in output.errors]
    (stream_failure,) = [message for message in messages if message.startswith("Stream advertisers left")]
    assert stream_failure.startswith(
        "Stream advertisers left 1 advertiser unread, in part or whole: advertiser 222:"
    )
    assert "111" not in stream_failure and "333" not in stream_failure
    # One batch, then halves down to the denied id: the stream itself asks nothing more.
    assert info.batches[0] == ADVERTISERS and ["222"] in info.batches and len(info.batches) <= 5
