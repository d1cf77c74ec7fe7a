"""A page of records written in one go reads exactly as the CDK would have written each record."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pytest
import requests_mock
from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteRecordMessage,
    AirbyteStateBlob,
    AirbyteStateMessage,
    AirbyteStateType,
    AirbyteStreamState,
    StreamDescriptor,
    Type,
)
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_tiktok_ads import SourceTiktokAds
from source_tiktok_ads.config import parse_config
from source_tiktok_ads.pipeline.encoder import RECORD_LINES, RecordLines, record_lines
from source_tiktok_ads.run import TikTokAdsEntrypoint
from source_tiktok_ads.streams.base import TikTokStream

from .conftest import BASE_URL, envelope, raw_config
from .test_report_streams import FakeReports

RECORDS = [
    {"ad_id": "1", "stat_time_day": "2026-01-01 00:00:00", "metrics": {"spend": 1.5, "clicks": 3}},
    # Top-level nulls are left out by the CDK; nested ones are kept.
    {"ad_id": "2", "campaign_name": None, "metrics": {"spend": None, "ctr": 0.1, "cpm": 1e20}},
    {"ad_id": "3", "name": "Café «été» 😀", "tags": [None, {"x": None}], "ok": True, "empty": {}},
    {},
]


def cdk_line(stream: str, data: dict, emitted_at: int) -> str:
    message = AirbyteMessage(
        type=Type.RECORD, record=AirbyteRecordMessage(stream=stream, data=data, emitted_at=emitted_at)
    )
    return AirbyteEntrypoint.airbyte_message_to_string(message)


def test_each_line_is_the_cdks_serialisation_of_the_record() -> None:
    page = record_lines("ads_reports_daily", RECORDS)
    lines = page.lines.decode().split("\n")
    assert page.count == len(RECORDS) == len(lines)
    for line, record in zip(lines, RECORDS, strict=True):
        assert line == cdk_line("ads_reports_daily", record, page.record.emitted_at)


def test_an_integer_beyond_64_bits_falls_back_to_the_json_module_like_the_cdk() -> None:
    records = [{"id": "1", "big": 2**70, "gone": None}, {"id": "2"}]
    page = record_lines("ads", records)
    parsed = [json.loads(line) for line in page.lines.decode().split("\n")]
    assert [message["record"]["data"] for message in parsed] == [{"id": "1", "big": 2**70}, {"id": "2"}]
    assert {message["record"]["stream"] for message in parsed} == {"ads"}


def test_state_messages_count_every_record_of_a_page() -> None:
    counts: defaultdict = defaultdict(float)
    for message in (record_lines("ads", RECORDS), record_lines("ads", RECORDS[:1])):
        TikTokAdsEntrypoint.handle_record_counts(message, counts)
    single = AirbyteMessage(
        type=Type.RECORD, record=AirbyteRecordMessage(stream="ads", data={"ad_id": "9"}, emitted_at=1)
    )
    TikTokAdsEntrypoint.handle_record_counts(single, counts)
    state = AirbyteMessage(
        type=Type.STATE,
        state=AirbyteStateMessage(
            type=AirbyteStateType.STREAM,
            stream=AirbyteStreamState(
                stream_descriptor=StreamDescriptor(name="ads"), stream_state=AirbyteStateBlob(states=[])
            ),
        ),
    )
    TikTokAdsEntrypoint.handle_record_counts(state, counts)
    assert state.state.sourceStats.recordCount == len(RECORDS) + 1 + 1


@pytest.mark.parametrize("internal_key", ["_limit", "_page_size"])
def test_the_cdks_record_limit_cannot_reach_a_read(internal_key: str) -> None:
    # airbyte-cdk would count a record limit in messages, i.e. in pages here: the config must refuse it.
    with pytest.raises(AirbyteTracedException, match=f"'{internal_key}': unknown key"):
        parse_config({**raw_config(), internal_key: 5})


def report_and_campaign_streams(**config: Any) -> tuple[TikTokStream, TikTokStream]:
    by_name = {
        stream.name: stream
        for stream in SourceTiktokAds().streams(raw_config(advertiser_ids=["111"], **config))
    }
    return by_name["ads_reports_daily"], by_name["campaigns"]


def test_report_pages_are_written_on_the_worker_and_entity_pages_are_not() -> None:
    report, campaigns = report_and_campaign_streams()
    window = {"advertiser_id": "111", "start_date": "2026-01-01", "end_date": "2026-01-03"}
    with requests_mock.Mocker() as mock:
        mock.get(BASE_URL + "report/integrated/get/", json=FakeReports())
        listing = envelope(
            {
                "list": [{"campaign_id": "1", "advertiser_id": "111", "modify_time": "2026-01-01 00:00:00"}],
                "page_info": {"page": 1, "page_size": 1000, "total_number": 1, "total_page": 1},
            }
        )
        # The advertiser has campaigns, and a TopView one, but no Reach & Frequency campaign.
        no_rf = envelope(
            {"list": [], "page_info": {"page": 1, "page_size": 1, "total_number": 0, "total_page": 0}}
        )
        mock.get(
            BASE_URL + "campaign/get/",
            json=lambda request, context: no_rf if "%5B%22RESERVATION_RF%22%5D" in request.url else listing,
        )
        as_records = list(report.fetch_pages(window))
        report.context.encoder = campaigns.context.encoder = RECORD_LINES
        as_lines = list(report.fetch_pages(window))
        # Campaign records are filtered by cursor on the main thread: they stay records until then.
        campaign_pages = list(campaigns.fetch_pages({"advertiser_id": "111"}))
    # One page per listing: the window, and the same window for TopView (the campaign listing has one).
    assert len(as_lines) == len(as_records) == 2
    for lines, records in zip(as_lines, as_records, strict=True):
        assert isinstance(lines, RecordLines) and lines.count == len(records) == 3
        written = [json.loads(line)["record"] for line in lines.lines.decode().split("\n")]
        # Like the CDK's serialiser, the lines leave out top-level nulls.
        assert [record["data"] for record in written] == [
            {name: value for name, value in record.items() if value is not None} for record in records
        ]
        assert {record["stream"] for record in written} == {"ads_reports_daily"}
    assert campaign_pages and all(isinstance(page, list) for page in campaign_pages)
