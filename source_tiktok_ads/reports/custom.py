"""User-defined reports: checked against the catalog before the first request, then read like any report.

Each problem names the report, the field, the value, the rule and what to use instead. Only documented
hard constraints are errors (the level's ID dimension, time dimension and granularity, AUDIENCE needs
an audience dimension, the dimension count). Names the catalog does not know, and metrics it believes
a level, type or granularity refuses, are let through with a warning: TikTok adds metrics often and
decides itself (the connection check makes one small live request per report, and a sync drops a
refused metric, see `healing`).
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..config import CustomReport, DataLevel, ReportType, TimeGranularity, config_error
from .catalog import DIMENSIONS, ID_DIMENSION_BY_LEVEL, METRICS, Metric
from .definitions import STATUS_FIELD_BY_LEVEL, TIME_DIMENSION, ReportDefinition

# Stream names become table names: letters, digits and underscores are safe in every destination.
STREAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
# TikTok's own cap on dimensions per request is not documented; no known working request groups by
# more than an id, a time and two breakdowns (gender + age), so that is the limit. [?]
MAX_DIMENSIONS = 4
LEVEL_OF_STATUS_FIELD = {status: level for level, status in STATUS_FIELD_BY_LEVEL.items()}


@dataclass
class Validation:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def suggested_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_]+", "_", name.strip()).strip("_").lower()
    return cleaned if cleaned and not cleaned[0].isdigit() else f"report_{cleaned}"


def validate_custom_reports(reports: Iterable[CustomReport], builtin_names: Iterable[str]) -> Validation:
    reports = list(reports)
    result = Validation()
    builtins = set(builtin_names)
    counts = Counter(report.name.lower() for report in reports)
    for report in reports:
        where = f"Custom report '{report.name}'"
        if not STREAM_NAME.match(report.name):
            result.problems.append(
                f"{where}: name '{report.name}' may only contain letters, digits and underscores and must not "
                f"start with a digit (it becomes a table name); use e.g. '{suggested_name(report.name)}'."
            )
        if report.name in builtins:
            result.problems.append(
                f"{where}: name '{report.name}' is already a built-in stream; choose another name, e.g. "
                f"'custom_{report.name}'."
            )
        if counts[report.name.lower()] > 1:
            result.problems.append(f"{where}: name '{report.name}' is used by more than one custom report.")
        _check_report(report, where, result)
    # The same report named twice would otherwise be listed twice.
    result.problems = list(dict.fromkeys(result.problems))
    return result


def _check_report(report: CustomReport, where: str, result: Validation) -> None:
    level, report_type, granularity = report.data_level, report.report_type, report.time_granularity
    dimensions = report.dimensions
    problems = result.problems

    for name, count in Counter(dimensions).items():
        if count > 1:
            problems.append(f"{where}: dimension '{name}' is listed {count} times; list it once.")
    for name, count in Counter(report.metrics).items():
        if count > 1:
            problems.append(f"{where}: metric '{name}' is listed {count} times; list it once.")

    id_dimension = ID_DIMENSION_BY_LEVEL[level]
    for name in dimensions:
        dimension = DIMENSIONS.get(name)
        if dimension is None:
            result.warnings.append(
                f"{where}: dimension '{name}' is not in the connector's catalog; TikTok will decide whether it is valid."
            )
            continue
        if dimension.kind == "id" and dimension.level != level:
            hint = (
                f"request it as a metric (it is an attribute metric at {level.value})"
                if name in METRICS and METRICS[name].accepted(report_type, level, granularity)
                else f"use '{id_dimension}'"
            )
            problems.append(
                f"{where}: dimension '{name}' cannot be used at data_level {level.value}; the ID dimension "
                f"of {level.value} is '{id_dimension}'; {hint}."
            )
        if report_type not in dimension.report_types:
            other = next(iter(dimension.report_types)).value
            problems.append(
                f"{where}: dimension '{name}' exists only in {other} reports, not in {report_type.value}; "
                f"set report_type to {other} or drop it."
            )
    if "ad_id_v2" in dimensions:
        problems.append(
            f"{where}: dimension 'ad_id_v2' (upgraded Smart+ ads) cannot be combined with 'ad_id', which custom "
            "reports group by; remove it."
        )
    if id_dimension not in dimensions:
        problems.append(
            f"{where}: dimensions must include '{id_dimension}', the ID dimension of {level.value}."
        )

    time_dimensions = [name for name in dimensions if name in ("stat_time_day", "stat_time_hour")]
    if len(time_dimensions) > 1:
        problems.append(
            f"{where}: dimensions 'stat_time_day' and 'stat_time_hour' cannot be combined; keep one."
        )
    expected_time = TIME_DIMENSION.get(granularity)
    for name in time_dimensions:
        if name != expected_time:
            fix = (
                f"use '{expected_time}'"
                if expected_time
                else "remove it (a lifetime report has no time dimension)"
            )
            problems.append(
                f"{where}: dimension '{name}' does not match time_granularity {granularity.value}; {fix}, or "
                "leave the time dimension out: it is added from time_granularity."
            )
    if report_type == ReportType.AUDIENCE and granularity == TimeGranularity.HOUR:
        problems.append(
            f"{where}: time_granularity HOUR: TikTok has no hourly AUDIENCE reports; use time_granularity DAY, "
            "or a BASIC report for hours."
        )

    breakdowns = [name for name in dimensions if name != id_dimension and name not in TIME_DIMENSION.values()]
    audience_dimensions = [
        name for name in breakdowns if name in DIMENSIONS and DIMENSIONS[name].kind == "audience"
    ]
    if report_type == ReportType.AUDIENCE and not audience_dimensions:
        allowed = sorted(name for name, dimension in DIMENSIONS.items() if dimension.kind == "audience")
        problems.append(
            f"{where}: report_type AUDIENCE needs an audience dimension in dimensions, one of "
            f"{', '.join(allowed)}."
        )
    if report_type == ReportType.BASIC and granularity == TimeGranularity.LIFETIME and audience_dimensions:
        problems.append(
            f"{where}: time_granularity LIFETIME: a lifetime BASIC report cannot be broken down by "
            f"{', '.join(audience_dimensions)}; use time_granularity DAY."
        )
    total_dimensions = len(set(dimensions) | ({expected_time} if expected_time else set()))
    if total_dimensions > MAX_DIMENSIONS:
        problems.append(
            f"{where}: dimensions {', '.join(dimensions)} make {total_dimensions} dimensions (time included), "
            f"more than the {MAX_DIMENSIONS} this connector lets through; split it into two reports."
        )

    for name in dict.fromkeys(report.metrics):
        metric = METRICS.get(name)
        if metric is None:
            if name in DIMENSIONS:
                problems.append(f"{where}: '{name}' is a dimension, not a metric; move it to dimensions.")
            else:
                result.warnings.append(
                    f"{where}: metric '{name}' is not in the connector's catalog; TikTok will decide whether it is valid."
                )
            continue
        reason = _why_not(metric, report_type, level, granularity, breakdowns)
        if reason:
            # Which metrics a level, type or granularity accepts is the catalog's reading of TikTok's
            # docs, which disagree with each other and with TikTok: advice, not a rule.
            result.warnings.append(
                f"{where}: metric '{name}' {reason}, by the connector's catalog. TikTok decides: check fails "
                "with TikTok's reason if it refuses the metric, and a sync leaves it out (null) with a warning."
            )

    for entry in report.filters:
        status_level = LEVEL_OF_STATUS_FIELD.get(entry.field_name)
        if status_level is not None and status_level != level:
            expected = STATUS_FIELD_BY_LEVEL.get(level)
            fix = (
                f"filter on '{expected}'" if expected else "drop it (advertiser level needs no status filter)"
            )
            problems.append(
                f"{where}: filter on '{entry.field_name}' does not match data_level {level.value}; {fix}."
            )
        try:
            json.loads(entry.filter_value)
        except ValueError:
            problems.append(
                f"{where}: filter_value {entry.filter_value!r} of '{entry.field_name}' is not JSON; "
                'write e.g. ["STATUS_ALL"] for IN or [1, 10] for BETWEEN.'
            )


def _why_not(
    metric: Metric,
    report_type: ReportType,
    level: DataLevel,
    granularity: TimeGranularity,
    breakdowns: list[str],
) -> str | None:
    if metric.accepted(report_type, level, granularity, breakdowns):
        return None
    if report_type not in metric.report_types:
        return f"is not available in {report_type.value} reports; use a {_names(metric.report_types)} report"
    if level not in metric.levels:
        return f"is not available at data_level {level.value}; it is available at {_names(metric.levels)}"
    if metric.accepted(report_type, level, granularity):
        return (
            f"cannot be combined with the breakdown {', '.join(breakdowns)}; drop the breakdown or the metric"
        )
    return (
        f"is not available with time_granularity {granularity.value}; it needs {_names(metric.granularities)}"
    )


def _names(values: Iterable[object]) -> str:
    return " or ".join(sorted(getattr(value, "value", str(value)) for value in values))


def definition_of(report: CustomReport) -> ReportDefinition:
    id_dimension = ID_DIMENSION_BY_LEVEL[report.data_level]
    time_names = set(TIME_DIMENSION.values())
    breakdowns = tuple(name for name in report.dimensions if name != id_dimension and name not in time_names)
    filters = tuple(entry.model_dump() for entry in report.filters)
    return ReportDefinition(
        name=report.name,
        report_type=report.report_type,
        data_level=report.data_level,
        granularity=report.time_granularity,
        breakdowns=breakdowns,
        metrics=tuple(dict.fromkeys(report.metrics)),
        filters=filters,
    )


def custom_definitions(
    reports: Iterable[CustomReport], reserved_names: Iterable[str], logger: logging.Logger
) -> list[ReportDefinition]:
    """Validated definitions of the configured custom reports; a config error lists every problem."""
    reports = list(reports)
    validation = validate_custom_reports(reports, reserved_names)
    for warning in validation.warnings:
        logger.warning(warning)
    if not validation.ok:
        raise config_error("Invalid custom_reports. " + " ".join(validation.problems))
    return [definition_of(report) for report in reports]
