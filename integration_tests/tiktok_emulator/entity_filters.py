"""The `filtering` object of `campaign/get/`, `adgroup/get/` and `ad/get/`: one rule per filter key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .buying_types import BUYING_TYPES, TOP_VIEW
from .dataset import EntityQuery
from .errors import bad_param
from .params import ids_filter, ts_value

PRIMARY_STATUSES = frozenset(
    {
        "STATUS_ALL",
        "STATUS_NOT_DELETE",
        "STATUS_DELETE",
        "STATUS_DELIVERY_OK",
        "STATUS_DISABLE",
        "STATUS_NOT_DELIVERY",
        "STATUS_TIME_DONE",
        "STATUS_RF_CLOSED",
        "STATUS_FROZEN",
        "STATUS_DELIVERY_PARTIAL",
        "STATUS_DELIVERY_CATALOG",
    }
)
SYSTEM_ORIGINS = ("TT_ADS_PLATFORM", "PROMOTE")

_COMMON_FILTER_KEYS = frozenset(
    {
        "campaign_ids",
        "primary_status",
        "secondary_status",
        "buying_types",
        "objective_type",
        "creation_filter_start_time",
        "creation_filter_end_time",
        "campaign_system_origins",
    }
)
ENTITY_FILTER_KEYS = {
    "campaign": _COMMON_FILTER_KEYS | {"campaign_name"},
    "adgroup": _COMMON_FILTER_KEYS | {"adgroup_ids", "adgroup_name"},
    "ad": _COMMON_FILTER_KEYS | {"adgroup_ids", "ad_ids", "ad_name", "modified_after"},
}
# Documented filters the emulator does not model; refusing them is more honest than ignoring them.
UNMODELLED_FILTER_KEYS = frozenset(
    {
        "optimization_goal",
        "campaign_type",
        "is_smart_performance_campaign",
        "split_test_enabled",
        "campaign_product_source",
        "promotion_type",
        "bid_strategy",
        "billing_events",
        "creative_material_mode",
        "destination",
    }
)


def entity_query(kind: str, filtering: dict[str, Any]) -> EntityQuery:
    """The query a listing's `filtering` object asks for; every key is checked by its own rule."""
    q = EntityQuery()
    for key, value in filtering.items():
        if key not in ENTITY_FILTER_KEYS[kind]:
            if key in UNMODELLED_FILTER_KEYS:
                raise bad_param(f"filtering.{key}: This filter is not supported by the emulator.")
            raise bad_param(f"filtering.{key}: Unknown field.")
        rule = _RULES.get(key) or (_name_contains if key.endswith("_name") else None)
        if rule is not None:
            rule(kind, key, value, q)
    return q


def _ids(kind: str, key: str, value: Any, q: EntityQuery) -> None:
    setattr(q, key, ids_filter(value, key))


def _primary_status(kind: str, key: str, value: Any, q: EntityQuery) -> None:
    if value not in PRIMARY_STATUSES:
        raise bad_param(f"filtering.primary_status: Invalid value {value!r}.")
    q.primary_status = value


def _secondary_status(kind: str, key: str, value: Any, q: EntityQuery) -> None:
    """A secondary status of the listing's own kind (CAMPAIGN_STATUS_…, ADGROUP_STATUS_…, AD_STATUS_…)."""
    if not isinstance(value, str) or not value.startswith(f"{kind.upper()}_STATUS_"):
        raise bad_param(f"filtering.secondary_status: Invalid value {value!r}.")
    q.secondary_status = value


def _buying_types(kind: str, key: str, value: Any, q: EntityQuery) -> None:
    """A non-empty list of known buying types; TopView only on its own."""
    if not isinstance(value, list) or not value:
        raise bad_param("filtering.buying_types: Must be a non-empty list.")
    unknown = [v for v in value if v not in BUYING_TYPES]
    if unknown:
        raise bad_param(f"filtering.buying_types: Invalid value(s) {unknown}.")
    if TOP_VIEW in value and len(set(value)) > 1:
        raise bad_param(
            "filtering.buying_types: RESERVATION_TOP_VIEW cannot be combined with other buying types."
        )
    q.buying_types = tuple(value)


def _system_origins(kind: str, key: str, value: Any, q: EntityQuery) -> None:
    if not isinstance(value, list) or not value or any(v not in SYSTEM_ORIGINS for v in value):
        raise bad_param("filtering.campaign_system_origins: Invalid value.")
    q.system_origins = tuple(value)


def _objective_type(kind: str, key: str, value: Any, q: EntityQuery) -> None:
    if not isinstance(value, str):
        raise bad_param("filtering.objective_type: Must be a string.")
    q.objective_type = value


def _name_contains(kind: str, key: str, value: Any, q: EntityQuery) -> None:
    if not isinstance(value, str):
        raise bad_param(f"filtering.{key}: Must be a string.")
    q.name_contains = value


def _creation_start(kind: str, key: str, value: Any, q: EntityQuery) -> None:
    q.creation_start = ts_value(value, f"filtering.{key}")


def _creation_end(kind: str, key: str, value: Any, q: EntityQuery) -> None:
    q.creation_end = ts_value(value, f"filtering.{key}")


def _modified_after(kind: str, key: str, value: Any, q: EntityQuery) -> None:
    q.modified_after = ts_value(value, f"filtering.{key}")


_RULES: dict[str, Callable[[str, str, Any, EntityQuery], None]] = {
    "campaign_ids": _ids,
    "adgroup_ids": _ids,
    "ad_ids": _ids,
    "primary_status": _primary_status,
    "secondary_status": _secondary_status,
    "buying_types": _buying_types,
    "campaign_system_origins": _system_origins,
    "objective_type": _objective_type,
    "creation_filter_start_time": _creation_start,
    "creation_filter_end_time": _creation_end,
    "modified_after": _modified_after,
}
