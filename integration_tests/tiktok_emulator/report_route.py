"""`report/integrated/get/`: BASIC and AUDIENCE reports, checked by `report_rules`, summed by the dataset."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from . import catalog, divergent, report_rules
from .aggregation import AggregatedRow
from .catalog import LEVEL_ID_DIMENSION
from .dataset import ReportQuery
from .errors import QUERY_TOO_LARGE_MESSAGE, ApiError, bad_param
from .paging import page, page_request
from .report_cut import CUT_HEADER, cut_report
from .report_filtering import report_filtering

if TYPE_CHECKING:
    from .call import Call
    from .server import Emulator


def route_report(emu: Emulator, call: Call) -> dict[str, Any]:
    p = call.params
    report_type = report_rules.report_type(p)
    adv_id = report_rules.one_advertiser(p)
    emu.check_advertiser(call, adv_id)
    report_rules.auction_service_type(p)
    level = report_rules.data_level(p, emu.sandbox)
    dimensions = report_rules.dimensions(p, report_type, level)
    time_dim = next((d for d in dimensions if d in catalog.TIME_DIMENSIONS), None)
    lifetime = report_rules.lifetime(p, report_type, dimensions)
    days = emu.dataset.days if lifetime else report_rules.report_days(p, time_dim)
    metrics = report_rules.metrics(p, report_type, level, dimensions, lifetime, emu.profile)
    refuse_for_advertiser(call, adv_id, days, metrics)
    q = ReportQuery(
        report_type=report_type,
        data_level=level,
        dimensions=tuple(dimensions),
        days=tuple(days),
        advertiser_id=adv_id,
    )
    # The v1.2 parameter name "filters" is read by nobody, exactly like on TikTok's side.
    report_filtering(p.get("filtering"), level, q)
    page_no, page_size = page_request(p)
    order_field, order_type = report_rules.ordering(p)
    report_rules.regular_query_mode(p)
    totals = report_rules.total_metrics(p, report_type, dimensions, level)

    aggregated = emu.dataset.aggregate(q)
    slow = call.faults.slow_report(len(days), len({entry[0][0] for entry in aggregated}))
    if slow:
        time.sleep(slow)
    cap = call.faults.query_too_large_rows
    if cap and len(aggregated) > cap:
        raise ApiError(40067, QUERY_TOO_LARGE_MESSAGE)
    faults = call.faults
    kind = None if level == catalog.ADVERTISER else catalog.LEVEL_KIND[level]
    cut = cut_report(
        emu.dataset, kind, aggregated, faults.report_cut_ids, faults.cut_total_counts, faults.cut_header
    )
    if cut.header is not None:
        call.headers[CUT_HEADER] = cut.header
    aggregated = cut.rows
    if order_field:
        aggregated = _ordered(aggregated, order_field, order_type)
    chunk, page_info = page(aggregated, page_no, page_size, call.faults, total=cut.total_number)
    rows = emu.dataset.build_rows(q, chunk, metrics)
    if emu.profile == divergent.DIVERGENT:
        rows = divergent.report_rows(rows, LEVEL_ID_DIMENSION[level], emu.keyless_rows)
    data: dict[str, Any] = {"list": rows, "page_info": page_info}
    if totals:
        data["total_metrics"] = _total_metrics(aggregated, metrics)
    return data


def refuse_for_advertiser(call: Call, adv_id: str, days: tuple[Any, ...], metrics: list[str]) -> None:
    """The fault plan's persistent refusals of this advertiser: a window denied, metrics not offered."""
    if call.faults.denies_days(adv_id, call.path, [str(day) for day in days]):
        raise ApiError(40001, f"advertiser does not grant you /{call.path}:GET permission")
    refused = call.faults.refused_metrics(adv_id, metrics)
    if refused:
        raise bad_param(
            f"Please correct the information in invalid metric fields and try again. Invalid metric fields: {refused}."
        )


def _ordered(aggregated: list[AggregatedRow], order_field: str, order_type: str) -> list[AggregatedRow]:
    fn = catalog.NUMERIC_METRICS[order_field]

    def sort_key(entry: AggregatedRow) -> float:
        value = fn(entry[1], entry[2])
        return float("-inf") if value == "-" else float(value)

    return sorted(aggregated, key=sort_key, reverse=order_type == "DESC")


def _total_metrics(aggregated: list[AggregatedRow], metrics: list[str]) -> dict[str, Any]:
    """The numeric metrics over every row of the report, not just the page."""
    summed = [sum(col) for col in zip(*(entry[1] for entry in aggregated), strict=True)] or [
        0
    ] * catalog.N_COUNTERS
    any_sg = any(entry[2] for entry in aggregated)
    return {m: catalog.NUMERIC_METRICS[m](summed, any_sg) for m in metrics if m in catalog.NUMERIC_METRICS}
