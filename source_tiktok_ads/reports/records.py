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
from .row_context import row_context_schema

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
        try:
            number = float(value)
        except OverflowError:  # an integer beyond any float: not a metric value
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _to_int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        try:
            return int(value)
        except ValueError:  # more digits than Python converts: no count is that large
            return None
    number = _to_float(value)
    return int(number) if number is not None else None


def _dimension_value(value: Any) -> str | None:
    """Dimension values are strings (IDs, times, breakdown codes); a number is an ID sent bare, anything
    else (an object, a list, a boolean, nan or ±inf, an integer too long to write) is not a dimension
    value at all."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return str(value)
        except ValueError:  # more digits than Python writes: no ID is that long
            return None
    return None


def _json_value(value: Any) -> Any:
    """A value of TikTok's `dimensions` object the record keeps as it came, with what JSON cannot hold
    (nan, ±inf, at any depth) made null, as for metrics."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _json_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_value(item) for item in value]
    return value


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
    """Converts rows with loops grouped by target type: no per-value function call on the hot path."""

    def __init__(self, definition: ReportDefinition) -> None:
        self._dimensions = definition.dimensions
        by_type: dict[Callable[[Any], Any], list[str]] = {_to_float: [], _to_int: [], _to_str: []}
        for name in definition.metrics:
            by_type[converter_for(name)].append(name)
        self._float_names = tuple(by_type[_to_float])
        self._int_names = tuple(by_type[_to_int])
        self._str_names = tuple(by_type[_to_str])

    def build(self, row: Mapping[str, Any], advertiser_id: str) -> dict[str, Any]:
        dimensions = row.get("dimensions")
        raw = row.get("metrics")
        # A malformed row must cost its values, never the sync: anything but an object counts as empty.
        if not isinstance(dimensions, dict):
            dimensions = {}
        if not isinstance(raw, dict):
            raw = {}
        metrics: dict[str, Any] = {}
        for name in self._float_names:
            value = raw.get(name)
            try:
                number = float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError, OverflowError):
                metrics[name] = _to_float(value)  # "-", "", None, "1,234": the careful path
                continue
            # nan and ±inf fail `x - x == 0`; bools are not metric values.
            metrics[name] = (
                number if number - number == 0 and value is not True and value is not False else None
            )
        for name in self._int_names:
            value = raw.get(name)
            try:
                metrics[name] = int(value)  # type: ignore[arg-type]
            except (TypeError, ValueError, OverflowError):
                metrics[name] = _to_int(value)  # "12.0", "-", None, ±inf (a JSON number like 1e999)
            else:
                if value is True or value is False or isinstance(value, float):
                    metrics[name] = _to_int(value)
        for name in self._str_names:
            value = raw.get(name)
            metrics[name] = (
                value if value.__class__ is str and value not in NOT_APPLICABLE else _to_str(value)
            )
        record: dict[str, Any] = {name: dimensions.get(name) for name in self._dimensions}
        if any(value is not None and value.__class__ is not str for value in dimensions.values()):
            # Rare: TikTok's object keeps only valid JSON, and the key dimensions are coerced to the
            # schema's string type, in the top-level copy and in TikTok's object.
            dimensions = {name: _json_value(value) for name, value in dimensions.items()}
            if any(value is not None and value.__class__ is not str for value in record.values()):
                record = {name: _dimension_value(value) for name, value in record.items()}
                dimensions = {**dimensions, **record}
        if record.get("advertiser_id") is None:
            record["advertiser_id"] = advertiser_id
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
            **row_context_schema(dated=bool(definition.time_dimension)),
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
