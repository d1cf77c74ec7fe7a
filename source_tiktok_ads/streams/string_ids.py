"""Ids are strings in every record, whether TikTok sent `"1714125042508817"` or `1714125042508817`.

TikTok documents ids as strings but some listings send them as JSON numbers. Which fields are ids is
read once from the stream's schema: a field named `id`, `*_id` or `*_ids` that the schema types as a
string (or a list of strings), at the top level or inside nested objects and lists of objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

# name -> None (an id or a list of ids) or a nested plan (an object, or a list of objects)
IdPlan = dict[str, "IdPlan | None"]


def _types(schema: Mapping[str, Any]) -> set[str]:
    declared = schema.get("type", ())
    return {declared} if isinstance(declared, str) else set(declared)


def _is_id_name(name: str) -> bool:
    return name == "id" or name.endswith("_id") or name.endswith("_ids")


def id_plan(schema: Mapping[str, Any]) -> IdPlan:
    """Where the ids sit in records of this schema (empty when nowhere). Top-level fields the schema
    does not list are judged by their name alone when the records are typed (see `with_string_ids`)."""
    plan: IdPlan = {}
    for name, field in (schema.get("properties") or {}).items():
        if not isinstance(field, Mapping):
            continue
        types = _types(field)
        items = field.get("items") if isinstance(field.get("items"), Mapping) else {}
        if _is_id_name(name) and ("string" in types or ("array" in types and "string" in _types(items))):
            plan[name] = None
        elif ("object" in types and (nested := id_plan(field))) or (
            "array" in types and "object" in _types(items) and (nested := id_plan(items))
        ):
            plan[name] = nested
    return plan


def _as_string(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        return [_as_string(entry) for entry in value]
    return value


def apply_plan(record: dict[str, Any], plan: IdPlan) -> None:
    """Turn numeric ids into strings in place."""
    for name, nested in plan.items():
        value = record.get(name)
        if value is None:
            continue
        if nested is None:
            record[name] = _as_string(value)
        elif isinstance(value, dict):
            apply_plan(value, nested)
        elif isinstance(value, list):
            for entry in value:
                if isinstance(entry, dict):
                    apply_plan(entry, nested)


def with_string_ids(
    transform: Callable[[dict[str, Any], Mapping[str, Any]], dict[str, Any] | None],
    plan: IdPlan,
    declared_fields: Iterable[str],
) -> Callable[[dict[str, Any], Mapping[str, Any]], dict[str, Any] | None]:
    """`transform`, followed by the id typing of `plan`; undeclared top-level fields named like ids
    (not among `declared_fields`, the schema's top-level names) become strings too."""
    declared = frozenset(declared_fields)

    def typed(item: dict[str, Any], stream_slice: Mapping[str, Any]) -> dict[str, Any] | None:
        record = transform(item, stream_slice)
        if record is not None:
            apply_plan(record, plan)
            # Fields TikTok added after the schema was written: an id is still an id.
            for name, value in record.items():
                if name not in declared and _is_id_name(name) and value.__class__ is not str:
                    record[name] = _as_string(value)
        return record

    return typed
