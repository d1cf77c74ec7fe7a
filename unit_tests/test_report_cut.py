"""Seeing TikTok's id cut and the parts a cut window is read in."""

from __future__ import annotations

import json

import pytest
import requests

from source_tiktok_ads.api.cut_notice import CUT_HEADER, CUT_NOTICE, with_cut_notice
from source_tiktok_ads.api.errors import SliceRefused
from source_tiktok_ads.reports import report_cut
from source_tiktok_ads.reports.id_split import ID_FILTERS, ID_LISTING, cut_query, groups, id_listing_query
from source_tiktok_ads.reports.report_cut import cut_seen, id_dimension_index
from source_tiktok_ads.streams.listing_cut import ListingCut

PARAMS = {
    "advertiser_id": "1",
    "service_type": "AUCTION",
    "report_type": "AUDIENCE",
    "data_level": "AUCTION_AD",
    "dimensions": ["ad_id", "stat_time_day", "gender"],
    "metrics": ["spend", "clicks"],
    "start_date": "2026-01-01",
    "end_date": "2026-01-01",
    "filtering": [
        {"field_name": "buying_type", "filter_type": "IN", "filter_value": '["RESERVATION_TOP_VIEW"]'},
        {"field_name": "ad_status", "filter_type": "IN", "filter_value": '["STATUS_ALL"]'},
    ],
}


def test_the_header_whatever_its_wording_is_a_cut() -> None:
    assert cut_seen("anything", 0) == "X-Tt-Ads-Throttle: anything"
    assert cut_seen("", 0) is not None


def test_a_listing_reaching_the_cut_size_is_a_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_cut, "CUT_SIZE", 5)
    assert cut_seen(None, 4) is None
    assert "5-id cut" in (cut_seen(None, 5) or "")
    assert report_cut.CUT_SIZE == 5 and cut_seen(None, 20_000) is not None


def test_the_default_cut_size_is_tiktoks() -> None:
    assert report_cut.CUT_SIZE == 20_000


def test_the_cut_counts_the_most_specific_id() -> None:
    assert id_dimension_index(("stat_time_day", "ad_id")) == 1
    assert id_dimension_index(("adgroup_id", "country_code")) == 0
    assert id_dimension_index(("advertiser_id", "stat_time_day")) is None


def test_the_header_reaches_the_page_converter() -> None:
    response = requests.Response()
    response.headers[CUT_HEADER] = "only the top 20k"
    seen = with_cut_notice(response, lambda data: data.get(CUT_NOTICE))({"list": []})
    assert seen == "only the top 20k"
    plain = requests.Response()
    assert with_cut_notice(plain, lambda data: CUT_NOTICE in data)({"list": []}) is False


@pytest.mark.parametrize(("count", "most"), [(1, 30), (2, 30), (7, 30), (61, 30), (250, 100)])
def test_groups_cover_every_id_once_in_at_most_most_each(count: int, most: int) -> None:
    ids = [str(n) for n in range(count)]
    parts = groups(ids, most)
    assert [i for part in parts for i in part] == ids
    assert all(0 < len(part) <= most for part in parts)
    assert len(parts) == (1 if count == 1 else max(2, -(-count // most)))


def test_a_part_adds_its_id_filter_to_the_report_query() -> None:
    query = cut_query(dict(PARAMS), {ID_FILTERS: {"campaign_ids": ["7", "8"]}})
    assert query["filtering"][:2] == PARAMS["filtering"]
    assert query["filtering"][2] == {
        "field_name": "campaign_ids",
        "filter_type": "IN",
        "filter_value": '["7","8"]',
    }
    assert cut_query(dict(PARAMS), {}) == PARAMS


def test_the_id_listing_has_the_reports_scope_with_deleted_objects() -> None:
    query = cut_query(dict(PARAMS), {ID_FILTERS: {"campaign_ids": ["7"]}, ID_LISTING: "adgroup"})
    assert query["report_type"] == "BASIC" and query["data_level"] == "AUCTION_ADGROUP"
    assert query["dimensions"] == ["adgroup_id"]
    assert (query["start_date"], query["end_date"]) == ("2026-01-01", "2026-01-01")
    names = {entry["field_name"]: json.loads(entry["filter_value"]) for entry in query["filtering"]}
    assert names == {
        "buying_type": ["RESERVATION_TOP_VIEW"],
        "campaign_ids": ["7"],
        "adgroup_status": ["STATUS_ALL"],
    }
    lifetime = id_listing_query({"advertiser_id": "1", "query_lifetime": True}, "campaign")
    assert lifetime["query_lifetime"] is True and "start_date" not in lifetime


def test_an_object_listing_stopping_at_the_cut_or_with_the_header_fails_its_advertiser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(report_cut, "CUT_SIZE", 3)
    slice_ = {"advertiser_id": "42"}
    past = ListingCut("ads", slice_, "list")
    past.watching(lambda data: None)({"list": [1, 2, 3, 4]})
    past.verify()
    at = ListingCut("ads", slice_, "list")
    at.watching(lambda data: None)({"list": [1, 2, 3]})
    with pytest.raises(SliceRefused, match="advertiser 42 looks cut"):
        at.verify()
    flagged = ListingCut("ads", slice_, "list")
    flagged.watching(lambda data: None)({"list": [1], CUT_NOTICE: "top 20k"})
    with pytest.raises(SliceRefused, match="X-Tt-Ads-Throttle: top 20k"):
        flagged.verify()
