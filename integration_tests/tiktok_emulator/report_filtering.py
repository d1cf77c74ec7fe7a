"""The report's `filtering` parameter: a JSON array of {field_name, filter_type, filter_value}."""

from __future__ import annotations

import json
from typing import Any

from . import catalog
from .buying_types import BUYING_TYPES, TOP_VIEW
from .dataset import ReportQuery
from .errors import bad_param
from .params import ids_filter

FILTER_TYPES = frozenset(
    {"IN", "MATCH", "GREATER_EQUAL", "GREATER_THAN", "LOWER_EQUAL", "LOWER_THAN", "BETWEEN"}
)
REPORT_STATUS_VALUES = frozenset({"STATUS_ALL", "STATUS_NOT_DELETE", "STATUS_DELETE"})
LEVEL_STATUS_FIELD = {
    "AUCTION_CAMPAIGN": "campaign_status",
    "AUCTION_ADGROUP": "adgroup_status",
    "AUCTION_AD": "ad_status",
}
REPORT_ID_FILTERS = {
    "campaign_ids": "AUCTION_CAMPAIGN",
    "adgroup_ids": "AUCTION_ADGROUP",
    "ad_ids": "AUCTION_AD",
}


def report_filtering(raw: str | None, level: str, q: ReportQuery) -> None:
    """Narrow ``q`` by the filters; the v1.2 name "filters" is read by nobody, as on TikTok's side."""
    if not raw:
        return
    try:
        items = json.loads(raw)
    except ValueError:
        raise bad_param("filtering: Not a valid JSON value.") from None
    if not isinstance(items, list):
        raise bad_param("filtering: Must be a JSON array of filter objects.")
    for item in items:
        field, ftype, values = _filter_parts(item)
        if field in ("campaign_status", "adgroup_status", "ad_status"):
            _status_filter(field, ftype, values, level, q)
        elif field in REPORT_ID_FILTERS:
            _ids_filter(field, ftype, values, level, q)
        elif field == "buying_type":
            _buying_type_filter(ftype, values, q)
        else:
            raise bad_param(f"filtering: field_name {field} is not supported by the emulator.")


def _filter_parts(item: Any) -> tuple[str, str, Any]:
    """A filter's field, type and decoded value (filter_value is JSON inside a string)."""
    if not isinstance(item, dict) or not {"field_name", "filter_type", "filter_value"} <= set(item):
        raise bad_param("filtering: Every filter needs field_name, filter_type and filter_value.")
    field, ftype, fvalue = item["field_name"], item["filter_type"], item["filter_value"]
    if ftype not in FILTER_TYPES:
        raise bad_param(f"filtering: Invalid filter_type {ftype!r}.")
    if not isinstance(fvalue, str):
        raise bad_param(f"filtering: filter_value of {field} must be a JSON-encoded string.")
    try:
        return field, ftype, json.loads(fvalue)
    except ValueError:
        raise bad_param(f"filtering: filter_value of {field} is not valid JSON.") from None


def _status_filter(field: str, ftype: str, values: Any, level: str, q: ReportQuery) -> None:
    """The status field of the report's own level, IN a non-empty list of report statuses."""
    # Since the fix for the old silent behaviour, a status field for another level is an error;
    # at advertiser level every object is reported, so no status field fits there [?].
    if LEVEL_STATUS_FIELD.get(level) != field:
        raise bad_param(f"filtering: field_name {field} does not match data_level {level}.")
    if ftype != "IN" or not isinstance(values, list) or not values:
        raise bad_param(f"filtering: {field} needs filter_type IN with a non-empty list.")
    bad = [v for v in values if v not in REPORT_STATUS_VALUES]
    if bad:
        raise bad_param(f"filtering: Invalid {field} value(s) {bad}.")
    chosen = set(values)
    if "STATUS_ALL" in chosen or chosen == {"STATUS_DELETE", "STATUS_NOT_DELETE"}:
        q.status = "STATUS_ALL"
    else:
        q.status = chosen.pop()


def _ids_filter(field: str, ftype: str, values: Any, level: str, q: ReportQuery) -> None:
    """Ids of the report's level or one above it, IN a list."""
    if catalog.LEVEL_RANK[level] < catalog.LEVEL_RANK[REPORT_ID_FILTERS[field]]:
        raise bad_param(f"filtering: field_name {field} is not available at data_level {level}.")
    if ftype != "IN" or not isinstance(values, list):
        raise bad_param(f"filtering: {field} needs filter_type IN with a list.")
    setattr(q, field, ids_filter(values, field))


def _buying_type_filter(ftype: str, values: Any, q: ReportQuery) -> None:
    """Known buying types IN a non-empty list; TopView only on its own."""
    if ftype != "IN" or not isinstance(values, list) or not values:
        raise bad_param("filtering: buying_type needs filter_type IN with a non-empty list.")
    if any(v not in BUYING_TYPES for v in values):
        raise bad_param(f"filtering: Invalid buying_type value(s) {values}.")
    if TOP_VIEW in values and len(set(values)) > 1:
        raise bad_param("filtering: RESERVATION_TOP_VIEW cannot be combined with other buying types.")
    q.top_view = TOP_VIEW in values
    q.buying_types = frozenset(values)
