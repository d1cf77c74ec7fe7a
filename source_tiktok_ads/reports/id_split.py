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

The parts that were read whole are remembered (`split_memory`): the stream's later windows of the same
advertiser are asked for directly in those groups, after one listing of their campaigns.

Each split window is logged at debug level; the stream's splits are summed up in one line at the end
of the run (`cut_summaries`).
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import orjson

from ..api.cut_notice import CUT_NOTICE
from . import report_cut
from .report_cut import CUT, CutTooFine, ReportCut, window_label
from .split_memory import ID_FILTERS, PARENT_CAMPAIGN, LearnedSplit, SplitMemory, chunks, learned_filters
from .windows import halves

if TYPE_CHECKING:
    from ..pipeline.listing import ListingHelpers
    from .window_read import CompleteWindow, Convert

# TikTok advises filtering ad-level reports by at most 30 campaigns; id filters of its listings take
# at most 100 ids, which is the most an ad-group part is given here.
CAMPAIGN_IDS_PER_PART = 30
ADGROUP_IDS_PER_PART = 100
# Request-slice keys, besides `ID_FILTERS` (a part's id filter): the kind of object whose ids a request
# lists ("campaign" or "adgroup"); the tally of one cut window.
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
        self.memory = SplitMemory()
        self._lock = threading.Lock()
        # What the run's splits cost, for the stream's summary line.
        self.windows: dict[str, int] = {}
        self.parts_read = 0
        self.listings = 0

    def recalls(self, request_slice: Mapping[str, Any]) -> LearnedSplit | None:
        """The split learned for a slice not yet split by id (None: none, or the slice is a part)."""
        if ID_FILTERS in request_slice or ID_LISTING in request_slice:
            return None
        return self.memory.recall(request_slice)

    def read_learned(
        self,
        window: CompleteWindow,
        request_slice: Mapping[str, Any],
        plan: LearnedSplit,
        convert: Convert,
        helpers: ListingHelpers,
    ) -> Iterator[Any]:
        """The window asked for directly in the groups that worked for an earlier one (`split_memory`)."""
        tally = request_slice.get(CUT_TALLY)
        root = tally is None
        if tally is None:
            tally = CutTally("split as learned from an earlier window")
            request_slice = {**request_slice, CUT_TALLY: tally}
        tally.way("as learned")
        campaigns = self.list_ids(window, request_slice, "campaign", tally.why, helpers, none_is_cut=False)

        def adgroups_of(split: list[str]) -> list[str]:
            return self._list_adgroups(window, request_slice, split, helpers)

        filters = learned_filters(plan, campaigns, adgroups_of, CAMPAIGN_IDS_PER_PART, ADGROUP_IDS_PER_PART)
        for id_filter in filters:
            yield from self._read_part(
                window, {**request_slice, ID_FILTERS: id_filter}, tally, convert, helpers
            )
        if root:
            self._done(request_slice, tally)

    def _list_adgroups(
        self,
        window: CompleteWindow,
        request_slice: Mapping[str, Any],
        campaigns: list[str],
        helpers: ListingHelpers,
    ) -> list[str]:
        """The ad groups of `campaigns` with rows in the slice's scope: listed for many campaigns at once,
        and for fewer at a time where that listing is itself cut."""
        tally: CutTally = request_slice[CUT_TALLY]
        listed: list[str] = []
        for group in chunks(campaigns, ADGROUP_IDS_PER_PART):
            scope = {**request_slice, ID_FILTERS: {"campaign_ids": group}}
            try:
                listed += self.list_ids(window, scope, "adgroup", tally.why, helpers, none_is_cut=False)
            except CutTooFine:
                if len(group) == 1:
                    raise
                middle = len(group) // 2
                listed += self._list_adgroups(window, request_slice, group[:middle], helpers)
                listed += self._list_adgroups(window, request_slice, group[middle:], helpers)
        return listed

    def _read_part(
        self,
        window: CompleteWindow,
        part: dict[str, Any],
        tally: CutTally,
        convert: Convert,
        helpers: ListingHelpers,
    ) -> Iterator[Any]:
        tally.parts += 1
        before = tally.parts
        yield from window.read(part, convert, helpers)
        if tally.parts == before and ID_FILTERS in part:
            # Read whole, not split any further: the next windows are asked for in this group.
            self.memory.learn(part)

    def _done(self, request_slice: Mapping[str, Any], tally: CutTally) -> None:
        advertiser_id = str(request_slice["advertiser_id"])
        with self._lock:
            self.windows[advertiser_id] = self.windows.get(advertiser_id, 0) + 1
            self.parts_read += tally.parts
            self.listings += tally.listings
        self.logger.debug(
            f"{self.stream_name}: advertiser {advertiser_id}, {window_label(request_slice)}: "
            f"{_met(tally)} ({tally.why}); split away in {tally.parts} parts "
            f"({', then '.join(tally.ways)}; {tally.listings} listing requests), every row read."
        )

    def summary(self) -> str | None:
        """One line for the run's split windows of this stream (None: none was split)."""
        with self._lock:
            if not self.windows:
                return None
            split = sum(self.windows.values())
            advertisers = ", ".join(sorted(self.windows))
            return (
                f"{self.stream_name}: TikTok cut (or found too large) {split} report window(s) of advertiser(s) "
                f"{advertisers}; split away in {self.parts_read} parts and {self.listings} listing requests, "
                "every row read."
            )

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
            yield from self._read_part(window, part, tally, convert, helpers)
        if root:
            self._done(request_slice, tally)

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
        parent = {PARENT_CAMPAIGN: ids[0]} if kind == "adgroup" else {}
        return [
            {**request_slice, **parent, ID_FILTERS: {f"{kind}_ids": group}} for group in groups(listed, most)
        ]

    def list_ids(
        self,
        window: CompleteWindow,
        request_slice: Mapping[str, Any],
        kind: str,
        why: str,
        helpers: ListingHelpers,
        none_is_cut: bool = True,
    ) -> list[str]:
        """The ids of `kind` with rows in the scope of `request_slice` (its dates, buying type, filter).

        `none_is_cut`: a listing of none means the ids could not be listed (true of a window TikTok
        cut, which has rows; not of a window read in learned groups without asking for it whole)."""
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
        if notices or len(found) >= report_cut.CUT_SIZE or (none_is_cut and not found):
            # Too many to list whole (or none listed at all): the parts could not cover every id.
            what = f"its {kind} list ({len(found):,} {kind}s listed)"
            raise CutTooFine(self.stream_name, request_slice, what, why, tally.problem)
        return list(found)


def cut_summaries(streams: Iterable[Any]) -> list[str]:
    """One line per report stream whose windows were split in the run."""
    lines = []
    for stream in streams:
        split = getattr(getattr(stream, "window_read", None), "cut_split", None)
        line = split.summary() if isinstance(split, CutSplit) else None
        if line:
            lines.append(line)
    return lines
