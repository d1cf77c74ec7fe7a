"""The rules `report/integrated/get/` applies to its parameters, one function each.

Each rule reads what it checks and raises the `ApiError` TikTok answers with when the request breaks
it; `report_route` applies them in the order TikTok reports the first broken one.
"""

from __future__ import annotations

from datetime import date, timedelta

from . import catalog, divergent
from .catalog import ADVERTISER, LEVEL_ID_DIMENSION, LEVELS
from .errors import bad_param
from .params import bool_param, date_param, json_param, str_list


def report_type(p: dict[str, str]) -> str:
    """A report type the emulator serves (BASIC, AUDIENCE); other known ones are refused as such."""
    value = p.get("report_type")
    if not value:
        raise bad_param("report_type: Missing data for required field.")
    if value not in catalog.REPORT_TYPES_EMULATED:
        if value in catalog.REPORT_TYPES_KNOWN:
            raise bad_param(f"report_type: {value} is not supported by the emulator.")
        raise bad_param(f"report_type: Invalid value {value!r}.")
    return value


def one_advertiser(p: dict[str, str]) -> str:
    """Exactly one `advertiser_id`; multi-advertiser reports (`advertiser_ids`) are not served."""
    if p.get("advertiser_ids"):
        raise bad_param("advertiser_ids: Multi-advertiser reports are not supported by the emulator.")
    adv_id = p.get("advertiser_id")
    if not adv_id:
        raise bad_param("advertiser_id: Missing data for required field.")
    return adv_id


def auction_service_type(p: dict[str, str]) -> None:
    service_type = p.get("service_type") or "AUCTION"
    if service_type != "AUCTION":
        if service_type == "RESERVATION":
            raise bad_param("service_type: RESERVATION is deprecated and not supported by the emulator.")
        raise bad_param(f"service_type: Invalid value {service_type!r}.")


def data_level(p: dict[str, str], sandbox: bool) -> str:
    """A known data level; the sandbox has no advertiser level."""
    level = p.get("data_level")
    if not level:
        raise bad_param("data_level: Missing data for required field.")
    if level not in LEVELS:
        raise bad_param(f"data_level: Invalid value {level!r}.")
    if sandbox and level == ADVERTISER:
        raise bad_param("data_level: AUCTION_ADVERTISER is not supported in the sandbox environment.")
    return level


def dimensions(p: dict[str, str], report_type: str, level: str) -> list[str]:
    """The `dimensions` list, checked by every dimension rule below."""
    dims = str_list(json_param(p, "dimensions", list, required=True), "dimensions")
    if len(set(dims)) != len(dims):
        raise bad_param("dimensions: Duplicate values are not allowed.")
    ids, times, breakdowns = _dimension_kinds(dims)
    one_id_dimension_for_level(ids, level)
    if len(times) > 1:
        raise bad_param("dimensions: stat_time_day and stat_time_hour cannot be used together.")
    if report_type == "BASIC":
        basic_breakdowns_only(breakdowns)
    else:
        audience_breakdowns(breakdowns, times)
    return dims


def _dimension_kinds(dims: list[str]) -> tuple[list[str], list[str], list[str]]:
    """The ID, time and audience dimensions; anything else is refused."""
    ids, times, breakdowns = [], [], []
    for dim in dims:
        if dim in catalog.ID_DIMENSIONS:
            ids.append(dim)
        elif dim in catalog.TIME_DIMENSIONS:
            times.append(dim)
        elif dim in catalog.AUDIENCE_DIMENSIONS:
            breakdowns.append(dim)
        elif dim in catalog.UNSUPPORTED_DIMENSIONS:
            raise bad_param(f"dimensions: {dim} is not supported by the emulator.")
        else:
            raise bad_param(f"dimensions: Invalid dimension {dim!r}.")
    return ids, times, breakdowns


def one_id_dimension_for_level(ids: list[str], level: str) -> None:
    # Exactly one ID dimension, the one that matches data_level; reports without an ID grouping
    # are not used by any connector we know of, so they are refused too [?].
    id_dim = LEVEL_ID_DIMENSION[level]
    if ids != [id_dim]:
        wrong = [d for d in ids if d != id_dim]
        detail = f"{wrong} cannot be used" if wrong else f"{id_dim} is required"
        raise bad_param(
            f"dimensions: At data_level {level}, {detail}; use exactly one ID dimension: {id_dim}."
        )


def basic_breakdowns_only(breakdowns: list[str]) -> None:
    """BASIC reports break down by country only; the rest needs an AUDIENCE report."""
    extra = [d for d in breakdowns if d not in catalog.BASIC_BREAKDOWNS]
    if extra:
        raise bad_param(f"dimensions: {extra} are only available in AUDIENCE reports.")


def audience_breakdowns(breakdowns: list[str], times: list[str]) -> None:
    """AUDIENCE reports: at least one audience dimension, daily at most, only combinable ones together."""
    if not breakdowns:
        raise bad_param("dimensions: AUDIENCE reports need at least one audience dimension.")
    if "stat_time_hour" in times:
        # Hourly audience breakdowns are believed unsupported [?]; refused here.
        raise bad_param("dimensions: stat_time_hour is not supported in AUDIENCE reports.")
    if len(breakdowns) > 1 and not set(breakdowns) <= catalog.COMBINABLE_AUDIENCE:
        raise bad_param(f"dimensions: The audience dimensions {breakdowns} cannot be combined.")


def lifetime(p: dict[str, str], report_type: str, dims: list[str]) -> bool:
    """`query_lifetime`: BASIC reports only, without time or audience dimensions."""
    if not bool_param(p, "query_lifetime"):
        return False
    if report_type != "BASIC":
        raise bad_param("query_lifetime: Only BASIC reports support lifetime queries.")
    blocked = [d for d in dims if d in catalog.TIME_DIMENSIONS or d in catalog.AUDIENCE_DIMENSIONS]
    if blocked:
        raise bad_param(f"query_lifetime: Dimensions {blocked} cannot be used with a lifetime query.")
    return True


def report_days(p: dict[str, str], time_dim: str | None) -> tuple[date, ...]:
    """start_date..end_date, in order, within the span the time dimension allows."""
    start, end = date_param(p, "start_date"), date_param(p, "end_date")
    if end < start:
        raise bad_param("end_date: Must not be earlier than start_date.")
    span = (end - start).days + 1
    # Whether 30 means inclusive days or end-start is unsettled [?]; 30 inclusive days is stricter.
    if time_dim == "stat_time_day" and span > 30:
        raise bad_param("start_date, end_date: With stat_time_day the range can be at most 30 days.")
    if time_dim == "stat_time_hour" and span != 1:
        raise bad_param(
            "start_date, end_date: With stat_time_hour start_date and end_date must be the same day."
        )
    if time_dim is None and span > 365:
        raise bad_param("start_date, end_date: Without a time dimension the range can be at most 365 days.")
    return tuple(start + timedelta(days=i) for i in range(span))


def metrics(
    p: dict[str, str], report_type: str, level: str, dims: list[str], is_lifetime: bool, profile: str
) -> list[str]:
    """The metrics asked for (spend and impressions by default), each valid for this report, deduplicated."""
    asked = json_param(p, "metrics", list)
    asked = ["spend", "impressions"] if asked is None else str_list(asked, "metrics")
    if not asked:
        raise bad_param("metrics: Must contain at least one metric.")
    if profile == divergent.DIVERGENT and (message := divergent.refusal(asked, level)):
        raise bad_param(message)
    invalid = catalog.invalid_metrics(asked, report_type, level, dims, is_lifetime)
    if invalid:
        raise bad_param(
            "Please correct the information in invalid metric fields and try again. "
            f"Invalid metric fields: {invalid}."
        )
    return list(dict.fromkeys(asked))


def ordering(p: dict[str, str]) -> tuple[str | None, str]:
    """`order_field` a sortable (numeric) metric, `order_type` ASC or DESC (the default)."""
    order_field = p.get("order_field")
    if order_field and order_field not in catalog.NUMERIC_METRICS:
        raise bad_param(f"order_field: {order_field!r} is not a sortable metric.")
    order_type = p.get("order_type") or "DESC"
    if order_type not in ("ASC", "DESC"):
        raise bad_param("order_type: Must be ASC or DESC.")
    return order_field, order_type


def regular_query_mode(p: dict[str, str]) -> None:
    query_mode = p.get("query_mode") or "REGULAR"
    if query_mode != "REGULAR":
        raise bad_param(f"query_mode: {query_mode} is not supported by the emulator.")


def total_metrics(p: dict[str, str], report_type: str, dims: list[str], level: str) -> bool:
    """`enable_total_metrics`: a BASIC report grouped by its ID dimension and/or stat_time_day."""
    totals = bool_param(p, "enable_total_metrics")
    if totals and (report_type != "BASIC" or not set(dims) <= {LEVEL_ID_DIMENSION[level], "stat_time_day"}):
        raise bad_param(
            "enable_total_metrics: Needs a BASIC report grouped by one ID dimension and/or stat_time_day."
        )
    return totals
