"""Report rows → records, and the JSON schema that describes them, both from the report definition.

TikTok returns every metric as a string ("20.000", "4787", "1.18"), "-" when a metric does not apply.
Converters are chosen once per stream from the catalog, so a row costs one dict walk.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from .catalog import METRICS, ValueType, metric_json_schema
from .definitions import ReportDefinition

NOT_APPLICABLE = frozenset({"-", "", "N/A"})


def _to_float(value: Any) -> float | None:
    if isinstance(value, str):
        if value in NOT_APPLICABLE:
            return None
        try:
            number = float(value.replace(",", ""))
        except ValueError:
            return None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        return None
    return number if math.isfinite(number) else None


def _to_int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    number = _to_float(value)
    return int(number) if number is not None else None


def _to_str(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and value in NOT_APPLICABLE):
        return None
    return value if isinstance(value, str) else str(value)


_CONVERTER: dict[ValueType, Callable[[Any], Any]] = {
    ValueType.MONEY: _to_float,
    ValueType.RATE: _to_float,
    ValueType.DECIMAL: _to_float,
    ValueType.COUNT: _to_int,
    ValueType.STRING: _to_str,
    ValueType.ID: _to_str,
}


def converter_for(metric_name: str) -> Callable[[Any], Any]:
    metric = METRICS.get(metric_name)
    return _CONVERTER[metric.value_type] if metric else _to_str


class RecordBuilder:
    def __init__(self, definition: ReportDefinition) -> None:
        self._dimensions = definition.dimensions
        self._converters = tuple((name, converter_for(name)) for name in definition.metrics)

    def build(self, row: Mapping[str, Any], advertiser_id: str) -> dict[str, Any]:
        dimensions = row.get("dimensions") or {}
        raw_metrics = row.get("metrics") or {}
        metrics = {name: convert(raw_metrics.get(name)) for name, convert in self._converters}
        record: dict[str, Any] = {name: dimensions.get(name) for name in self._dimensions}
        record.setdefault("advertiser_id", advertiser_id)
        record["dimensions"] = dimensions
        record["metrics"] = metrics
        return record


def _dimension_schema(name: str) -> dict[str, Any]:
    if name.startswith("stat_time_"):
        # Local to the advertiser's time zone and without an offset, exactly as TikTok returns it.
        return {
            "type": ["null", "string"],
            "format": "date-time",
            "airbyte_type": "timestamp_without_timezone",
        }
    return {"type": ["null", "string"]}


def report_json_schema(definition: ReportDefinition) -> dict[str, Any]:
    dimensions = {name: _dimension_schema(name) for name in definition.dimensions}
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "additionalProperties": True,
        "properties": {
            **dimensions,
            "advertiser_id": {"type": ["null", "string"]},
            "dimensions": {
                "type": ["null", "object"],
                "additionalProperties": True,
                "properties": dimensions,
            },
            "metrics": {
                "type": ["null", "object"],
                "additionalProperties": True,
                "properties": {name: metric_json_schema(name) for name in definition.metrics},
            },
        },
    }
