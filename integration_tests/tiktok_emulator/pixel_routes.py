"""`pixel/event/stats/` and `pixel/instant_page/event/`."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from . import divergent
from .errors import bad_param, not_in_sandbox
from .params import advertiser_param, bool_param, json_param, str_list

if TYPE_CHECKING:
    from .call import Call
    from .server import Emulator

MAX_PIXEL_IDS = 10
PIXEL_STATS_MAX_DAYS = 30
# The objective types pixel/instant_page/event/ documents; WEB_CONVERSIONS is documented as answering with
# CONVERSIONS data. Which goals each accepts is not documented [?]: this table is the emulator's guess.
INSTANT_PAGE_GOALS = {
    "CONVERSIONS": ("CONVERT", "VALUE"),
    "APP_PROMOTION": ("INSTALL", "IN_APP_EVENT", "VALUE"),
}


def route_pixel_stats(emu: Emulator, call: Call) -> dict[str, Any]:
    not_in_sandbox(emu.sandbox, call.path)
    adv_id = advertiser_param(call.params)
    emu.check_advertiser(call, adv_id)
    pixel_ids = str_list(json_param(call.params, "pixel_ids", list, required=True), "pixel_ids")
    if not 1 <= len(pixel_ids) <= MAX_PIXEL_IDS:
        raise bad_param(f"pixel_ids: Length must be between 1 and {MAX_PIXEL_IDS}.")
    foreign = [pixel_id for pixel_id in pixel_ids if emu.dataset.pixel_owner(pixel_id) != adv_id]
    if foreign:
        raise bad_param(f"pixel_ids: Pixel(s) {foreign} do not belong to advertiser {adv_id}.")
    start, end = _date_range(json_param(call.params, "date_range", dict, required=True))
    return {
        "list": [emu.dataset.pixel_event_stats(pixel_id, start, end) for pixel_id in dict.fromkeys(pixel_ids)]
    }


def _date_range(date_range: dict[str, Any]) -> tuple[date, date]:
    """`date_range`: two YYYY-MM-DD dates in order, at most 30 days apart."""
    bounds = []
    for name in ("start_date", "end_date"):
        raw = date_range.get(name)
        if not isinstance(raw, str) or len(raw) != 10:
            raise bad_param(f"date_range.{name}: Must be a date string in the format YYYY-MM-DD.")
        try:
            bounds.append(date.fromisoformat(raw))
        except ValueError:
            raise bad_param(f"date_range.{name}: Not a valid date, expected YYYY-MM-DD.") from None
    start, end = bounds
    if start > end:
        raise bad_param("date_range: start_date must not be later than end_date.")
    # "At most 30 days": 30 inclusive days is the stricter reading [?].
    if (end - start).days + 1 > PIXEL_STATS_MAX_DAYS:
        raise bad_param(f"date_range: The range can be at most {PIXEL_STATS_MAX_DAYS} days.")
    return start, end


def route_instant_page_events(emu: Emulator, call: Call) -> dict[str, Any]:
    not_in_sandbox(emu.sandbox, call.path)
    adv_id = advertiser_param(call.params)
    emu.check_advertiser(call, adv_id)
    objective = call.params.get("objective_type")
    goal = call.params.get("optimization_goal")
    for name, value in (("objective_type", objective), ("optimization_goal", goal)):
        if not value:
            raise bad_param(f"{name}: Missing data for required field.")
    answered_as = "CONVERSIONS" if objective == "WEB_CONVERSIONS" else objective
    # Whether undocumented objective types are answered is uncertain [?]: the standard profile refuses
    # them, the divergent one answers some, as other connectors report.
    goals = (
        {**INSTANT_PAGE_GOALS, **divergent.INSTANT_PAGE_GOALS}
        if emu.profile == divergent.DIVERGENT
        else INSTANT_PAGE_GOALS
    )
    if answered_as not in goals:
        raise bad_param(f"objective_type: Invalid value {objective!r}.")
    bool_param(call.params, "is_retargeting")
    if goal not in goals[answered_as]:
        raise bad_param(f"optimization_goal: {goal} is not supported for objective_type {objective}.")
    event_goal = {"optimization_goal": goal, "optimization_events": ["BUTTON"]}
    return {
        "list": [
            {
                "business_type": "TIKTOK_INSTANT_PAGE",
                "instant_page_events": {
                    "objective_types": [{"objective_type": answered_as, "optimization_goals": [event_goal]}]
                },
            }
        ]
    }
