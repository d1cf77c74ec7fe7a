"""Pixels (`pixel/list/`) and their seeded event statistics (`pixel/event/stats/`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from ..seeding import seeded_hash, ts

if TYPE_CHECKING:
    from .library import LibraryIds

PIXEL_EVENT_TYPES = ("COMPLETE_PAYMENT", "ADD_TO_CART", "SUBMIT_FORM")


def build_pixel(ids: LibraryIds, a: int, n: int) -> dict[str, Any]:
    seed = ids.seed
    pixel_id = ids.next_id("pixel", 2)
    return {
        "pixel_id": pixel_id,
        "pixel_code": f"C{seeded_hash(seed, pixel_id):016X}"[:20],
        "pixel_name": f"Pixel {a + 1}.{n + 1}",
        "pixel_category": "ONLINE_STORE",
        "pixel_script": "<script>/* emulated */</script>",
        "pixel_setup_mode": "STANDARD",
        "partner_name": "",
        # Format not documented [?]; the entity style is the likeliest.
        "create_time": ts(
            ids.range_start - timedelta(days=20 + n, seconds=seeded_hash(seed, pixel_id) % 86400)
        ),
        "advanced_matching_fields": {"phone_number": False, "email": True},
        "enable_first_party_cookies": True,
        "events": [_event(pixel_id, k, event) for k, event in enumerate(PIXEL_EVENT_TYPES)],
    }


def _event(pixel_id: str, k: int, event: str) -> dict[str, Any]:
    return {
        "name": event.title().replace("_", " "),
        "event_type": event,
        "optimization_event": event,
        "event_id": f"{pixel_id}{k}",
        "event_code": event.title().replace("_", ""),
        "statistic_type": "EVERY_TIME",
        "currency_value": "",
        "deprecated": False,
        "rules": [],
    }


def pixel_event_stats(
    seed: int, data_days: tuple[date, date], pixel_id: str, start: date, end: date
) -> dict[str, Any]:
    """What pixel/event/stats/ reports for one pixel over UTC days start..end (inclusive), counting only
    the days inside ``data_days`` (first, last)."""
    statistics = []
    for event in PIXEL_EVENT_TYPES:
        totals = dict.fromkeys(("browser", "server", "attributed", "preview"), 0)
        day = max(start, data_days[0])
        while day <= min(end, data_days[1]):
            h = seeded_hash(seed, pixel_id, event, day)
            browser, server = h % 500, (h >> 12) % 200
            totals["browser"] += browser
            totals["server"] += server
            totals["attributed"] += (browser + server) * ((h >> 24) % 40) // 100
            totals["preview"] += (h >> 32) % 3
            day += timedelta(days=1)
        statistics.append(
            {
                "pixel_event_type": event,
                "attributed_count": totals["attributed"],
                "preview_count": totals["preview"],
                "total_count": totals["browser"] + totals["server"],
                "browser_event_total_count": totals["browser"],
                "server_event_total_count": totals["server"],
            }
        )
    return {"pixel_id": str(pixel_id), "statistics": statistics}
