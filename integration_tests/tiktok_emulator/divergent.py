"""A second personality: a TikTok that differs from the connector's catalog where real TikTok has been
seen to differ, so the connector is tested against answers its authors did not write down.

- a narrower metric list, refused with each 40002 message form TikTok uses (some answers name every
  refused metric, some only the first one checked);
- ids as JSON numbers in entity and advertiser listings;
- no `page_info` on an empty listing;
- fields nobody documented, in listings and in report rows;
- Instant Page events for an objective type the endpoint does not document;
- on demand, report rows without their ID dimension.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

STANDARD = "standard"
DIVERGENT = "divergent"
PROFILES = (STANDARD, DIVERGENT)


def _all_listed(names: list[str], level: str) -> str:
    return f"Please correct the information in invalid metric fields and try again. Invalid metric fields: {names}."


def _comma_listed(names: list[str], level: str) -> str:
    return f"Invalid metric field(s): {', '.join(names)}."


def _first_not_supported(names: list[str], level: str) -> str:
    return f"metrics: {names[0]} is not supported when data_level is {level}."


def _first_only_supported(names: list[str], level: str) -> str:
    return f"{names[0]} is only supported when report_type is BASIC and data_level is AUCTION_AD."


# Metric -> how this TikTok words its refusal. Metrics sharing a form are refused together in one
# answer (listing forms) or one per answer (the "first" forms).
REFUSED_METRICS: dict[str, Callable[[list[str], str], str]] = {
    "gross_impressions": _all_listed,
    "engaged_view": _comma_listed,
    "engaged_view_15s": _comma_listed,
    "billed_cost": _first_not_supported,
    "advertiser_id": _first_not_supported,
    "cost_per_1000_reached": _first_only_supported,
}

# Objective types beyond the documented two that this TikTok answers on pixel/instant_page/event/.
INSTANT_PAGE_GOALS = {"TRAFFIC": ("CLICK", "TRAFFIC_LANDING_PAGE_VIEW")}

ID_FIELDS = frozenset({"advertiser_id", "campaign_id", "adgroup_id", "ad_id"})
EXTRA_ITEM_FIELD = ("undocumented_flag", "NEW_VALUE")
EXTRA_METRIC = ("undocumented_metric", "7")


def refusal(metrics: list[str], level: str) -> str | None:
    """TikTok's 40002 message for the first form among the refused metrics asked for, or None."""
    refused = [name for name in metrics if name in REFUSED_METRICS]
    if not refused:
        return None
    form = REFUSED_METRICS[refused[0]]
    return form([name for name in refused if REFUSED_METRICS[name] is form], level)


def numeric_ids(item: dict[str, Any]) -> dict[str, Any]:
    """The item with its numeric-looking ids as JSON numbers, and one undocumented field."""
    typed = {
        key: int(value) if key in ID_FIELDS and isinstance(value, str) and value.isdigit() else value
        for key, value in item.items()
    }
    typed[EXTRA_ITEM_FIELD[0]] = EXTRA_ITEM_FIELD[1]
    return typed


def listing(data: dict[str, Any], records_key: str) -> dict[str, Any]:
    """A listing as this TikTok sends it: numeric ids, and no `page_info` when it is empty."""
    items = [numeric_ids(item) if isinstance(item, dict) else item for item in data.get(records_key) or []]
    shaped = {**data, records_key: items}
    if not items:
        shaped.pop("page_info", None)
    return shaped


def report_rows(rows: list[dict[str, Any]], id_dimension: str, keyless: bool) -> list[dict[str, Any]]:
    """Report rows with an undocumented metric and row field; with `keyless`, the first row loses its id."""
    shaped = [
        {**row, "metrics": {**row["metrics"], EXTRA_METRIC[0]: EXTRA_METRIC[1]}, "row_source": "divergent"}
        for row in rows
    ]
    if keyless and shaped:
        first = shaped[0]
        shaped[0] = {
            **first,
            "dimensions": {k: v for k, v in first["dimensions"].items() if k != id_dimension},
        }
    return shaped
