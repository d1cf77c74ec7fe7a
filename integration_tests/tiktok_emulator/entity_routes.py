"""`campaign/get/`, `adgroup/get/` and `ad/get/`: the advertiser's objects, filtered and paged."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .entity_fields import ENTITY_FIELDS
from .entity_filters import entity_query
from .errors import bad_param
from .paging import page, page_request
from .params import advertiser_param, filtering_object, json_param, str_list

if TYPE_CHECKING:
    from .call import Call
    from .server import Emulator


def entity_route(kind: str) -> Callable[[Emulator, Call], dict[str, Any]]:
    all_fields = ENTITY_FIELDS[kind]

    def route(emu: Emulator, call: Call) -> dict[str, Any]:
        adv_id = advertiser_param(call.params)
        emu.check_advertiser(call, adv_id)
        page_no, page_size = page_request(call.params)
        fields = _fields(call.params, all_fields)
        exclude = json_param(call.params, "exclude_field_types_in_response", list) or []
        if any(v != "NULL_FIELD" for v in exclude):
            raise bad_param("exclude_field_types_in_response: Only NULL_FIELD is allowed.")
        query = entity_query(kind, filtering_object(call.params))
        selected = emu.dataset.select_entities(kind, adv_id, query)
        selected = emu.listing_deletions.listed(
            selected, f"{kind}_id", query, page_no, page_size, call.faults
        )
        chunk, page_info = page(selected, page_no, page_size, call.faults)
        names = fields or all_fields
        items = [_item(entity, names, emu.sandbox, bool(exclude)) for entity in chunk]
        return {"list": items, "page_info": page_info}

    return route


def _fields(params: dict[str, str], all_fields: tuple[str, ...]) -> list[str] | None:
    fields = json_param(params, "fields", list)
    if fields is None:
        return None
    fields = str_list(fields, "fields")
    unknown = [f for f in fields if f not in all_fields]
    if unknown:
        raise bad_param(f"fields: Invalid field(s) {unknown}.")
    return fields


def _item(entity: dict[str, Any], names: Any, sandbox: bool, drop_nulls: bool) -> dict[str, Any]:
    item = {f: entity[f] for f in names if f in entity}
    if sandbox:
        # The sandbox does not return secondary_status (nothing really delivers there).
        item.pop("secondary_status", None)
    if drop_nulls:
        item = {k: v for k, v in item.items() if v is not None}
    return item
