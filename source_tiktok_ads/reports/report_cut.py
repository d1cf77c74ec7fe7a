"""Seeing TikTok's id cut of a synchronous report.

Past a number of ids (`CUT_SIZE`, TikTok's 20,000) `report/integrated/get/` answers with the rows of
the newest-created ids only, across the whole request. TikTok's docs name one signal, the
`X-Tt-Ads-Throttle` header, without saying it always comes; and `page_info.total_number` may count the
rows after the cut, so the row-count check cannot be relied on to see it. A listing is therefore cut
when the header came on any of its pages, or when its distinct ids reach the cut size.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airbyte_cdk.models import FailureType

from ..api.errors import SliceRefused

# Ids per synchronous report request before TikTok cuts; a module constant so tests can lower it.
CUT_SIZE = 20_000
# What a window split in parts by id met: TikTok's id cut, or its 40067 for a report whose window
# cannot be split by date (the same split reads it in smaller parts).
CUT = "cut"
TOO_LARGE = "too large"
# The dimensions a cut counts, most specific first: a row's id is the first of these it has.
ID_DIMENSIONS = ("ad_id", "adgroup_id", "campaign_id")


def id_dimension_index(dimensions: tuple[str, ...]) -> int | None:
    """Where a row key holds the id the cut counts (None: an advertiser-level or id-less report)."""
    for name in ID_DIMENSIONS:
        if name in dimensions:
            return dimensions.index(name)
    return None


def cut_seen(notice: str | None, distinct_ids: int) -> str | None:
    """Why a listing counts as cut (None: it does not)."""
    if notice is not None:
        return f"X-Tt-Ads-Throttle: {notice}"
    if distinct_ids >= CUT_SIZE:
        return f"its {distinct_ids:,} ids reach the {CUT_SIZE:,}-id cut"
    return None


def window_label(request_slice: Mapping[str, Any]) -> str:
    start, end = request_slice.get("start_date"), request_slice.get("end_date")
    return "lifetime" if start is None else (start if start == end else f"{start}..{end}")


class ReportCut(Exception):
    """A listing TikTok cut: what was read of it stays emitted, the rest is read in parts."""

    def __init__(self, request_slice: Mapping[str, Any], why: str) -> None:
        super().__init__(why)
        self.request_slice = request_slice
        self.why = why


class CutTooFine(SliceRefused):
    """A part still cut at the finest split there is: its window is left unread, never short."""

    def __init__(
        self, stream: str, request_slice: Mapping[str, Any], what: str, why: str, problem: str = CUT
    ) -> None:
        tail = (
            "TikTok's asynchronous report tasks are not cut."
            if problem == CUT
            else "The next sync asks for it again; fewer metrics make each request smaller."
        )
        message = (
            f"{stream}: TikTok's synchronous report of advertiser {request_slice['advertiser_id']} for "
            f"{window_label(request_slice)} is {problem} even for {what} ({why}); its rows cannot all be "
            f"read there, so the window is left unread. {tail}"
        )
        super().__init__(message=message, internal_message=message, failure_type=FailureType.system_error)
