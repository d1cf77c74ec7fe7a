"""Every id field is a string in schemas and records, whether TikTok sent a string or a number."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests_mock
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read

from source_tiktok_ads import SourceTiktokAds
from source_tiktok_ads.streams.string_ids import apply_plan, id_plan, with_string_ids

from .conftest import BASE_URL, envelope, raw_config

SCHEMAS = Path(__file__).resolve().parents[1] / "source_tiktok_ads" / "schemas"
PAGE_INFO = {"page": 1, "page_size": 1000, "total_number": 1, "total_page": 1}


def id_fields(schema: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = []
    for name, field in (schema.get("properties") or {}).items():
        if name == "id" or name.endswith("_id") or name.endswith("_ids"):
            found.append((path + name, field))
        if isinstance(field.get("properties"), dict):
            found += id_fields(field, f"{path}{name}.")
        if isinstance(field.get("items"), dict) and isinstance(field["items"].get("properties"), dict):
            found += id_fields(field["items"], f"{path}{name}[].")
    return found


@pytest.mark.parametrize("schema_file", sorted(SCHEMAS.glob("*.json")), ids=lambda path: path.stem)
def test_every_id_field_of_every_schema_is_a_string(schema_file: Path) -> None:
    # `external_id` of pixels' advanced matching is a flag saying whether it is collected, not an id.
    for path, field in id_fields(json.loads(schema_file.read_text())):
        if path.endswith("external_id"):
            continue
        types = set(field["type"]) if isinstance(field["type"], list) else {field["type"]}
        items = field.get("items", {}).get("type", [])
        assert "string" in types or ("array" in types and "string" in items), f"{schema_file.stem}.{path}"


def test_nested_ids_and_id_lists_become_strings_and_flags_do_not() -> None:
    schema = json.loads((SCHEMAS / "ads.json").read_text())
    record = {"ad_id": 1714125042508817, "tracking_pixel_id": 0, "image_ids": [1, "2"], "is_aco": True}
    apply_plan(record, id_plan(schema))
    assert record == {
        "ad_id": "1714125042508817",
        "tracking_pixel_id": "0",
        "image_ids": ["1", "2"],
        "is_aco": True,
    }
    pixels = json.loads((SCHEMAS / "pixels.json").read_text())
    pixel = {
        "pixel_id": 7,
        "events": [{"event_id": 8}],
        "automatic_advanced_matching_fields": {"external_id": True},
    }
    apply_plan(pixel, id_plan(pixels))
    assert pixel["pixel_id"] == "7" and pixel["events"] == [{"event_id": "8"}]
    assert pixel["automatic_advanced_matching_fields"] == {"external_id": True}


def read_stream(stream: str) -> list[dict[str, Any]]:
    catalog = CatalogBuilder().with_stream(stream, SyncMode.full_refresh).build()
    with requests_mock.Mocker() as mock:
        mock.get(
            BASE_URL + "oauth2/advertiser/get/",
            json=envelope({"list": [{"advertiser_id": 7001035076276387841, "advertiser_name": "A"}]}),
        )
        mock.get(
            BASE_URL + "advertiser/info/",
            json=envelope({"list": [{"advertiser_id": 7001035076276387841, "timezone": "UTC", "name": "A"}]}),
        )
        campaign = {
            "advertiser_id": 7001035076276387841,
            "campaign_id": 1714125042508817,
            "campaign_name": "C",
        }
        mock.get(BASE_URL + "campaign/get/", json=envelope({"list": [campaign], "page_info": PAGE_INFO}))
        ad = {
            "advertiser_id": 7001035076276387841,
            "ad_id": 1714125049901106,
            "tracking_pixel_id": 6937,
            "image_ids": [9],
        }
        mock.get(BASE_URL + "ad/get/", json=envelope({"list": [ad], "page_info": PAGE_INFO}))
        output = read(SourceTiktokAds(), raw_config(), catalog)
    assert not output.errors, output.errors
    return [message.record.data for message in output.records]


@pytest.mark.parametrize(
    ("stream", "fields"),
    [
        ("advertiser_ids", ["advertiser_id"]),
        ("advertisers", ["advertiser_id"]),
        ("campaigns", ["advertiser_id", "campaign_id"]),
        ("ads", ["advertiser_id", "ad_id", "tracking_pixel_id"]),
    ],
)
def test_numeric_ids_from_tiktok_come_out_as_strings(stream: str, fields: list[str]) -> None:
    records = read_stream(stream)
    assert records
    for record in records:
        for field in fields:
            assert isinstance(record[field], str) and record[field].isdigit(), (field, record[field])
    if stream == "ads":
        assert records[0]["image_ids"] == ["9"]
        assert records[0]["tracking_pixel_id"] == "6937"


def test_an_id_field_the_schema_does_not_list_becomes_a_string_too() -> None:
    schema = {"properties": {"campaign_id": {"type": ["null", "string"]}, "budget": {"type": "number"}}}
    typed = with_string_ids(lambda item, _: item, id_plan(schema), schema["properties"])
    record = typed({"campaign_id": 17, "category_id": 0, "budget": 5, "flag": True}, {})
    assert record == {"campaign_id": "17", "category_id": "0", "budget": 5, "flag": True}
