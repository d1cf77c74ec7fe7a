"""Offset paging as TikTok does it: `page` and `page_size` in, a slice and its `page_info` out."""

from __future__ import annotations

import math
from typing import Any

from .faults import FaultPlan
from .params import int_param

MAX_PAGE_SIZE = 1000


def page_request(params: dict[str, str], cap: int = MAX_PAGE_SIZE, default_size: int = 10) -> tuple[int, int]:
    """The (page, page_size) asked for: page from 1, page_size from 1 to ``cap``."""
    return int_param(params, "page", 1, 1, None), int_param(params, "page_size", default_size, 1, cap)


def page(
    rows: list, page: int, page_size: int, faults: FaultPlan, total: int | None = None
) -> tuple[list, dict[str, int]]:
    """One page of `rows` and its `page_info`, by offset like TikTok, with rows inserted at the head
    since page 1 when the fault plan says so (see `FaultPlan.rows_inserted_per_page`). `total`: what
    `total_number` counts when it is not `rows` (see `report_cut`)."""
    inserted = faults.rows_inserted_per_page * (page - 1) if faults.rows_inserted_per_page < page_size else 0
    start = max(0, (page - 1) * page_size - inserted)
    end = max(0, page * page_size - inserted)
    return rows[start:end], page_info(page, page_size, (len(rows) if total is None else total) + inserted)


def page_info(page: int, page_size: int, total: int) -> dict[str, Any]:
    return {
        "page": page,
        "page_size": page_size,
        "total_number": total,
        "total_page": math.ceil(total / page_size),
    }
