"""TikTok's id cut of synchronous reports: a query spanning more ids than the cut size gets the rows of
the newest-created ids only, across the whole request, and says so in the `X-Tt-Ads-Throttle` header.

Asynchronous tasks and Ads Manager exports are not cut; `report/integrated/get/` is. Which signals
always come is not documented [?], so each is switchable: the header, and whether `page_info.total_number`
counts the rows before the cut or after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .aggregation import AggregatedRow
    from .dataset import Dataset

CUT_HEADER = "X-Tt-Ads-Throttle"
TIKTOK_CUT_SIZE = 20_000
# Where `total_number` is counted: the rows the query spans, or the rows that survive the cut.
COUNT_BEFORE_CUT = "before"
COUNT_AFTER_CUT = "after"
COUNT_MODES = (COUNT_BEFORE_CUT, COUNT_AFTER_CUT)


def cut_notice(size: int) -> str:
    """The header's text; TikTok's exact words are only known in part [?]."""
    return (
        f"The number of ids in this query exceeds {size:,}; only return the top {size:,} id's results, "
        "ordered by create time. Please narrow the query with filters."
    )


@dataclass(frozen=True)
class CutResult:
    rows: list[AggregatedRow]
    # What `page_info.total_number` says.
    total_number: int
    # The header's value, or None when the query was not cut or the header is switched off.
    header: str | None


def cut_report(
    ds: Dataset,
    level_kind: str | None,
    aggregated: list[AggregatedRow],
    size: int,
    count_mode: str = COUNT_AFTER_CUT,
    send_header: bool = True,
) -> CutResult:
    """The rows of the `size` newest-created ids of `aggregated` (`level_kind`: the kind of object the
    rows are about; None for advertiser-level rows, which are never cut here)."""
    ids = {entry[0][0] for entry in aggregated}
    if not size or level_kind is None or len(ids) <= size:
        return CutResult(aggregated, len(aggregated), None)
    newest_first = sorted(ids, key=lambda entity_id: _created(ds, level_kind, entity_id), reverse=True)
    kept_ids = set(newest_first[:size])
    kept = [entry for entry in aggregated if entry[0][0] in kept_ids]
    total = len(aggregated) if count_mode == COUNT_BEFORE_CUT else len(kept)
    return CutResult(kept, total, cut_notice(size) if send_header else None)


def _created(ds: Dataset, kind: str, entity_id: str) -> tuple[str, str]:
    # Ties (objects created in the same second) are broken by id, so the cut is the same on every page.
    return str(ds.entity(kind, entity_id).get("create_time") or ""), entity_id
