"""Query parameters as TikTok parses them: JSON-encoded lists and objects, integers, booleans, dates."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from .errors import bad_param
from .seeding import TS_FORMAT

MAX_IDS = 100


def json_param(params: dict[str, str], name: str, kind: type, required: bool = False) -> Any:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise bad_param(f"{name}: Missing data for required field.")
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        raise bad_param(f"{name}: Not a valid JSON value.") from None
    if not isinstance(value, kind):
        raise bad_param(f"{name}: Must be a JSON {'array' if kind is list else 'object'}.")
    return value


def str_list(value: list, name: str) -> list[str]:
    out = []
    for item in value:
        # IDs arrive as strings; integers are tolerated because they are still exact in JSON text.
        if isinstance(item, bool) or not isinstance(item, str | int):
            raise bad_param(f"{name}: Every element must be a string.")
        out.append(str(item))
    return out


def int_param(params: dict[str, str], name: str, default: int, lo: int, hi: int | None) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_param(f"{name}: Not a valid integer.") from None
    if value < lo or (hi is not None and value > hi):
        bound = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
        raise bad_param(f"{name}: Must be {bound}.")
    return value


def bool_param(params: dict[str, str], name: str) -> bool:
    raw = params.get(name)
    if raw is None or raw == "":
        return False
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise bad_param(f"{name}: Not a valid boolean.")


def date_param(params: dict[str, str], name: str) -> date:
    raw = params.get(name)
    if not raw:
        raise bad_param(f"{name}: Missing data for required field.")
    try:
        if len(raw) != 10:
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise bad_param(f"{name}: Not a valid date, expected YYYY-MM-DD.") from None


def ts_value(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise bad_param(f"{name}: Must be a string in the format YYYY-MM-DD HH:MM:SS.")
    try:
        datetime.strptime(value, TS_FORMAT)
    except ValueError:
        raise bad_param(f"{name}: Not a valid time, expected YYYY-MM-DD HH:MM:SS.") from None
    return value


def ids_filter(value: Any, key: str) -> frozenset[str]:
    """A filter's list of 1 to 100 ids."""
    if not isinstance(value, list):
        raise bad_param(f"filtering.{key}: Must be a list.")
    ids = str_list(value, f"filtering.{key}")
    if not 1 <= len(ids) <= MAX_IDS:
        raise bad_param(f"filtering.{key}: Length must be between 1 and {MAX_IDS}.")
    return frozenset(ids)


def filtering_object(params: dict[str, str], required: bool = False) -> dict[str, Any]:
    """The `filtering` parameter of the listings that take a JSON object (empty when absent)."""
    raw = params.get("filtering")
    if not raw:
        if required:
            raise bad_param("filtering: Missing data for required field.")
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        raise bad_param("filtering: Not a valid JSON value.") from None
    if not isinstance(value, dict):
        raise bad_param("filtering: Must be a JSON object.")
    return value


def advertiser_param(params: dict[str, str]) -> str:
    adv_id = params.get("advertiser_id")
    if not adv_id:
        raise bad_param("advertiser_id: Missing data for required field.")
    return adv_id
