"""Object listings (`campaign/get/`, `adgroup/get/`, `ad/get/`) checked for TikTok's id cut.

Whether TikTok cuts these listings as it cuts synchronous reports is not documented [?]. A listing is
taken as cut when a page carries the `X-Tt-Ads-Throttle` header, or when it stops at exactly the cut
size (a listing that goes past it was plainly not cut). A cut listing fails its advertiser's slice
naming the advertiser: there is no finer query to split it into that is known to cover every object.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from airbyte_cdk.models import FailureType

from ..api.cut_notice import CUT_NOTICE
from ..api.errors import SliceRefused
from ..reports import report_cut

T = TypeVar("T")


class ListingCut:
    """Watches the pages of one listing; `verify` raises if TikTok cut it."""

    def __init__(self, stream_name: str, request_slice: Mapping[str, Any], records_field: str) -> None:
        self._stream_name = stream_name
        self._advertiser_id = request_slice.get("advertiser_id")
        self._records_field = records_field
        self.rows = 0
        self.notice: str | None = None

    def watching(self, convert: Callable[[Mapping[str, Any]], T]) -> Callable[[Mapping[str, Any]], T]:
        def watched(data: Mapping[str, Any]) -> T:
            if CUT_NOTICE in data:
                self.notice = str(data[CUT_NOTICE])
            self.rows += len(data.get(self._records_field) or ())
            return convert(data)

        return watched

    def verify(self) -> None:
        size = report_cut.CUT_SIZE
        if self.notice is None and self.rows != size:
            return
        why = f"X-Tt-Ads-Throttle: {self.notice}" if self.notice is not None else f"it stopped at {size:,}"
        message = (
            f"{self._stream_name}: TikTok's listing of advertiser {self._advertiser_id} looks cut at its id "
            f"limit ({why}, {self.rows:,} objects); the objects past it cannot be listed, so the "
            "advertiser is left unread."
        )
        raise SliceRefused(message=message, internal_message=message, failure_type=FailureType.system_error)
