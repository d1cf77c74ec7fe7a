"""GMV Max custom reports: a level, its ID dimensions and GMV Max metric names, checked before any
request like the other custom reports, then read by the GMV Max report stream.

Each level allows the groupings TikTok documents that keep rows unique per request: below campaign
level the grouping must include `campaign_id`, since the parent-id filters are sent in chunks and a
bare SPU or post could come back once per chunk.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from ..api.client import TikTokApi
from ..config import GmvMaxCustomReport, GmvMaxLevel, config_error
from ..streams.gmv_max import CAMPAIGN_LIST_PATH, STORE_LIST_PATH
from . import gmv_max_metrics as metrics
from .custom import STREAM_NAME, Validation, suggested_name
from .gmv_max import GMV_MAX_REPORT_PATH, GmvMaxReportDefinition

BASIC_NAMES = {
    "spend": "cost",
    "billed_cost": "cost",
    "impressions": "product_impressions",
    "clicks": "product_clicks",
}


@dataclass(frozen=True)
class GmvMaxLevelRules:
    groupings: tuple[tuple[str, ...], ...]
    metrics: tuple[str, ...]
    promotion_type: str | None = None
    parent_filters: tuple[str, ...] = ()


LEVELS: dict[GmvMaxLevel, GmvMaxLevelRules] = {
    GmvMaxLevel.ACCOUNT: GmvMaxLevelRules((("advertiser_id",),), metrics.CORE),
    GmvMaxLevel.PRODUCT_CAMPAIGN: GmvMaxLevelRules((("campaign_id",),), metrics.PRODUCT_CAMPAIGN, "PRODUCT"),
    GmvMaxLevel.LIVE_CAMPAIGN: GmvMaxLevelRules((("campaign_id",),), metrics.LIVE_CAMPAIGN, "LIVE"),
    GmvMaxLevel.PRODUCT_SPU: GmvMaxLevelRules(
        (("campaign_id", "item_group_id"),), metrics.SPU, parent_filters=("campaign_ids",)
    ),
    GmvMaxLevel.PRODUCT_CREATIVE: GmvMaxLevelRules(
        (("campaign_id", "item_group_id", "item_id"),),
        metrics.CREATIVE,
        parent_filters=("campaign_ids", "item_group_ids"),
    ),
}
KNOWN_METRICS = frozenset(name for rules in LEVELS.values() for name in rules.metrics)


def validate_gmv_max_reports(reports: Iterable[GmvMaxCustomReport], reserved: Iterable[str]) -> Validation:
    reports = list(reports)
    result = Validation()
    taken = set(reserved)
    counts = Counter(report.name.lower() for report in reports)
    for report in reports:
        where = f"GMV Max custom report '{report.name}'"
        if not STREAM_NAME.match(report.name):
            result.problems.append(
                f"{where}: name '{report.name}' may only contain letters, digits and underscores and must not "
                f"start with a digit; use e.g. '{suggested_name(report.name)}'."
            )
        if report.name in taken:
            result.problems.append(f"{where}: name '{report.name}' is already a stream; choose another name.")
        if counts[report.name.lower()] > 1:
            result.problems.append(f"{where}: name '{report.name}' is used by more than one custom report.")
        _check(report, where, result)
    return result


def _check(report: GmvMaxCustomReport, where: str, result: Validation) -> None:
    rules = LEVELS[report.level]
    grouping = tuple(name for name in report.dimensions if name != "stat_time_day")
    if grouping and tuple(sorted(grouping)) not in {tuple(sorted(g)) for g in rules.groupings}:
        allowed = " or ".join(f"[{', '.join(g)}]" for g in rules.groupings)
        result.problems.append(
            f"{where}: dimensions {grouping} are not a grouping this connector reads at level {report.level.value}; "
            f"use {allowed} (stat_time_day is added)."
        )
    for name, count in Counter(report.metrics).items():
        if count > 1:
            result.problems.append(f"{where}: metric '{name}' is listed {count} times; list it once.")
    for name in dict.fromkeys(report.metrics):
        if name in BASIC_NAMES:
            result.problems.append(
                f"{where}: '{name}' is a BASIC report metric; GMV Max reports call it '{BASIC_NAMES[name]}'."
            )
        elif name in KNOWN_METRICS and name not in rules.metrics:
            levels = [level.value for level, other in LEVELS.items() if name in other.metrics]
            result.problems.append(
                f"{where}: metric '{name}' is not available at level {report.level.value}; it is at "
                f"{' or '.join(levels)}."
            )
        elif name not in KNOWN_METRICS:
            result.warnings.append(
                f"{where}: metric '{name}' is not in the connector's catalog; TikTok will decide whether it is valid."
            )


def definition_of(report: GmvMaxCustomReport) -> GmvMaxReportDefinition:
    rules = LEVELS[report.level]
    grouping = tuple(name for name in report.dimensions if name != "stat_time_day") or rules.groupings[0]
    return GmvMaxReportDefinition(
        report.name,
        grouping,
        tuple(dict.fromkeys(report.metrics)),
        promotion_type=rules.promotion_type,
        parent_filters=rules.parent_filters,
    )


def gmv_max_custom_definitions(
    reports: Iterable[GmvMaxCustomReport], reserved: Iterable[str], logger: logging.Logger
) -> list[GmvMaxReportDefinition]:
    """Validated definitions; a config error lists every problem."""
    reports = list(reports)
    validation = validate_gmv_max_reports(reports, reserved)
    for warning in validation.warnings:
        logger.warning(warning)
    if not validation.ok:
        raise config_error("Invalid gmv_max_custom_reports. " + " ".join(validation.problems))
    return [definition_of(report) for report in reports]


def gmv_max_probe(definition: GmvMaxReportDefinition, advertiser_id: str, api: TikTokApi) -> str | None:
    """One tiny live request for the advertiser's first store: None when TikTok accepts it (or there is
    nothing to probe with: no store, no campaign, no SPU), else TikTok's refusal. Parent ids come from
    the store's first Product campaign and its first SPU, as a sync would find them."""
    try:
        stores = api.get(STORE_LIST_PATH, {"advertiser_id": advertiser_id}).data.get("store_list") or []
        if not stores:
            return None
        store_id = str(stores[0].get("store_id"))
        today = datetime.now(UTC).date()
        day = (today - timedelta(days=1)).isoformat()
        base = {"advertiser_id": advertiser_id, "store_ids": [store_id], "page": 1, "page_size": 1}
        filtering = definition.filtering()
        if definition.parent_filters:
            campaigns = (
                api.get(
                    CAMPAIGN_LIST_PATH,
                    {
                        **base,
                        "filtering": {
                            "gmv_max_promotion_types": ["PRODUCT_GMV_MAX"],
                            "store_ids": [store_id],
                        },
                    },
                ).data.get("list")
                or []
            )
            if not campaigns:
                return None
            filtering["campaign_ids"] = [str(campaigns[0].get("campaign_id"))]
        if "item_group_ids" in definition.parent_filters:
            month = {"start_date": (today - timedelta(days=30)).isoformat(), "end_date": day}
            spus = (
                api.get(
                    GMV_MAX_REPORT_PATH,
                    {
                        **base,
                        **month,
                        "dimensions": ["campaign_id", "item_group_id"],
                        "metrics": ["cost"],
                        "filtering": {"campaign_ids": filtering["campaign_ids"]},
                    },
                ).data.get("list")
                or []
            )
            if not spus:
                return None
            filtering["item_group_ids"] = [str((spus[0].get("dimensions") or {}).get("item_group_id"))]
        params: dict[str, Any] = {
            **base,
            "start_date": day,
            "end_date": day,
            "dimensions": list(definition.dimensions),
            "metrics": list(definition.metrics),
        }
        if filtering:
            params["filtering"] = filtering
        api.get(GMV_MAX_REPORT_PATH, params)
    except AirbyteTracedException as error:
        return error.message or str(error)
    return None
