"""The TikTok API emulator behaves like the documented API: envelope, auth, paging, report rules, faults."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests
from tiktok_emulator import Dataset, DatasetSpec, Emulator, FaultPlan, credentials
from tiktok_emulator.catalog import _q, fmt_money, fmt_ratio
from tiktok_emulator.delivery import split_ints as _split_ints

END = date(2026, 11, 25)
SPEC = DatasetSpec(
    advertisers=2,
    campaigns_per_advertiser=3,
    adgroups_per_campaign=2,
    ads_per_adgroup=2,
    days=30,
    end_date=END,
)
WINDOW = (str(END - timedelta(days=29)), str(END))
FULL = {"Access-Token": credentials.ACCESS_TOKEN}


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return Dataset.generate(SPEC)


@pytest.fixture(scope="module")
def emu(ds: Dataset) -> Iterator[Emulator]:
    with Emulator(ds) as running:
        yield running


@pytest.fixture()
def fresh(ds: Dataset) -> Iterator[Emulator]:
    """An emulator of its own, for tests that install faults or count requests."""
    with Emulator(ds) as running:
        yield running


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture(scope="module")
def adv(ds: Dataset) -> str:
    return ds.advertisers[0]["advertiser_id"]


def call(
    http: requests.Session, emu: Emulator, path: str, headers: dict | None = None, **params: Any
) -> dict[str, Any]:
    encoded = {k: json.dumps(v) if isinstance(v, list | dict) else v for k, v in params.items()}
    response = http.get(emu.base_url + path, params=encoded, headers=FULL if headers is None else headers)
    assert response.status_code == 200
    return response.json()


def report(http: requests.Session, emu: Emulator, adv: str, **params: Any) -> dict[str, Any]:
    params.setdefault("report_type", "BASIC")
    params.setdefault("data_level", "AUCTION_AD")
    params.setdefault("dimensions", ["ad_id", "stat_time_day"])
    if not params.get("query_lifetime"):
        params.setdefault("start_date", WINDOW[0])
        params.setdefault("end_date", WINDOW[1])
    params.setdefault("page_size", 1000)
    return call(http, emu, "report/integrated/get/", advertiser_id=adv, **params)


def all_rows(http: requests.Session, emu: Emulator, adv: str, **params: Any) -> list[dict[str, Any]]:
    rows, page = [], 1
    while True:
        body = report(http, emu, adv, page=page, **params)
        assert body["code"] == 0, body["message"]
        rows += body["data"]["list"]
        if page >= body["data"]["page_info"]["total_page"]:
            return rows
        page += 1


def assert_error(body: dict[str, Any], code: int, *fragments: str) -> None:
    assert body["code"] == code, body
    assert body["data"] == {}
    for fragment in fragments:
        assert fragment in body["message"], body["message"]


# --- envelope and auth ---------------------------------------------------------------------------------


def test_success_envelope_and_request_id(http, emu, adv):
    body = call(http, emu, "advertiser/info/", advertiser_ids=[adv])
    assert set(body) == {"code", "message", "request_id", "data"}
    assert body["code"] == 0 and body["message"] == "OK"
    assert body["request_id"][:14].isdigit() and len(body["request_id"]) > 14
    assert "page_info" not in body["data"]


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, 40104),
        ({"Access-Token": ""}, 40104),
        ({"Access-Token": "nope"}, 40105),
        ({"Access-Token": credentials.REVOKED_TOKEN}, 40105),
        ({"Authorization": f"Bearer {credentials.ACCESS_TOKEN}"}, 40104),
    ],
)
def test_auth_errors_are_http_200_with_body_code(http, emu, adv, headers, code):
    assert_error(call(http, emu, "campaign/get/", headers=headers, advertiser_id=adv), code)


def test_limited_token_cannot_touch_other_advertisers(http, emu, ds):
    first, second = (a["advertiser_id"] for a in ds.advertisers)
    limited = {"Access-Token": credentials.LIMITED_TOKEN}
    assert call(http, emu, "campaign/get/", headers=limited, advertiser_id=first)["code"] == 0
    body = call(http, emu, "campaign/get/", headers=limited, advertiser_id=second)
    assert_error(body, 40001, f"No permission to operate advertiser: {second}")
    body = call(http, emu, "advertiser/info/", headers=limited, advertiser_ids=[first, second])
    assert_error(body, 40001, second)
    body = report(http, emu, second, headers=limited)
    assert_error(body, 40001, second)


def test_unknown_advertiser_is_permission_error(http, emu):
    assert_error(call(http, emu, "ad/get/", advertiser_id="7999999999999999999"), 40001)


# --- oauth2/advertiser/get -------------------------------------------------------------------------------


def test_oauth_advertisers_lists_visible_accounts(http, emu, ds):
    creds = {"app_id": credentials.APP_ID, "secret": credentials.APP_SECRET}
    body = call(http, emu, "oauth2/advertiser/get/", **creds)
    assert body["code"] == 0
    assert body["data"] == {
        "list": [{"advertiser_id": a["advertiser_id"], "advertiser_name": a["name"]} for a in ds.advertisers]
    }
    limited = call(
        http, emu, "oauth2/advertiser/get/", headers={"Access-Token": credentials.LIMITED_TOKEN}, **creds
    )
    assert [a["advertiser_id"] for a in limited["data"]["list"]] == [ds.advertisers[0]["advertiser_id"]]
    empty = call(
        http,
        emu,
        "oauth2/advertiser/get/",
        headers={"Access-Token": credentials.NO_ADVERTISERS_TOKEN},
        **creds,
    )
    assert empty["code"] == 0 and empty["data"]["list"] == []


def test_oauth_advertisers_needs_app_credentials(http, emu):
    assert_error(call(http, emu, "oauth2/advertiser/get/"), 40002, "app_id", "secret")
    assert_error(call(http, emu, "oauth2/advertiser/get/", app_id=credentials.APP_ID), 40002, "secret")
    body = call(http, emu, "oauth2/advertiser/get/", app_id=credentials.APP_ID, secret="wrong")
    assert_error(body, 40001, "app")


# --- advertiser/info -------------------------------------------------------------------------------------


def test_advertiser_info_shapes_and_fields(http, emu, ds):
    ids = [a["advertiser_id"] for a in ds.advertisers]
    rows = call(http, emu, "advertiser/info/", advertiser_ids=ids)["data"]["list"]
    assert [r["advertiser_id"] for r in rows] == ids
    assert len({r["timezone"] for r in rows}) == 2 and len({r["currency"] for r in rows}) == 2
    assert all(isinstance(r["create_time"], int) and "***" in r["email"] for r in rows)
    assert "company_name_editable" not in rows[0]
    some = call(
        http, emu, "advertiser/info/", advertiser_ids=ids[:1], fields=["name", "company_name_editable"]
    )
    assert set(some["data"]["list"][0]) == {"name", "company_name_editable"}


def test_advertiser_info_limits(http, emu, adv):
    too_many = [str(7000000000000000000 + i) for i in range(101)]
    assert_error(call(http, emu, "advertiser/info/", advertiser_ids=too_many), 40002, "advertiser_ids")
    assert_error(call(http, emu, "advertiser/info/"), 40002, "advertiser_ids")
    assert_error(call(http, emu, "advertiser/info/", advertiser_ids=[]), 40002, "advertiser_ids")
    assert_error(call(http, emu, "advertiser/info/", advertiser_ids=[adv], fields=["nope"]), 40002, "nope")


# --- entity endpoints ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["campaign", "adgroup", "ad"])
def test_entity_pages_concatenate_to_dataset(http, emu, ds, kind):
    for adv_row in ds.advertisers:
        adv_id = adv_row["advertiser_id"]
        expected = ds.entities(kind, adv_id, include_deleted=False)
        got, page = [], 1
        while True:
            body = call(http, emu, f"{kind}/get/", advertiser_id=adv_id, page=page, page_size=3)
            info = body["data"]["page_info"]
            assert info == {
                "page": page,
                "page_size": 3,
                "total_number": len(expected),
                "total_page": -(-len(expected) // 3),
            }
            got += body["data"]["list"]
            if page >= info["total_page"]:
                break
            page += 1
        assert got == expected
        past = call(http, emu, f"{kind}/get/", advertiser_id=adv_id, page=page + 1, page_size=3)["data"]
        assert past["list"] == [] and past["page_info"]["total_number"] == len(expected)


def test_entity_default_page_size_and_param_bounds(http, emu, adv):
    assert call(http, emu, "ad/get/", advertiser_id=adv)["data"]["page_info"]["page_size"] == 10
    assert_error(call(http, emu, "ad/get/", advertiser_id=adv, page_size=1001), 40002, "page_size")
    assert_error(call(http, emu, "ad/get/", advertiser_id=adv, page_size=0), 40002, "page_size")
    assert_error(call(http, emu, "ad/get/", advertiser_id=adv, page=0), 40002, "page")
    assert_error(call(http, emu, "ad/get/"), 40002, "advertiser_id")


def test_entity_values_look_like_tiktok(ds):
    for c in ds.campaigns:
        assert len(c["campaign_id"]) == 19 and c["campaign_id"].isdigit()
        assert isinstance(c["budget"], float) and len(c["create_time"]) == 19
    start = f"{WINDOW[0]} 00:00:00"
    stamps = [e["modify_time"] for e in ds.campaigns + ds.adgroups + ds.ads]
    assert any(s < start for s in stamps) and any(s >= start for s in stamps)
    assert all(e["create_time"] < start for e in ds.ads)


def test_deleted_entities_need_status_all(http, emu, ds):
    deleted_campaigns = [c for c in ds.campaigns if c["secondary_status"] == "CAMPAIGN_STATUS_DELETE"]
    assert deleted_campaigns, "spec should produce a deleted campaign"
    adv_id = deleted_campaigns[0]["advertiser_id"]
    dead_id = deleted_campaigns[0]["campaign_id"]
    default = call(http, emu, "campaign/get/", advertiser_id=adv_id, page_size=1000)["data"]["list"]
    assert dead_id not in {c["campaign_id"] for c in default}
    for filtering in ({"primary_status": "STATUS_ALL"}, {"secondary_status": "CAMPAIGN_STATUS_ALL"}):
        listed = call(http, emu, "campaign/get/", advertiser_id=adv_id, page_size=1000, filtering=filtering)
        assert listed["data"]["list"] == ds.entities("campaign", adv_id, include_deleted=True)
    # Children of a deleted campaign are deleted too.
    ads = call(
        http,
        emu,
        "ad/get/",
        advertiser_id=adv_id,
        page_size=1000,
        filtering={"campaign_ids": [dead_id], "primary_status": "STATUS_ALL"},
    )["data"]["list"]
    assert ads and all(a["secondary_status"] == "AD_STATUS_DELETE" for a in ads)
    only_live = call(http, emu, "ad/get/", advertiser_id=adv_id, filtering={"campaign_ids": [dead_id]})
    assert only_live["data"]["list"] == []


def test_entity_filtering_rules(http, emu, adv, ds):
    body = call(http, emu, "campaign/get/", advertiser_id=adv, filtering=[{"campaign_ids": ["1"]}])
    assert_error(body, 40002, "filtering")
    assert_error(call(http, emu, "campaign/get/", advertiser_id=adv, filtering={"bogus": 1}), 40002, "bogus")
    too_many = {"campaign_ids": [str(i) for i in range(101)]}
    assert_error(
        call(http, emu, "campaign/get/", advertiser_id=adv, filtering=too_many), 40002, "campaign_ids"
    )
    mixed = {"buying_types": ["AUCTION", "RESERVATION_TOP_VIEW"]}
    assert_error(
        call(http, emu, "campaign/get/", advertiser_id=adv, filtering=mixed), 40002, "RESERVATION_TOP_VIEW"
    )
    body = call(
        http, emu, "campaign/get/", advertiser_id=adv, filtering={"modified_after": "2026-01-01 00:00:00"}
    )
    assert_error(body, 40002, "modified_after")
    assert_error(call(http, emu, "campaign/get/", advertiser_id=adv, fields=["nope"]), 40002, "nope")
    fields = call(http, emu, "campaign/get/", advertiser_id=adv, fields=["campaign_id", "modify_time"])
    assert all(set(c) == {"campaign_id", "modify_time"} for c in fields["data"]["list"])


def test_ad_modified_after_and_creation_window(http, emu, adv, ds):
    ads = ds.entities("ad", adv, include_deleted=False)
    cutoff = sorted(a["modify_time"] for a in ads)[len(ads) // 2]
    body = call(http, emu, "ad/get/", advertiser_id=adv, page_size=1000, filtering={"modified_after": cutoff})
    assert body["data"]["list"] == [a for a in ads if a["modify_time"] > cutoff]
    created = sorted(a["create_time"] for a in ads)
    window = {"creation_filter_start_time": created[1], "creation_filter_end_time": created[-2]}
    got = call(http, emu, "ad/get/", advertiser_id=adv, page_size=1000, filtering=window)["data"]["list"]
    assert got == [a for a in ads if created[1] <= a["create_time"] <= created[-2]]


def test_top_view_and_smart_plus():
    data = Dataset.generate(
        DatasetSpec(
            advertisers=1, campaigns_per_advertiser=4, end_date=END, topview_every=2, smart_plus_every=3
        )
    )
    adv_id = data.advertisers[0]["advertiser_id"]
    with Emulator(data) as e, requests.Session() as s:
        default = call(s, e, "campaign/get/", advertiser_id=adv_id, page_size=1000)["data"]["list"]
        top = call(
            s,
            e,
            "campaign/get/",
            advertiser_id=adv_id,
            page_size=1000,
            filtering={"buying_types": ["RESERVATION_TOP_VIEW"]},
        )["data"]["list"]
        assert default == data.entities("campaign", adv_id, False)
        assert top == data.entities("campaign", adv_id, False, buying_types=["RESERVATION_TOP_VIEW"])
        assert top and not {c["campaign_id"] for c in top} & {c["campaign_id"] for c in default}
        ads = call(s, e, "ad/get/", advertiser_id=adv_id, page_size=1000)["data"]["list"]
        assert any("modify_time" not in a for a in ads) and any("modify_time" in a for a in ads)
        # TopView delivery stays out of auction-level reports unless asked for with buying_type.
        top_rows = report(
            s,
            e,
            adv_id,
            data_level="AUCTION_CAMPAIGN",
            dimensions=["campaign_id"],
            filtering=[
                {"field_name": "buying_type", "filter_type": "IN", "filter_value": '["RESERVATION_TOP_VIEW"]'}
            ],
        )["data"]["list"]
        top_ids = {c["campaign_id"] for c in top}
        assert top_rows and {r["dimensions"]["campaign_id"] for r in top_rows} <= top_ids
        auction_rows = report(s, e, adv_id, data_level="AUCTION_CAMPAIGN", dimensions=["campaign_id"])[
            "data"
        ]["list"]
        assert auction_rows and not {r["dimensions"]["campaign_id"] for r in auction_rows} & top_ids


# --- report validation -----------------------------------------------------------------------------------

BAD_REPORTS = [
    ({"dimensions": ["campaign_id", "ad_id", "stat_time_day"]}, "campaign_id"),
    ({"dimensions": ["adgroup_id", "stat_time_day"]}, "ad_id"),
    ({"dimensions": ["ad_id", "stat_time_day", "stat_time_hour"]}, "stat_time_hour"),
    ({"start_date": "2026-10-26", "end_date": "2026-11-25"}, "30"),
    (
        {"dimensions": ["ad_id", "stat_time_hour"], "start_date": "2026-11-24", "end_date": "2026-11-25"},
        "same",
    ),
    ({"dimensions": ["ad_id"], "start_date": "2025-11-25", "end_date": "2026-11-25"}, "365"),
    ({"start_date": "2026-11-25", "end_date": "2026-11-24"}, "end_date"),
    ({"start_date": "2026/11/01"}, "start_date"),
    ({"end_date": ""}, "end_date"),
    ({"report_type": "AUDIENCE", "dimensions": ["ad_id", "stat_time_day"]}, "audience"),
    (
        {
            "report_type": "AUDIENCE",
            "dimensions": ["ad_id", "stat_time_hour", "gender"],
            "end_date": WINDOW[0],
        },
        "hour",
    ),
    ({"report_type": "AUDIENCE", "dimensions": ["ad_id", "gender", "platform"]}, "combined"),
    ({"dimensions": ["ad_id", "gender"]}, "AUDIENCE"),
    ({"dimensions": ["ad_id", "search_terms"]}, "search_terms"),
    ({"query_lifetime": "true", "dimensions": ["ad_id", "stat_time_day"]}, "stat_time_day"),
    ({"query_lifetime": "true", "dimensions": ["ad_id", "country_code"]}, "country_code"),
    ({"query_lifetime": "true", "report_type": "AUDIENCE", "dimensions": ["ad_id", "gender"]}, "BASIC"),
    ({"metrics": ["spend", "not_a_metric"]}, "Invalid metric fields: ['not_a_metric']"),
    ({"metrics": ["placement"]}, "Invalid metric fields: ['placement']"),
    ({"metrics": ["spend", "cash_spend", "voucher_spend"]}, "['cash_spend', 'voucher_spend']"),
    (
        {
            "data_level": "AUCTION_ADVERTISER",
            "dimensions": ["advertiser_id", "stat_time_hour"],
            "metrics": ["cash_spend"],
            "end_date": WINDOW[0],
        },
        "['cash_spend']",
    ),
    (
        {"data_level": "AUCTION_CAMPAIGN", "dimensions": ["campaign_id"], "metrics": ["adgroup_name"]},
        "['adgroup_name']",
    ),
    ({"data_level": "AUCTION_ADGROUP", "dimensions": ["adgroup_id"], "metrics": ["ad_name"]}, "['ad_name']"),
    (
        {"data_level": "AUCTION_ADVERTISER", "dimensions": ["advertiser_id"], "metrics": ["conversion"]},
        "['conversion']",
    ),
    (
        {"data_level": "AUCTION_CAMPAIGN", "dimensions": ["campaign_id"], "metrics": ["total_purchase"]},
        "['total_purchase']",
    ),
    (
        {
            "report_type": "AUDIENCE",
            "dimensions": ["ad_id", "stat_time_day", "gender"],
            "metrics": ["spend", "reach"],
        },
        "['reach']",
    ),
    (
        {
            "report_type": "AUDIENCE",
            "dimensions": ["ad_id", "gender"],
            "metrics": ["video_views_p25", "likes"],
        },
        "['video_views_p25', 'likes']",
    ),
    (
        {"dimensions": ["ad_id", "stat_time_hour"], "end_date": WINDOW[0], "metrics": ["paid_engaged_view"]},
        "paid",
    ),
    (
        {
            "data_level": "AUCTION_CAMPAIGN",
            "dimensions": ["campaign_id"],
            "filtering": [{"field_name": "ad_status", "filter_type": "IN", "filter_value": '["STATUS_ALL"]'}],
        },
        "ad_status",
    ),
    (
        {
            "data_level": "AUCTION_ADVERTISER",
            "dimensions": ["advertiser_id"],
            "filtering": [
                {"field_name": "campaign_status", "filter_type": "IN", "filter_value": '["STATUS_ALL"]'}
            ],
        },
        "campaign_status",
    ),
    ({"filtering": {"field_name": "ad_status"}}, "filtering"),
    (
        {"filtering": [{"field_name": "ad_status", "filter_type": "IN", "filter_value": ["STATUS_ALL"]}]},
        "string",
    ),
    ({"report_type": "PLAYABLE_MATERIAL"}, "not supported"),
    ({"report_type": "NOPE"}, "report_type"),
    ({"data_level": "AUCTION_NOPE"}, "data_level"),
    ({"service_type": "RESERVATION"}, "service_type"),
    ({"page_size": 1001}, "page_size"),
    ({"dimensions": "ad_id"}, "dimensions"),
]


@pytest.mark.parametrize(("params", "fragment"), BAD_REPORTS)
def test_report_validation(http, emu, adv, params, fragment):
    assert_error(report(http, emu, adv, **params), 40002, fragment)


GOOD_REPORTS = [
    {"start_date": "2026-10-27", "end_date": "2026-11-25"},  # 30 inclusive days
    {"dimensions": ["ad_id", "stat_time_hour"], "start_date": "2026-11-25", "end_date": "2026-11-25"},
    {"dimensions": ["ad_id"], "start_date": "2025-11-26", "end_date": "2026-11-25"},  # 365 days
    {"query_lifetime": "true", "dimensions": ["ad_id"]},
    {"report_type": "AUDIENCE", "dimensions": ["ad_id", "stat_time_day", "gender", "age"]},
    {
        "report_type": "AUDIENCE",
        "dimensions": ["advertiser_id", "gender", "age"],
        "data_level": "AUCTION_ADVERTISER",
    },
    {"dimensions": ["adgroup_id", "stat_time_day", "country_code"], "data_level": "AUCTION_ADGROUP"},
    {
        "data_level": "AUCTION_ADVERTISER",
        "dimensions": ["advertiser_id", "stat_time_day"],
        "metrics": ["spend", "cash_spend", "voucher_spend", "advertiser_name", "currency"],
    },
    {
        "metrics": [
            "spend",
            "campaign_id",
            "adgroup_id",
            "conversion",
            "secondary_goal_result",
            "placement_type",
        ]
    },
    {"metrics": ["spend"], "filters": [{"field_name": "bogus", "filter_type": "IN", "filter_value": "[]"}]},
]


@pytest.mark.parametrize("params", GOOD_REPORTS)
def test_report_accepts_documented_shapes(http, emu, adv, params):
    body = report(http, emu, adv, **params)
    assert body["code"] == 0, body["message"]
    assert body["data"]["list"] and "page_info" in body["data"]


def test_report_default_metrics_and_string_values(http, emu, adv):
    body = report(http, emu, adv, page_size=5)
    row = body["data"]["list"][0]
    assert set(row["metrics"]) == {"spend", "impressions"}
    assert set(row["dimensions"]) == {"ad_id", "stat_time_day"}
    assert row["dimensions"]["stat_time_day"].endswith(" 00:00:00")
    assert row["metrics"]["spend"].count(".") == 1 and row["metrics"]["impressions"].isdigit()
    full = report(
        http, emu, adv, metrics=["secondary_goal_result", "placement_type", "ctr", "dpa_target_audience_type"]
    )
    values = [r["metrics"] for r in full["data"]["list"]]
    assert {v["secondary_goal_result"] == "-" for v in values} == {True, False}
    assert {v["placement_type"] for v in values} <= {"Automatic Placement", "Select Placement"}
    assert all(v["dpa_target_audience_type"] is None for v in values)


def test_report_rows_match_dataset_and_old_filters_name_is_ignored(http, emu, adv, ds):
    expected = ds.report_rows(
        "BASIC", "AUCTION_AD", ["ad_id", "stat_time_day"], *WINDOW, False, advertiser_id=adv
    )
    got = all_rows(http, emu, adv, metrics=["spend", "impressions", "ctr"])
    assert len(got) == len(expected)
    assert [r["metrics"]["spend"] for r in got] == [r["metrics"]["spend"] for r in expected]
    ignored = all_rows(
        http,
        emu,
        adv,
        filters=[{"field_name": "ad_status", "filter_type": "IN", "filter_value": '["STATUS_ALL"]'}],
    )
    assert len(ignored) == len(expected)


def test_report_deleted_rows_need_matching_status_filter(http, emu, ds):
    adv_id = next(a["advertiser_id"] for a in ds.ads if ds.is_deleted(a["ad_id"]))
    status_all = [{"field_name": "ad_status", "filter_type": "IN", "filter_value": '["STATUS_ALL"]'}]
    live = all_rows(http, emu, adv_id)
    every = all_rows(http, emu, adv_id, filtering=status_all)
    dead_ids = {a["ad_id"] for a in ds.ads if ds.is_deleted(a["ad_id"])}
    assert not {r["dimensions"]["ad_id"] for r in live} & dead_ids
    assert {r["dimensions"]["ad_id"] for r in every} & dead_ids
    expected = ds.report_rows(
        "BASIC", "AUCTION_AD", ["ad_id", "stat_time_day"], *WINDOW, True, advertiser_id=adv_id
    )
    assert len(every) == len(expected) > len(live)


def _sum(rows: list[dict], metric: str, key: str | None = None) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        out[r["dimensions"][key] if key else ""] += Decimal(r["metrics"][metric])
    return dict(out)


def test_report_levels_reconcile(http, emu, ds):
    adv_id = ds.advertisers[1]["advertiser_id"]
    metrics = ["spend", "impressions", "clicks", "ctr"]
    by_level = {}
    for level, id_dim in (
        ("AUCTION_ADVERTISER", "advertiser_id"),
        ("AUCTION_CAMPAIGN", "campaign_id"),
        ("AUCTION_ADGROUP", "adgroup_id"),
        ("AUCTION_AD", "ad_id"),
    ):
        filtering = []
        if level != "AUCTION_ADVERTISER":
            field = {"AUCTION_CAMPAIGN": "campaign_status", "AUCTION_ADGROUP": "adgroup_status"}.get(
                level, "ad_status"
            )
            filtering = [{"field_name": field, "filter_type": "IN", "filter_value": '["STATUS_ALL"]'}]
        by_level[level] = all_rows(
            http,
            emu,
            adv_id,
            data_level=level,
            dimensions=[id_dim, "stat_time_day"],
            metrics=metrics,
            filtering=filtering,
        )
    for metric in ("spend", "impressions", "clicks"):
        sums = [_sum(rows, metric, "stat_time_day") for rows in by_level.values()]
        assert all(s == sums[0] for s in sums), metric
    for row in by_level["AUCTION_ADVERTISER"]:
        m = row["metrics"]
        ctr = (Decimal(m["clicks"]) * 100 / Decimal(m["impressions"])).quantize(Decimal("0.01"))
        assert m["ctr"] == str(ctr)
    # Without STATUS_ALL, deleted campaigns' spend disappears from the campaign level.
    default = all_rows(
        http, emu, adv_id, data_level="AUCTION_CAMPAIGN", dimensions=["campaign_id"], metrics=["spend"]
    )
    adv_total = _sum(by_level["AUCTION_ADVERTISER"], "spend")[""]
    assert _sum(default, "spend")[""] < adv_total


def test_hours_lifetime_and_audience_sum_back(http, emu, adv, ds):
    day = WINDOW[1]
    daily = all_rows(http, emu, adv, start_date=day, end_date=day, metrics=["spend", "impressions"])
    hourly = all_rows(
        http,
        emu,
        adv,
        dimensions=["ad_id", "stat_time_hour"],
        start_date=day,
        end_date=day,
        metrics=["spend"],
    )
    assert len(hourly) > len(daily)
    assert all(r["dimensions"]["stat_time_hour"].startswith(day) for r in hourly)
    assert _sum(hourly, "spend", "ad_id") == _sum(daily, "spend", "ad_id")
    assert len(hourly) < 24 * len(daily), "some hours should have no delivery"

    month = all_rows(http, emu, adv, dimensions=["ad_id"], metrics=["spend"])
    lifetime = all_rows(http, emu, adv, dimensions=["ad_id"], query_lifetime="true", metrics=["spend"])
    assert _sum(month, "spend", "ad_id") == _sum(lifetime, "spend", "ad_id")

    basic = all_rows(http, emu, adv, metrics=["spend", "impressions", "clicks"])
    for dims in (["gender", "age"], ["gender"], ["country_code"], ["platform"], ["province_id"]):
        split = all_rows(
            http,
            emu,
            adv,
            report_type="AUDIENCE",
            dimensions=["ad_id", "stat_time_day", *dims],
            metrics=["spend", "impressions", "clicks"],
        )
        assert len(split) > len(basic)
        for metric in ("spend", "impressions", "clicks"):
            totals: dict[tuple, Decimal] = defaultdict(Decimal)
            for r in split:
                totals[(r["dimensions"]["ad_id"], r["dimensions"]["stat_time_day"])] += Decimal(
                    r["metrics"][metric]
                )
            want = {
                (r["dimensions"]["ad_id"], r["dimensions"]["stat_time_day"]): Decimal(r["metrics"][metric])
                for r in basic
            }
            assert totals == want, (dims, metric)
    country = all_rows(
        http,
        emu,
        adv,
        dimensions=["ad_id", "stat_time_day", "country_code"],
        metrics=["spend", "impressions"],
    )
    assert _sum(country, "spend", "ad_id") == _sum(basic, "spend", "ad_id")


def test_report_pagination_and_ordering(http, emu, adv):
    first = report(http, emu, adv, page_size=7, metrics=["spend"])["data"]
    total = first["page_info"]["total_number"]
    assert first["page_info"] == {
        "page": 1,
        "page_size": 7,
        "total_number": total,
        "total_page": -(-total // 7),
    }
    past = report(http, emu, adv, page_size=7, page=first["page_info"]["total_page"] + 1)["data"]
    assert past["list"] == [] and past["page_info"]["total_number"] == total
    ordered = report(http, emu, adv, order_field="spend", order_type="ASC", metrics=["spend"])["data"]["list"]
    spends = [Decimal(r["metrics"]["spend"]) for r in ordered]
    assert spends == sorted(spends)
    totals = report(http, emu, adv, enable_total_metrics="true", metrics=["spend", "impressions"])["data"]
    assert Decimal(totals["total_metrics"]["spend"]) == sum(
        Decimal(r["metrics"]["spend"]) for r in totals["list"]
    )


def test_query_too_large(http, fresh, adv):
    fresh.faults = FaultPlan(query_too_large_rows=50)
    assert_error(report(http, fresh, adv), 40067, "too large")
    small = report(http, fresh, adv, start_date=WINDOW[1], end_date=WINDOW[1])
    assert small["code"] == 0 and 0 < len(small["data"]["list"]) <= 50


def test_dataset_is_deterministic(ds):
    again = Dataset.generate(SPEC)
    assert again.campaigns == ds.campaigns and again.ads == ds.ads
    args = ("BASIC", "AUCTION_CAMPAIGN", ["campaign_id", "stat_time_day"], *WINDOW, True)
    assert again.report_rows(*args, metrics=["spend", "clicks"]) == ds.report_rows(
        *args, metrics=["spend", "clicks"]
    )


# --- faults ----------------------------------------------------------------------------------------------


def _codes(http: requests.Session, emu: Emulator, adv: str, n: int, path: str = "campaign/get/") -> list:
    out = []
    for _ in range(n):
        response = http.get(emu.base_url + path, params={"advertiser_id": adv}, headers=FULL)
        try:
            body = response.json()
        except ValueError:
            out.append((response.status_code, "not-json"))
            continue
        out.append(body.get("code") if isinstance(body, dict) else type(body).__name__)
    return out


def test_rate_limit_every_and_counts(http, fresh, adv):
    fresh.faults = FaultPlan(rate_limit_every=3)
    codes = _codes(http, fresh, adv, 6)
    assert codes == [0, 0, 40100, 0, 0, 40100]
    body = http.get(fresh.base_url + "campaign/get/", params={"advertiser_id": adv}, headers=FULL)
    assert body.json()["code"] == 0
    fresh.faults = FaultPlan(rate_limit_every=1)
    msg = call(http, fresh, "campaign/get/", advertiser_id=adv)["message"]
    assert (
        msg
        == f"Due to too many requests, requests from App [{credentials.APP_ID}] are temporarily restricted."
    )
    assert fresh.request_count() == 8 and fresh.request_count("campaign/get/") == 8
    assert fresh.requests[0].path == "campaign/get/" and fresh.requests[0].params == {"advertiser_id": adv}


def test_qps_caps(http, fresh, adv, ds):
    fresh.faults = FaultPlan(qps_cap=3)
    assert _codes(http, fresh, adv, 5)[3:] == [40100, 40100]
    time.sleep(1.05)
    assert _codes(http, fresh, adv, 1) == [0]
    fresh.faults = FaultPlan(advertiser_qps_cap=2)
    codes = _codes(http, fresh, adv, 3)
    other = _codes(http, fresh, ds.advertisers[1]["advertiser_id"], 1)
    assert codes == [0, 0, 40133] and other == [0]
    body = call(http, fresh, "campaign/get/", advertiser_id=adv)
    assert_error(body, 40133, f"Advertiser ({adv})'s QPS", "QPS limit 2 for current path")


@pytest.mark.parametrize(("status", "kind"), [(500, "json"), (502, "html"), (504, "empty")])
def test_http_errors(http, fresh, adv, status, kind):
    fresh.faults = FaultPlan(http_error_every=2, http_error_status=status, http_error_body=kind)
    responses = [
        http.get(fresh.base_url + "ad/get/", params={"advertiser_id": adv}, headers=FULL) for _ in range(2)
    ]
    assert responses[0].status_code == 200 and responses[1].status_code == status
    if kind == "json":
        assert responses[1].json()["code"] == 50000
    elif kind == "html":
        assert responses[1].text.startswith("<html>")
    else:
        assert responses[1].content == b""
    assert fresh.request_count("ad/get/") == 2


def test_derived_metrics_follow_their_formulas_from_the_rows_counts(ds: Dataset) -> None:
    """Rows are built by one compiled expression per metric list; each derived metric must still be
    its formula over the same row's counts, rounded half up, or "-" without a secondary goal."""
    derived = {
        # metric: (numerator, denominator, scale, decimal places)
        "cpc": ("spend", "clicks", 1, 2),
        "cpm": ("spend", "impressions", 1000, 2),
        "ctr": ("clicks", "impressions", 100, 2),
        "frequency": ("impressions", "reach", 1, 2),
        "cost_per_result": ("spend", "result", 1, 4),
        "conversion_rate_v2": ("conversion", "impressions", 100, 2),
        "cost_per_secondary_goal_result": ("spend", "secondary_goal_result", 1, 4),
    }
    counts = ["spend", "clicks", "impressions", "reach", "result", "conversion", "secondary_goal_result"]
    rows = ds.report_rows(
        "BASIC",
        "AUCTION_AD",
        ["ad_id", "stat_time_day"],
        ds.days[0],
        ds.days[-1],
        False,
        metrics=[*derived, *counts],
    )
    assert rows
    seen_not_applicable = seen_value = False
    for row in rows:
        m = row["metrics"]
        assert list(m) == [*derived, *counts]
        for name, (num, den, scale, digits) in derived.items():
            if m[den] == "-":
                assert m[name] == "-", name
                seen_not_applicable = True
                continue
            expected = (
                Decimal(m[num]) * scale / Decimal(m[den]) if Decimal(m[den]) else Decimal(0)
            ).quantize(Decimal(1).scaleb(-digits), rounding="ROUND_HALF_UP")
            assert m[name] == str(expected), (name, m)
            seen_value = seen_value or name == "cost_per_secondary_goal_result"
    assert seen_not_applicable and seen_value


def test_body_faults(http, fresh, adv):
    for code in (50000, 50002, 60001):
        fresh.faults = FaultPlan(code_every=1, code=code)
        assert _codes(http, fresh, adv, 1) == [code]
    fresh.faults = FaultPlan(truncated_every=1)
    response = http.get(fresh.base_url + "campaign/get/", params={"advertiser_id": adv}, headers=FULL)
    assert response.status_code == 200 and response.text.startswith('{"code":0')
    with pytest.raises(ValueError):
        response.json()
    fresh.faults = FaultPlan(not_object_every=1)
    assert _codes(http, fresh, adv, 1) == ["list"]
    fresh.faults = FaultPlan(missing_data_every=1)
    body = call(http, fresh, "campaign/get/", advertiser_id=adv)
    assert body["code"] == 0 and "data" not in body


def test_latency_and_spikes(http, fresh, adv):
    fresh.faults = FaultPlan(latency_ms=150)
    started = time.monotonic()
    _codes(http, fresh, adv, 1)
    assert time.monotonic() - started >= 0.15
    fresh.faults = FaultPlan(spike_every=2, spike_ms=300)
    times = []
    for _ in range(2):
        started = time.monotonic()
        _codes(http, fresh, adv, 1)
        times.append(time.monotonic() - started)
    assert times[0] < 0.25 <= 0.3 <= times[1]


def test_revoke_after_and_deny(http, fresh, ds):
    first, second = (a["advertiser_id"] for a in ds.advertisers)
    fresh.faults = FaultPlan(revoke_after=2)
    assert _codes(http, fresh, first, 3) == [0, 0, 40105]
    fresh.faults = FaultPlan(deny=frozenset({(first, "/ad/get/")}))
    body = call(http, fresh, "ad/get/", advertiser_id=first)
    assert_error(body, 40001, "advertiser does not grant you /ad/get/:GET permission")
    assert call(http, fresh, "ad/get/", advertiser_id=second)["code"] == 0
    assert call(http, fresh, "campaign/get/", advertiser_id=first)["code"] == 0


def test_admin_endpoints(http, fresh, adv):
    _codes(http, fresh, adv, 2)
    stats = http.get(fresh.base_url.split("/open_api/")[0] + "/_emulator/stats").json()
    assert stats == {"total": 2, "by_path": {"campaign/get/": 2}, "most_in_flight": 1}
    posted = http.post(
        fresh.base_url.split("/open_api/")[0] + "/_emulator/faults", json={"code_every": 1, "code": 50002}
    )
    assert posted.status_code == 200 and fresh.faults.code == 50002
    assert _codes(http, fresh, adv, 1) == [50002]
    bad = http.post(fresh.base_url.split("/open_api/")[0] + "/_emulator/faults", json={"nope": 1})
    assert bad.status_code == 400
    assert fresh.request_count() == 3


def test_sandbox_mode(http, ds, adv):
    with Emulator(ds, sandbox=True) as sandbox:
        creds = {"app_id": credentials.APP_ID, "secret": credentials.APP_SECRET}
        assert call(http, sandbox, "oauth2/advertiser/get/", **creds)["code"] in (40001, 40002)
        assert call(http, sandbox, "advertiser/info/", advertiser_ids=[adv])["code"] in (40001, 40002)
        campaigns = call(http, sandbox, "campaign/get/", advertiser_id=adv)["data"]["list"]
        assert campaigns and all("secondary_status" not in c for c in campaigns)
        body = report(http, sandbox, adv, data_level="AUCTION_ADVERTISER", dimensions=["advertiser_id"])
        assert_error(body, 40002, "AUCTION_ADVERTISER")


def test_cli_prints_url_and_serves():
    root = Path(__file__).parent.parent  # integration_tests: where `tiktok_emulator` is importable
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tiktok_emulator",
            "--port",
            "0",
            "--advertisers",
            "1",
            "--days",
            "3",
            "--sandbox",
        ],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("EMULATOR_URL=http://127.0.0.1:") and line.endswith("/open_api/v1.3/")
        base = line.split("=", 1)[1]
        body = requests.get(
            base + "campaign/get/", params={"advertiser_id": "7000001000000000001"}, headers=FULL
        )
        assert body.json()["code"] == 0
        stats = requests.get(base.split("/open_api/")[0] + "/_emulator/stats").json()
        assert stats["total"] == 1
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_metric_formatting_rounds_half_up_like_decimal() -> None:
    """TikTok's metric strings are fixed-point, rounded half up; the emulator's integer shortcut must
    print exactly what the Decimal definition prints, halves and negatives included."""

    def by_decimal(num: int, den: int, scale: int, digits: int, num_milli: bool) -> str:
        if den == 0:
            return _q(Decimal(0), digits)
        value = Decimal(num) / 1000 if num_milli else Decimal(num)
        return _q(value * scale / den, digits)

    rng = random.Random(7)
    cases = [(5, 2, 1, 0, False), (1, 8, 100, 2, False), (1, 2000, 1, 3, True), (-3, 2, 1, 0, False)]
    for _ in range(5000):
        cases.append(
            (
                rng.randint(-(10**6), 10 ** rng.randint(0, 10)),
                rng.choice([0, 2, 4, 8, 200, rng.randint(1, 10 ** rng.randint(1, 8))]),
                rng.choice([1, 100, 1000]),
                rng.choice([0, 2, 3, 4]),
                rng.random() < 0.5,
            )
        )
    for case in cases:
        assert fmt_ratio(*case) == by_decimal(*case), case
    for milli in [0, 5, 499, 500, -1500, *(rng.randint(0, 10**12) for _ in range(2000))]:
        assert fmt_money(milli) == _q(Decimal(milli) / 1000, 3), milli


def test_proportional_split_is_exact_in_64_bit_integers() -> None:
    """Every breakdown and hour is cut from its parent with integer shares that add back exactly, each
    within one of its proportional value; numbers too large to multiply in 64 bits are refused."""
    rng = random.Random(11)
    for _ in range(300):
        rows, values, counters = rng.randint(1, 4), rng.randint(1, 30), rng.randint(1, 8)
        parts = np.array(
            [[rng.choice([0, rng.randint(0, 10**12)]) for _ in range(counters)] for _ in range(rows)],
            dtype=np.int64,
        )
        weights = [[rng.choice([0, rng.randint(1, 100)]) for _ in range(values)] for _ in range(rows)]
        for row in weights:
            row[rng.randrange(values)] = rng.randint(1, 100)  # every parent keeps one non-zero weight
        shares = _split_ints(parts, np.array(weights, dtype=np.int64)).tolist()
        assert len(shares) == rows * values
        for p, row_weights in enumerate(weights):
            block = shares[p * values : (p + 1) * values]
            total = sum(row_weights)
            for c in range(counters):
                x = int(parts[p, c])
                assert sum(share[c] for share in block) == x
                for share, w in zip(block, row_weights, strict=True):
                    assert share[c] >= 0
                    assert abs(share[c] - x * w / total) < 1 or (w == 0 and share[c] == 0)
    with pytest.raises(OverflowError):
        _split_ints(np.array([[2**62]], dtype=np.int64), np.array([[1, 3]], dtype=np.int64))
