"""Report rows as TikTok sends them: dimensions and metrics built from aggregated counters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from . import catalog
from .catalog import AD, ADGROUP, CAMPAIGN, LEVEL_ID_DIMENSION, LEVEL_RANK

if TYPE_CHECKING:
    from .aggregation import AggregatedRow
    from .dataset import Dataset, ReportQuery


class ReportRows:
    """Builds a dataset's report rows; attribute metrics (names, budgets …) are looked up once per object."""

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds
        self._attr_cache: dict[tuple[str, str], dict[str, Any]] = {}

    def build(
        self, q: ReportQuery, aggregated: list[AggregatedRow], metrics: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        level = q.data_level
        id_dim = LEVEL_ID_DIMENSION[level]
        time_dim = next((d for d in q.dimensions if d in catalog.TIME_DIMENSIONS), None)
        breakdowns = tuple(d for d in catalog.AUDIENCE_DIMENSIONS if d in q.dimensions)
        if metrics is None:
            metrics = [
                *catalog.NUMERIC_METRICS,
                *(m for m in catalog.ATTRIBUTE_MIN_LEVEL if catalog.attribute_allowed(m, level)),
            ]
        build, reads_attributes = catalog.row_builder(tuple(metrics))
        attributes = self.attributes
        rows = []
        for (entity_id, time_key, values), counters, sg in aggregated:
            dims: dict[str, Any] = {id_dim: entity_id}
            if time_dim:
                dims[time_dim] = time_key
            if breakdowns:
                dims.update(zip(breakdowns, values, strict=True))
            attrs = attributes(level, entity_id) if reads_attributes else None
            rows.append({"dimensions": dims, "metrics": build(counters, sg, attrs)})
        return rows

    def attributes(self, level: str, entity_id: str) -> dict[str, Any]:
        """The attribute metrics of one object at one data level (cached)."""
        key = (level, entity_id)
        cached = self._attr_cache.get(key)
        if cached is not None:
            return cached
        entity = self.ds.entity(catalog.LEVEL_KIND[level], entity_id)
        adv = self.ds.advertiser(entity["advertiser_id"])
        attrs: dict[str, Any] = {
            "advertiser_name": adv["name"],
            "advertiser_id": adv["advertiser_id"],
            "currency": adv["currency"],
        }
        if LEVEL_RANK[level] >= LEVEL_RANK[CAMPAIGN]:
            attrs.update(_campaign_attributes(self.ds.entity("campaign", entity["campaign_id"])))
        if LEVEL_RANK[level] >= LEVEL_RANK[ADGROUP]:
            attrs.update(_adgroup_attributes(self.ds.entity("adgroup", entity["adgroup_id"])))
        if level == AD:
            attrs.update(
                adgroup_id=entity["adgroup_id"],
                ad_name=entity["ad_name"],
                ad_text=entity["ad_text"],
                call_to_action=entity["call_to_action"],
                image_mode="Single video",
                is_smart_creative=False,
            )
        self._attr_cache[key] = attrs
        return attrs


def _campaign_attributes(camp: dict[str, Any]) -> dict[str, Any]:
    infinite = camp["budget_mode"] == "BUDGET_MODE_INFINITE"
    return {
        "campaign_name": camp["campaign_name"],
        "objective_type": camp["objective_type"],
        "split_test": "Split test off",
        "campaign_budget": "-" if infinite else f"{camp['budget']:.2f}",
        # Display strings below are best guesses at Ads Manager wording [?].
        "campaign_dedicate_type": "Non-iOS 14 Dedicated Campaign",
        "app_promotion_type": "App Install" if camp["objective_type"] == "APP_PROMOTION" else "-",
    }


def _adgroup_attributes(group: dict[str, Any]) -> dict[str, Any]:
    automatic = group["placement_type"] == "PLACEMENT_TYPE_AUTOMATIC"
    return {
        "campaign_id": group["campaign_id"],
        "adgroup_name": group["adgroup_name"],
        "placement_type": "Automatic Placement" if automatic else "Select Placement",
        "promotion_type": "Website",
        "opt_status": group["operation_status"],
        "budget": f"{group['budget']:.2f}",
        "smart_target": "-",
        "billing_event": "CPC",
        "bid_strategy": "Lowest Cost",
        "bid": f"{group['bid_price']:.2f}",
        "tt_app_id": "0",
        "tt_app_name": "0",
        "mobile_app_id": "0",
        "dpa_target_audience_type": None,
    }
