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
from collections.abc import Callable, Iterable
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


@dataclass(frozen=True)
class ReportShape:
    """One custom report as the rules read it: where to say a problem is, and the derived names."""

    report: CustomReport
    where: str

    @property
    def level(self) -> DataLevel:
        return self.report.data_level

    @property
    def report_type(self) -> ReportType:
        return self.report.report_type

    @property
    def granularity(self) -> TimeGranularity:
        return self.report.time_granularity

    @property
    def dimensions(self) -> list[str]:
        return self.report.dimensions

    @property
    def id_dimension(self) -> str:
        return ID_DIMENSION_BY_LEVEL[self.level]

    @property
    def expected_time(self) -> str | None:
        return TIME_DIMENSION.get(self.granularity)

    @property
    def breakdowns(self) -> list[str]:
        time_names = TIME_DIMENSION.values()
        return [name for name in self.dimensions if name != self.id_dimension and name not in time_names]

    @property
    def audience_dimensions(self) -> list[str]:
        return [
            name for name in self.breakdowns if name in DIMENSIONS and DIMENSIONS[name].kind == "audience"
        ]


def _listed_once(shape: ReportShape, result: Validation) -> None:
    for kind, names in (("dimension", shape.dimensions), ("metric", shape.report.metrics)):
        for name, count in Counter(names).items():
            if count > 1:
                result.problems.append(
                    f"{shape.where}: {kind} '{name}' is listed {count} times; list it once."
                )


def _dimensions_fit(shape: ReportShape, result: Validation) -> None:
    where, level, report_type = shape.where, shape.level, shape.report_type
    for name in shape.dimensions:
        dimension = DIMENSIONS.get(name)
        if dimension is None:
            result.warnings.append(
                f"{where}: dimension '{name}' is not in the connector's catalog; TikTok will decide whether it is valid."
            )
            continue
        if dimension.kind == "id" and dimension.level != level:
            hint = (
                f"request it as a metric (it is an attribute metric at {level.value})"
                if name in METRICS and METRICS[name].accepted(report_type, level, shape.granularity)
                else f"use '{shape.id_dimension}'"
            )
            result.problems.append(
                f"{where}: dimension '{name}' cannot be used at data_level {level.value}; the ID dimension "
                f"of {level.value} is '{shape.id_dimension}'; {hint}."
            )
        if report_type not in dimension.report_types:
            other = next(iter(dimension.report_types)).value
            result.problems.append(
                f"{where}: dimension '{name}' exists only in {other} reports, not in {report_type.value}; "
                f"set report_type to {other} or drop it."
            )


def _no_upgraded_ad_id(shape: ReportShape, result: Validation) -> None:
    if "ad_id_v2" in shape.dimensions:
        result.problems.append(
            f"{shape.where}: dimension 'ad_id_v2' (upgraded Smart+ ads) cannot be combined with 'ad_id', which "
            "custom reports group by; remove it."
        )


def _has_id_dimension(shape: ReportShape, result: Validation) -> None:
    if shape.id_dimension not in shape.dimensions:
        result.problems.append(
            f"{shape.where}: dimensions must include '{shape.id_dimension}', the ID dimension of {shape.level.value}."
        )


def _time_dimensions_fit(shape: ReportShape, result: Validation) -> None:
    time_dimensions = [name for name in shape.dimensions if name in ("stat_time_day", "stat_time_hour")]
    if len(time_dimensions) > 1:
        result.problems.append(
            f"{shape.where}: dimensions 'stat_time_day' and 'stat_time_hour' cannot be combined; keep one."
        )
    expected_time = shape.expected_time
    for name in time_dimensions:
        if name != expected_time:
            fix = (
                f"use '{expected_time}'"
                if expected_time
                else "remove it (a lifetime report has no time dimension)"
            )
            result.problems.append(
                f"{shape.where}: dimension '{name}' does not match time_granularity {shape.granularity.value}; "
                f"{fix}, or leave the time dimension out: it is added from time_granularity."
            )


def _no_hourly_audience(shape: ReportShape, result: Validation) -> None:
    if shape.report_type == ReportType.AUDIENCE and shape.granularity == TimeGranularity.HOUR:
        result.problems.append(
            f"{shape.where}: time_granularity HOUR: TikTok has no hourly AUDIENCE reports; use time_granularity "
            "DAY, or a BASIC report for hours."
        )


def _audience_has_audience_dimension(shape: ReportShape, result: Validation) -> None:
    if shape.report_type == ReportType.AUDIENCE and not shape.audience_dimensions:
        allowed = sorted(name for name, dimension in DIMENSIONS.items() if dimension.kind == "audience")
        result.problems.append(
            f"{shape.where}: report_type AUDIENCE needs an audience dimension in dimensions, one of "
            f"{', '.join(allowed)}."
        )


def _lifetime_basic_unbroken(shape: ReportShape, result: Validation) -> None:
    audience_dimensions = shape.audience_dimensions
    if (
        shape.report_type == ReportType.BASIC
        and shape.granularity == TimeGranularity.LIFETIME
        and audience_dimensions
    ):
        result.problems.append(
            f"{shape.where}: time_granularity LIFETIME: a lifetime BASIC report cannot be broken down by "
            f"{', '.join(audience_dimensions)}; use time_granularity DAY."
        )


def _few_enough_dimensions(shape: ReportShape, result: Validation) -> None:
    expected_time = shape.expected_time
    total_dimensions = len(set(shape.dimensions) | ({expected_time} if expected_time else set()))
    if total_dimensions > MAX_DIMENSIONS:
        result.problems.append(
            f"{shape.where}: dimensions {', '.join(shape.dimensions)} make {total_dimensions} dimensions (time "
            f"included), more than the {MAX_DIMENSIONS} this connector lets through; split it into two reports."
        )


def _metrics_fit(shape: ReportShape, result: Validation) -> None:
    where, breakdowns = shape.where, shape.breakdowns
    for name in dict.fromkeys(shape.report.metrics):
        metric = METRICS.get(name)
        if metric is None:
            if name in DIMENSIONS:
                result.problems.append(
                    f"{where}: '{name}' is a dimension, not a metric; move it to dimensions."
                )
            else:
                result.warnings.append(
                    f"{where}: metric '{name}' is not in the connector's catalog; TikTok will decide whether it is valid."
                )
            continue
        reason = _why_not(metric, shape.report_type, shape.level, shape.granularity, breakdowns)
        if reason:
            # Which metrics a level, type or granularity accepts is the catalog's reading of TikTok's
            # docs, which disagree with each other and with TikTok: advice, not a rule.
            result.warnings.append(
                f"{where}: metric '{name}' {reason}, by the connector's catalog. TikTok decides: check fails "
                "with TikTok's reason if it refuses the metric, and a sync leaves it out (null) with a warning."
            )


def _filters_fit(shape: ReportShape, result: Validation) -> None:
    where, level = shape.where, shape.level
    for entry in shape.report.filters:
        status_level = LEVEL_OF_STATUS_FIELD.get(entry.field_name)
        if status_level is not None and status_level != level:
            expected = STATUS_FIELD_BY_LEVEL.get(level)
            fix = (
                f"filter on '{expected}'" if expected else "drop it (advertiser level needs no status filter)"
            )
            result.problems.append(
                f"{where}: filter on '{entry.field_name}' does not match data_level {level.value}; {fix}."
            )
        try:
            json.loads(entry.filter_value)
        except ValueError:
            result.problems.append(
                f"{where}: filter_value {entry.filter_value!r} of '{entry.field_name}' is not JSON; "
                'write e.g. ["STATUS_ALL"] for IN or [1, 10] for BETWEEN.'
            )


# Every rule a custom report is checked by, in the order its problems are listed.
REPORT_RULES: tuple[Callable[[ReportShape, Validation], None], ...] = (
    _listed_once,
    _dimensions_fit,
    _no_upgraded_ad_id,
    _has_id_dimension,
    _time_dimensions_fit,
    _no_hourly_audience,
    _audience_has_audience_dimension,
    _lifetime_basic_unbroken,
    _few_enough_dimensions,
    _metrics_fit,
    _filters_fit,
)


def _check_report(report: CustomReport, where: str, result: Validation) -> None:
    shape = ReportShape(report, where)
    for rule in REPORT_RULES:
        rule(shape, result)


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
