"""Reports read from an endpoint of their own (GMV Max, Upgraded Smart+ creative reports), through the
generic report stream: the same date windows, per-advertiser cursors, row checks and record shape as
`report/integrated/get/`, with the endpoint's own parameters and the ids every row is keyed by."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

from ..config import TimeGranularity
from ..streams.base import SyncContext
from .definitions import TIME_DIMENSION
from .stream import ReportStream
from .windows import MAX_DAYS_DAILY


@dataclass(frozen=True)
class EndpointReportDefinition:
    """One such report stream, in the shape `ReportStream` reads (dimensions, metrics, windows)."""

    name: str
    id_dimensions: tuple[str, ...]
    metrics: tuple[str, ...]
    granularity: TimeGranularity = TimeGranularity.DAY
    # Ids every row carries that are not dimensions of the request, first in the primary key.
    key_prefix: tuple[str, ...] = ("advertiser_id",)
    # How the README's report table names the report type and the level.
    data_level: ClassVar[str] = ""
    report_label: ClassVar[str] = ""

    @property
    def level_label(self) -> str:
        return self.id_dimensions[0].removesuffix("_id")

    @cached_property
    def time_dimension(self) -> str | None:
        return TIME_DIMENSION.get(self.granularity)

    @cached_property
    def dimensions(self) -> tuple[str, ...]:
        time = (self.time_dimension,) if self.time_dimension else ()
        return (*self.id_dimensions, *time)

    @property
    def primary_key(self) -> list[str]:
        return [*self.key_prefix, *(name for name in self.dimensions if name not in self.key_prefix)]

    @property
    def uses_query_lifetime(self) -> bool:
        return False

    @property
    def max_window_days(self) -> int:
        return MAX_DAYS_DAILY


class EndpointReportStream(ReportStream):
    """`ReportStream` for an `EndpointReportDefinition`: subclasses say the path and the query."""

    path_name = ""

    def __init__(self, context: SyncContext, definition: EndpointReportDefinition) -> None:
        super().__init__(context, definition)  # type: ignore[arg-type]
        properties = self._schema["properties"]
        for name in definition.key_prefix:
            properties.setdefault(name, {"type": ["null", "string"]})

    def path(self, **kwargs: Any) -> str:
        return self.path_name

    @property
    def follows_advertiser_delivery(self) -> bool:
        # Whether the advertiser-level BASIC report counts these endpoints' delivery (GMV Max, Smart+
        # materials) is not documented [?]: their days are all read.
        return False

    def request_slices(self, stream_slice: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
        yield stream_slice

    def transform(self, item: dict[str, Any], stream_slice: Mapping[str, Any]) -> dict[str, Any] | None:
        record = self._records.build(item, stream_slice["advertiser_id"])
        for name in self.definition.key_prefix:  # type: ignore[attr-defined]
            if record.get(name) is None:
                record[name] = stream_slice.get(name)
        return record
