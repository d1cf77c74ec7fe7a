"""What a report stream is, as data: (report type, data level, granularity, breakdowns, metrics).

The built-in streams carry the names, keys and fields of Airbyte's source-tiktok-marketing, so a
user switching connectors keeps their downstream models.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ..config import DataLevel, ReportType, TimeGranularity
from .catalog import ID_DIMENSION_BY_LEVEL, accepted_metrics
from .windows import MAX_DAYS_DAILY, MAX_DAYS_HOURLY, MAX_DAYS_NO_TIME_DIMENSION

TIME_DIMENSION = {TimeGranularity.DAY: "stat_time_day", TimeGranularity.HOUR: "stat_time_hour"}
STATUS_FIELD_BY_LEVEL = {
    DataLevel.AUCTION_CAMPAIGN: "campaign_status",
    DataLevel.AUCTION_ADGROUP: "adgroup_status",
    DataLevel.AUCTION_AD: "ad_status",
}


@dataclass(frozen=True)
class ReportDefinition:
    name: str
    report_type: ReportType
    data_level: DataLevel
    granularity: TimeGranularity
    breakdowns: tuple[str, ...]
    metrics: tuple[str, ...]
    filters: tuple[dict[str, str], ...] = ()

    @property
    def id_dimension(self) -> str:
        return ID_DIMENSION_BY_LEVEL[self.data_level]

    # Cached: the CDK asks for the cursor field once per record.
    @cached_property
    def time_dimension(self) -> str | None:
        return TIME_DIMENSION.get(self.granularity)

    @cached_property
    def dimensions(self) -> tuple[str, ...]:
        time = (self.time_dimension,) if self.time_dimension else ()
        return (self.id_dimension, *time, *self.breakdowns)

    @property
    def primary_key(self) -> list[str]:
        return list(self.dimensions)

    @property
    def uses_query_lifetime(self) -> bool:
        """TikTok's lifetime flag exists for BASIC only; an AUDIENCE "lifetime" is a dated query
        without a time dimension over the longest span TikTok allows."""
        return self.granularity == TimeGranularity.LIFETIME and self.report_type == ReportType.BASIC

    @property
    def max_window_days(self) -> int:
        if self.granularity == TimeGranularity.DAY:
            return MAX_DAYS_DAILY
        if self.granularity == TimeGranularity.HOUR:
            return MAX_DAYS_HOURLY
        return MAX_DAYS_NO_TIME_DIMENSION


# Stream-name prefixes of each level; the AUDIENCE ad-group streams are singular in the original.
_BASIC_PREFIX = {
    DataLevel.AUCTION_ADVERTISER: "advertisers",
    DataLevel.AUCTION_CAMPAIGN: "campaigns",
    DataLevel.AUCTION_ADGROUP: "ad_groups",
    DataLevel.AUCTION_AD: "ads",
}
_AUDIENCE_PREFIX = {**_BASIC_PREFIX, DataLevel.AUCTION_ADGROUP: "ad_group"}
_SUFFIX = {TimeGranularity.DAY: "daily", TimeGranularity.HOUR: "hourly", TimeGranularity.LIFETIME: "lifetime"}


def _report(
    report_type: ReportType,
    level: DataLevel,
    granularity: TimeGranularity,
    breakdowns: tuple[str, ...] = (),
    label: str = "",
) -> ReportDefinition:
    prefix = (_BASIC_PREFIX if report_type == ReportType.BASIC else _AUDIENCE_PREFIX)[level]
    kind = "reports" if report_type == ReportType.BASIC else "audience_reports"
    name = f"{prefix}_{kind}{label}_{_SUFFIX[granularity]}"
    # AUDIENCE lifetime is read as a dated range, so its metrics are those of a dated (DAY) request.
    metric_granularity = (
        TimeGranularity.DAY
        if report_type == ReportType.AUDIENCE and granularity == TimeGranularity.LIFETIME
        else granularity
    )
    return ReportDefinition(
        name,
        report_type,
        level,
        granularity,
        breakdowns,
        accepted_metrics(report_type, level, metric_granularity, breakdowns),
    )


def _builtin_reports() -> tuple[ReportDefinition, ...]:
    basic, audience = ReportType.BASIC, ReportType.AUDIENCE
    day, hour, lifetime = TimeGranularity.DAY, TimeGranularity.HOUR, TimeGranularity.LIFETIME
    levels = tuple(DataLevel)
    with_country = (DataLevel.AUCTION_ADGROUP, DataLevel.AUCTION_AD)
    reports = [
        _report(basic, level, granularity) for level in levels for granularity in (day, hour, lifetime)
    ]
    reports += [
        _report(basic, level, granularity, ("country_code",), "_by_country")
        for level in with_country
        for granularity in (day, hour)
    ]
    reports += [_report(audience, level, day, ("gender", "age")) for level in levels]
    reports += [_report(audience, level, day, ("country_code",), "_by_country") for level in levels]
    reports += [_report(audience, level, day, ("platform",), "_by_platform") for level in levels]
    reports.append(_report(audience, DataLevel.AUCTION_AD, day, ("province_id",), "_by_province"))
    reports.append(_report(audience, DataLevel.AUCTION_ADVERTISER, lifetime, ("gender", "age")))
    return tuple(reports)


BUILTIN_REPORTS: tuple[ReportDefinition, ...] = _builtin_reports()


def sandbox_supports(definition: ReportDefinition) -> bool:
    """TikTok's sandbox serves mock reports, but not at advertiser level nor broken down by country."""
    return (
        definition.data_level != DataLevel.AUCTION_ADVERTISER and "country_code" not in definition.breakdowns
    )
