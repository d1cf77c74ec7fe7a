"""GMV Max report streams: `gmv_max/report/get/`, read like the other reports, store by store.

TikTok's GMV Max report differs from `report/integrated/get/` in ways that shape every request:
- one advertiser and exactly one store per request (`store_ids`), so each (advertiser, window) slice
  becomes one request per store;
- `filtering` is a JSON object, and each level requires its own keys (campaign level: the
  promotion type, spelled `PRODUCT` / `LIVE` here, unlike the campaign listing);
- its own metric names (`cost`, `orders`, `gross_revenue`, `roi`);
- its own per-app rate bucket, on top of the app's global one (`EndpointBudget`).
Rows are keyed by advertiser, store and the request's dimensions; every row carries both ids. Slices
are (advertiser, store, window), and each store has its own cursor (`state.StoreCursors`): a store
listed for the first time is read from the start date, whatever the advertiser's other stores reached.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.streams.call_rate import APIBudget

from ..advertisers import chunks
from ..api.endpoint_budget import EndpointBudget
from ..api.errors import AccessDenied
from ..state import StoreCursors
from ..streams.base import SyncContext, last_page_of
from ..streams.gmv_max import GmvMaxStores
from . import gmv_max_metrics as metrics
from .own_endpoint import EndpointReportDefinition, EndpointReportStream
from .stream import UNDATED
from .windows import local_today, windows

GMV_MAX_REPORT_PATH = "gmv_max/report/get/"
LEVEL_NAMES = {"campaign_id": "campaign", "item_group_id": "SPU", "item_id": "creative"}


@dataclass(frozen=True)
class GmvMaxReportDefinition(EndpointReportDefinition):
    """One GMV Max report stream: rows keyed by advertiser and store, then the request's dimensions."""

    key_prefix: tuple[str, ...] = ("advertiser_id", "store_id")
    data_level: ClassVar[str] = "GMV_MAX"
    report_label: ClassVar[str] = "GMV Max"
    # Report-filter spelling (PRODUCT / LIVE); None: both, or implied by the parent filters.
    promotion_type: str | None = None
    # The parent ids TikTok requires as filters at this level: campaign_ids for SPUs, campaign_ids and
    # item_group_ids for creatives.
    parent_filters: tuple[str, ...] = ()

    @property
    def level_label(self) -> str:
        if self.id_dimensions == ("advertiser_id",):
            return "advertiser (Product + LIVE)"
        kind = {"PRODUCT": "Product", "LIVE": "LIVE"}.get(self.promotion_type or "", "Product")
        return f"{kind} {LEVEL_NAMES[self.id_dimensions[-1]]}"

    def filtering(self) -> dict[str, Any]:
        return {"gmv_max_promotion_types": [self.promotion_type]} if self.promotion_type else {}


GMV_MAX_REPORTS: tuple[GmvMaxReportDefinition, ...] = (
    GmvMaxReportDefinition("gmv_max_advertisers_reports_daily", ("advertiser_id",), metrics.CORE),
    GmvMaxReportDefinition(
        "gmv_max_product_campaigns_reports_daily",
        ("campaign_id",),
        metrics.PRODUCT_CAMPAIGN,
        promotion_type="PRODUCT",
    ),
    GmvMaxReportDefinition(
        "gmv_max_live_campaigns_reports_daily", ("campaign_id",), metrics.LIVE_CAMPAIGN, promotion_type="LIVE"
    ),
    GmvMaxReportDefinition(
        "gmv_max_product_spus_reports_daily",
        ("campaign_id", "item_group_id"),
        metrics.SPU,
        parent_filters=("campaign_ids",),
    ),
    # `item_id` alone is not unique (a post can promote several SPUs; product cards are all "-1"), so
    # creative rows are keyed by campaign, SPU and post. TikTok returns only rows with cost here.
    GmvMaxReportDefinition(
        "gmv_max_product_creatives_reports_daily",
        ("campaign_id", "item_group_id", "item_id"),
        metrics.CREATIVE,
        parent_filters=("campaign_ids", "item_group_ids"),
    ),
)
MAX_FILTER_IDS = 100  # per id filter of gmv_max/report/get/
PRODUCT_LISTING_TYPE = "PRODUCT_GMV_MAX"


class GmvMaxReportStream(EndpointReportStream):
    path_name = GMV_MAX_REPORT_PATH

    def __init__(
        self,
        context: SyncContext,
        definition: GmvMaxReportDefinition,
        stores: GmvMaxStores,
        budget: APIBudget,
    ) -> None:
        self.stores = stores
        self._budget = budget
        super().__init__(context, definition)
        self._cursors = StoreCursors(definition.time_dimension or "")

    def request_budget(self) -> APIBudget | None:
        return self._budget

    def query(self, stream_slice: Mapping[str, Any]) -> dict[str, Any]:
        definition: GmvMaxReportDefinition = self.definition  # type: ignore[assignment]
        params: dict[str, Any] = {
            "advertiser_id": stream_slice["advertiser_id"],
            "store_ids": [stream_slice["store_id"]],
            "start_date": stream_slice["start_date"],
            "end_date": stream_slice["end_date"],
            "dimensions": list(definition.dimensions),
            "metrics": list(definition.metrics),
        }
        filtering = definition.filtering()
        for key in definition.parent_filters:
            filtering[key] = list(stream_slice[key])
        if filtering:
            params["filtering"] = filtering
        return params

    def plan_slices(
        self, *, sync_mode: SyncMode, cursor_field: list[str] | None = None, stream_state: Any = None
    ) -> Iterable[Mapping[str, Any] | None]:
        """(advertiser, store, window) slices, each store from its own cursor."""
        cursors: StoreCursors = self._cursors  # type: ignore[assignment]
        for advertiser in self.context.directory.details().values():
            advertiser_id = advertiser.advertiser_id
            if advertiser.unknown_because:
                yield {"advertiser_id": advertiser_id, UNDATED: advertiser.unknown_because}
                continue
            try:
                store_ids = self.stores.store_ids(advertiser_id)
            except AccessDenied:
                # One slice without a store: reading it raises the refusal, named for this advertiser.
                yield {"advertiser_id": advertiser_id}
                continue
            cursors.spread(advertiser_id, store_ids)
            today = local_today(advertiser.timezone, self._now)
            _, end = self._date_range(advertiser_id, today, sync_mode)
            self._stamps[advertiser_id] = self._stamp(advertiser, end)
            for store_id in store_ids:
                partition = {"advertiser_id": advertiser_id, "store_id": store_id}
                start, end = self._date_range(partition, today, sync_mode)
                for window_start, window_end in windows(start, end, self.definition.max_window_days):
                    yield {
                        **partition,
                        "start_date": window_start.isoformat(),
                        "end_date": window_end.isoformat(),
                    }

    def request_slices(self, stream_slice: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
        # One request per parent-id chunk of the slice's store.
        parents = self.definition.parent_filters  # type: ignore[attr-defined]
        advertiser_id = stream_slice["advertiser_id"]
        store_id = stream_slice.get("store_id")
        if store_id is None:
            # The advertiser's stores could not be listed: the refusal (kept by the directory) fails
            # this slice.
            self.stores.store_ids(advertiser_id)
            return
        if not parents:
            yield stream_slice
            return
        campaign_ids = self.stores.campaign_ids(advertiser_id, store_id, PRODUCT_LISTING_TYPE)
        for campaigns in chunks(campaign_ids, MAX_FILTER_IDS):
            if "item_group_ids" not in parents:
                yield {**stream_slice, "campaign_ids": campaigns}
                continue
            for groups in chunks(
                self._item_group_ids({**stream_slice, "campaign_ids": campaigns}), MAX_FILTER_IDS
            ):
                yield {**stream_slice, "campaign_ids": campaigns, "item_group_ids": groups}

    def _item_group_ids(self, piece: Mapping[str, Any]) -> list[str]:
        """The SPUs with delivery in the window: the creative level needs them as a filter."""
        params: dict[str, Any] = {
            "advertiser_id": piece["advertiser_id"],
            "store_ids": [piece["store_id"]],
            "start_date": piece["start_date"],
            "end_date": piece["end_date"],
            "dimensions": ["campaign_id", "item_group_id"],
            "metrics": ["cost"],
            "filtering": {"campaign_ids": list(piece["campaign_ids"])},
            "page_size": 1000,
        }
        groups: list[str] = []
        page = 1
        while True:
            data = self.stores.api_for(self._budget).get(GMV_MAX_REPORT_PATH, {**params, "page": page}).data
            rows = data.get("list") or []
            groups += [str((row.get("dimensions") or {}).get("item_group_id")) for row in rows]
            if not rows or page >= last_page_of(data):
                return list(dict.fromkeys(group for group in groups if group != "None"))
            page += 1


def gmv_max_report_budget(context: SyncContext) -> EndpointBudget:
    """The run's one bucket for GMV Max reports, in front of the run's shared budget."""
    config = context.config
    return EndpointBudget(
        context.api_budget,
        config.gmv_max_requests_per_second,
        config.gmv_max_requests_per_minute,
        config.gmv_max_requests_per_day,
    )


def gmv_max_report_streams(
    context: SyncContext,
    stores: GmvMaxStores,
    budget: APIBudget,
    definitions: Iterable[GmvMaxReportDefinition] = GMV_MAX_REPORTS,
) -> list[GmvMaxReportStream]:
    return [GmvMaxReportStream(context, definition, stores, budget) for definition in definitions]
