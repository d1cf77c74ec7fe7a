"""The creative library, audiences, pixels and Spark Ads listings (`file/…`, `dmp/…`, `pixel/list/`, …)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import bad_param, not_in_sandbox
from .paging import page, page_request
from .params import advertiser_param, filtering_object, ids_filter

if TYPE_CHECKING:
    from .call import Call
    from .server import Emulator

# Page caps: 100 for videos and audiences is documented; images, music and portfolios have no cap in the
# reference [?], so the strict 100 every connector sends is enforced; pixels 20 and Spark Ads 50 as
# documented / as Airbyte sends.
LIBRARY_PAGE_CAPS = {
    "image": 100,
    "video": 100,
    "music": 100,
    "portfolio": 100,
    "audience": 100,
    "pixel": 20,
    "spark": 50,
}
ASSET_FILTER_KEYS = {
    "image": ("image_ids", "image_id", {"material_ids", "height", "width", "ratio", "displayable"}),
    "video": (
        "video_ids",
        "video_id",
        {"material_ids", "video_name", "video_material_sources", "height", "width", "ratio", "displayable"},
    ),
}
# The sandbox has no audience endpoints, and Spark Ads and pixels exist in production only; the exact
# sandbox error is unknown [?].
PRODUCTION_ONLY = frozenset({"audience", "pixel", "spark"})


def asset_filtering(kind: str, params: dict[str, str]) -> frozenset[str] | None:
    """The ids an image or video search is narrowed to; the other documented filters are refused."""
    filtering = filtering_object(params)
    ids_key, _, unmodelled = ASSET_FILTER_KEYS[kind]
    ids = None
    for key, value in filtering.items():
        if key == ids_key:
            ids = ids_filter(value, key)
        elif key in unmodelled:
            raise bad_param(f"filtering.{key}: This filter is not supported by the emulator.")
        else:
            raise bad_param(f"filtering.{key}: Unknown field.")
    return ids


def library_route(kind: str, records_key: str) -> Callable[[Emulator, Call], dict[str, Any]]:
    cap = LIBRARY_PAGE_CAPS[kind]

    def route(emu: Emulator, call: Call) -> dict[str, Any]:
        if kind in PRODUCTION_ONLY:
            not_in_sandbox(emu.sandbox, call.path)
        adv_id = advertiser_param(call.params)
        emu.check_advertiser(call, adv_id)
        page_no, page_size = page_request(call.params, cap, default_size=10 if kind != "spark" else 20)
        items = emu.dataset.library(kind, adv_id)
        if kind in ASSET_FILTER_KEYS:
            ids = asset_filtering(kind, call.params)
            if ids is not None:
                id_field = ASSET_FILTER_KEYS[kind][1]
                items = [item for item in items if item[id_field] in ids]
        chunk, page_info = page(items, page_no, page_size, call.faults)
        return {records_key: chunk, "page_info": page_info}

    return route
