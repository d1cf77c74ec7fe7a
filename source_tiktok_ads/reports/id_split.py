"""Splitting a cut report window away, so that every row TikTok cut off is still read.

A window TikTok cut (see `report_cut`) is read again in parts, each with its own row count and cut
check, the rows already emitted for the window dropped from each (they share `EMITTED_KEYS`):

1. a window of several days, when the report has a time dimension, in two halves (as for 40067);
2. a single day, a lifetime query, or a report summed over its window, by `campaign_ids`: the window's
   campaigns are listed by a campaign-level report of the same scope (advertiser, dates, buying type,
   deleted campaigns included), so the groups cover every campaign with rows there; a group still cut
   is halved;
3. one campaign still cut, by `adgroup_ids` of that campaign, listed the same way and halved the same
   way;
4. one ad group still cut (or one campaign of a campaign-level report) is the finest split there is:
   the window fails naming the advertiser, the window and the id (`CutTooFine`), never short.

The listing is a report rather than `campaign/get/` because it has the report's own scope: the
buying-type filter, deleted objects, and only what has rows in the window.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import orjson

from ..api.cut_notice import CUT_NOTICE
from .report_cut import CUT, CUT_SIZE, CutTooFine, ReportCut, window_label
from .windows import halves

if TYPE_CHECKING:
    from ..pipeline.listing import ListingHelpers
    from .window_read import CompleteWindow, Convert

# TikTok advises filtering ad-level reports by at most 30 campaigns; id filters of its listings take
# at most 100 ids, which is the most an ad-group part is given here.
CAMPAIGN_IDS_PER_PART = 30
ADGROUP_IDS_PER_PART = 100
# Request-slice keys: a part's id filter ({"campaign_ids": [...]} or {"adgroup_ids": [...]}); the kind
# of object whose ids a request lists ("campaign" or "adgroup"); the tally of one cut window.
ID_FILTERS = "_id_filters"
ID_LISTING = "_id_listing"
CUT_TALLY = "_cut_tally"
LISTING_LEVELS = {"campaign": "AUCTION_CAMPAIGN", "adgroup": "AUCTION_ADGROUP"}
_KEPT_FOR_LISTING = ("advertiser_id", "service_type", "start_date", "end_date", "query_lifetime")
_LISTING_FILTERS = ("buying_type", "campaign_ids")


def cut_query(params: dict[str, Any], request_slice: Mapping[str, Any]) -> dict[str, Any]:
    """A report request's parameters with its part's id filter, or the listing of its ids."""
    filters = request_slice.get(ID_FILTERS) or {}
    if filters:
        params = {**params, "filtering": [*params.get("filtering", ()), *map(_id_filter, filters.items())]}
    kind = request_slice.get(ID_LISTING)
    return params if kind is None else id_listing_query(params, kind)


def _id_filter(entry: tuple[str, list[str]]) -> dict[str, str]:
    name, ids = entry
    return {"field_name": name, "filter_type": "IN", "filter_value": orjson.dumps(ids).decode()}


def id_listing_query(params: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """The campaign- or ad-group-level report listing the ids in the scope of `params`."""
    query = {key: params[key] for key in _KEPT_FOR_LISTING if key in params}
    filtering = [entry for entry in params.get("filtering", ()) if entry["field_name"] in _LISTING_FILTERS]
    # Deleted objects too, whatever the report asks: a part's filter may name more ids than have rows.
    filtering.append({"field_name": f"{kind}_status", "filter_type": "IN", "filter_value": '["STATUS_ALL"]'})
    return {
        **query,
        "report_type": "BASIC",
        "data_level": LISTING_LEVELS[kind],
        "dimensions": [f"{kind}_id"],
        "metrics": ["spend"],
        "filtering": filtering,
    }


@dataclass
class CutTally:
    """What splitting one cut window cost, for the line that says it was split away."""

    why: str
    # What the window met: TikTok's cut, or its 40067 for a report that cannot be split by date.
    problem: str = CUT
    parts: int = 0
    listings: int = 0
    ways: list[str] = field(default_factory=list)

    def way(self, how: str) -> None:
        if how not in self.ways:
            self.ways.append(how)


def _met(tally: CutTally) -> str:
    return "TikTok cut the report" if tally.problem == CUT else "the report was too large for TikTok"


def groups(ids: list[str], most: int) -> list[list[str]]:
    """`ids` in near-equal consecutive groups of at most `most`, at least two when there are two."""
    count = min(len(ids), max(2, math.ceil(len(ids) / most)))
    if count <= 1:
        return [ids]
    size, extra = divmod(len(ids), count)
    result, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        result.append(ids[start:end])
        start = end
    return result


class CutSplit:
    """Reads the windows TikTok cut for one report stream, in parts (see the module's docstring)."""

    def __init__(self, stream_name: str, data_level: str, by_time: bool, logger: logging.Logger) -> None:
        self.stream_name = stream_name
        self.data_level = data_level
        # Only a report with a time dimension keeps its rows apart when its window is split by date.
        self.by_time = by_time
        self.logger = logger

    def read_parts(
        self,
        window: CompleteWindow,
        cut: ReportCut,
        convert: Convert,
        helpers: ListingHelpers,
        problem: str = CUT,
    ) -> Iterator[Any]:
        request_slice = cut.request_slice
        tally = request_slice.get(CUT_TALLY)
        root = tally is None
        if tally is None:
            tally = CutTally(cut.why, problem)
            request_slice = {**request_slice, CUT_TALLY: tally}
        for part in self.parts(window, request_slice, cut.why, helpers):
            tally.parts += 1
            yield from window.read(part, convert, helpers)
        if root:
            self.logger.info(
                f"{self.stream_name}: advertiser {request_slice['advertiser_id']}, "
                f"{window_label(request_slice)}: {_met(tally)} ({tally.why}); split away in "
                f"{tally.parts} parts ({', then '.join(tally.ways)}; {tally.listings} listing requests), "
                "every row read."
            )

    def parts(
        self, window: CompleteWindow, request_slice: dict[str, Any], why: str, helpers: ListingHelpers
    ) -> list[dict[str, Any]]:
        tally: CutTally = request_slice[CUT_TALLY]
        start, end = request_slice.get("start_date"), request_slice.get("end_date")
        if self.by_time and start is not None and start != end:
            tally.way("by date")
            return [
                {**request_slice, "start_date": part_start.isoformat(), "end_date": part_end.isoformat()}
                for part_start, part_end in halves(date.fromisoformat(start), date.fromisoformat(end))
            ]
        filters = request_slice.get(ID_FILTERS) or {}
        name, ids = next(iter(filters.items()), (None, []))
        if len(ids) > 1:
            tally.way("by campaign" if name == "campaign_ids" else "by ad group")
            return [{**request_slice, ID_FILTERS: {name: group}} for group in groups(ids, len(ids))]
        if name == "adgroup_ids" or (name == "campaign_ids" and self.data_level == "AUCTION_CAMPAIGN"):
            raise CutTooFine(self.stream_name, request_slice, f"{name} {ids}", why, tally.problem)
        kind = "adgroup" if name == "campaign_ids" else "campaign"
        listed = self.list_ids(window, request_slice, kind, why, helpers)
        if kind == "campaign" and len(listed) == 1 and self.data_level != "AUCTION_CAMPAIGN":
            return self.parts(window, {**request_slice, ID_FILTERS: {"campaign_ids": listed}}, why, helpers)
        tally.way("by campaign" if kind == "campaign" else "by ad group")
        most = CAMPAIGN_IDS_PER_PART if kind == "campaign" else ADGROUP_IDS_PER_PART
        return [{**request_slice, ID_FILTERS: {f"{kind}_ids": group}} for group in groups(listed, most)]

    def list_ids(
        self,
        window: CompleteWindow,
        request_slice: Mapping[str, Any],
        kind: str,
        why: str,
        helpers: ListingHelpers,
    ) -> list[str]:
        """The ids of `kind` with rows in the scope of `request_slice` (its dates, buying type, filter)."""
        tally: CutTally = request_slice[CUT_TALLY]
        listing = {**request_slice, ID_LISTING: kind}
        dimension = f"{kind}_id"
        found: dict[str, None] = {}
        notices: list[str] = []

        def collect(data: Mapping[str, Any]) -> None:
            if CUT_NOTICE in data:
                notices.append(str(data[CUT_NOTICE]))
            for item in data.get("list") or ():
                value = (item.get("dimensions") or {}).get(dimension)
                if value is not None:
                    found[str(value)] = None

        for _ in window.read_unchecked(listing, collect, helpers):
            tally.listings += 1
        if notices or len(found) >= CUT_SIZE or not found:
            # Too many to list whole (or none listed at all): the parts could not cover every id.
            what = f"its {kind} list ({len(found):,} {kind}s listed)"
            raise CutTooFine(self.stream_name, request_slice, what, why, tally.problem)
        return list(found)
