"""GMV Max report streams: `gmv_max/report/get/`, read like the other reports, store by store.

TikTok's GMV Max report differs from `report/integrated/get/` in ways that shape every request:
- one advertiser and exactly one store per request (`store_ids`), so each (advertiser, window) slice
  becomes one request per store;
- `filtering` is a JSON object, and each level requires its own keys (campaign level: the
  promotion type, spelled `PRODUCT` / `LIVE` here, unlike the campaign listing);
- its own metric names (`cost`, `orders`, `gross_revenue`, `roi`);
- its own per-app rate bucket, on top of the app's global one (`EndpointBudget`).
Rows are keyed by advertiser, store and the request's dimensions; every row carries both ids.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from airbyte_cdk.sources.streams.call_rate import APIBudget

from ..api.endpoint_budget import EndpointBudget
from ..config import TimeGranularity
from ..streams.base import SyncContext
from ..streams.gmv_max import GmvMaxStores
from . import gmv_max_metrics as metrics
from .definitions import TIME_DIMENSION
from .stream import ReportStream
from .windows import MAX_DAYS_DAILY

GMV_MAX_REPORT_PATH = "gmv_max/report/get/"


@dataclass(frozen=True)
class GmvMaxReportDefinition:
    """One GMV Max report stream, in the shape `ReportStream` reads (dimensions, metrics, windows)."""

    name: str
    id_dimensions: tuple[str, ...]
    metrics: tuple[str, ...]
    # Report-filter spelling (PRODUCT / LIVE); None: both (account level only).
    promotion_type: str | None = None
    granularity: TimeGranularity = TimeGranularity.DAY
    data_level: str = "GMV_MAX"

    @cached_property
    def time_dimension(self) -> str | None:
        return TIME_DIMENSION.get(self.granularity)

    @cached_property
    def dimensions(self) -> tuple[str, ...]:
        time = (self.time_dimension,) if self.time_dimension else ()
        return (*self.id_dimensions, *time)

    @property
    def primary_key(self) -> list[str]:
        return ["advertiser_id", "store_id", *(name for name in self.dimensions if name != "advertiser_id")]

    @property
    def uses_query_lifetime(self) -> bool:
        return False

    @property
    def max_window_days(self) -> int:
        return MAX_DAYS_DAILY

    @property
    def level_label(self) -> str:
        if self.id_dimensions == ("advertiser_id",):
            return "advertiser (Product + LIVE)"
        return f"{(self.promotion_type or '').title().replace('Live', 'LIVE')} {self.id_dimensions[-1][:-3]}".strip()

    def filtering(self) -> dict[str, Any]:
        return {"gmv_max_promotion_types": [self.promotion_type]} if self.promotion_type else {}


GMV_MAX_REPORTS: tuple[GmvMaxReportDefinition, ...] = (
    GmvMaxReportDefinition("gmv_max_advertisers_reports_daily", ("advertiser_id",), metrics.CORE),
    GmvMaxReportDefinition(
        "gmv_max_product_campaigns_reports_daily", ("campaign_id",), metrics.PRODUCT_CAMPAIGN, "PRODUCT"
    ),
    GmvMaxReportDefinition(
        "gmv_max_live_campaigns_reports_daily", ("campaign_id",), metrics.LIVE_CAMPAIGN, "LIVE"
    ),
)


class GmvMaxReportStream(ReportStream):
    def __init__(
        self,
        context: SyncContext,
        definition: GmvMaxReportDefinition,
        stores: GmvMaxStores,
        budget: APIBudget,
    ) -> None:
        self.stores = stores
        self._budget = budget
        super().__init__(context, definition)  # type: ignore[arg-type]
        properties = self._schema["properties"]
        properties["store_id"] = {"type": ["null", "string"]}

    def request_budget(self) -> APIBudget | None:
        return self._budget

    def path(self, **kwargs: Any) -> str:
        return GMV_MAX_REPORT_PATH

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
        if filtering:
            params["filtering"] = filtering
        return params

    def request_slices(self, stream_slice: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
        # One request per store; an advertiser without GMV Max stores costs only the store lookup.
        for store_id in self.stores.store_ids(stream_slice["advertiser_id"]):
            yield {**stream_slice, "store_id": store_id}

    def transform(self, item: dict[str, Any], stream_slice: Mapping[str, Any]) -> dict[str, Any] | None:
        record = self._records.build(item, stream_slice["advertiser_id"])
        record["store_id"] = stream_slice["store_id"]
        return record


def gmv_max_report_streams(context: SyncContext, stores: GmvMaxStores) -> list[GmvMaxReportStream]:
    config = context.config
    budget = EndpointBudget(
        context.api_budget,
        config.gmv_max_requests_per_second,
        config.gmv_max_requests_per_minute,
        config.gmv_max_requests_per_day,
    )
    return [GmvMaxReportStream(context, definition, stores, budget) for definition in GMV_MAX_REPORTS]
