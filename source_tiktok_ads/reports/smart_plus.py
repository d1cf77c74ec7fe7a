"""The ad-grain report: `ad_id_v2` rows, the "ads" Ads Manager shows, for every campaign type.

For Upgraded Smart+ the classic `ad_id` report rows are creatives inside an asset group, and
`ad_id_v2` rows are the asset groups themselves (`smart_plus_ad_id` in `smart_plus_ads`); for Manual
ads TikTok's wording implies the two ids are the same [?]. Both grains split the same spend.

Attribute metrics are left out except `campaign_automation_type`: which of the classic ones TikTok
serves with `ad_id_v2` is not documented beyond new list-valued ones [?]; parents come from
`smart_plus_ads` (or `ads`) by id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ..config import DataLevel, ReportType, TimeGranularity
from ..streams.base import PERMISSION_SCOPES, SyncContext
from .catalog import METRICS, accepted_metrics
from .definitions import ReportDefinition
from .own_endpoint import EndpointReportDefinition, EndpointReportStream

AD_ID_V2 = "ad_id_v2"
# What kind of campaign the row's ad belongs to (MANUAL, SMART_PLUS, UPGRADED_SMART_PLUS).
AUTOMATION_TYPE = "campaign_automation_type"
PERMISSION_SCOPES["smart_plus/material_report/breakdown/"] = "Reporting > Upgraded Smart+ Report"


@dataclass(frozen=True)
class AdV2ReportDefinition(ReportDefinition):
    @property
    def id_dimension(self) -> str:
        return AD_ID_V2


def _ad_v2_metrics() -> tuple[str, ...]:
    level, day = DataLevel.AUCTION_AD, TimeGranularity.DAY
    performance = [
        name for name in accepted_metrics(ReportType.BASIC, level, day) if METRICS[name].group != "attribute"
    ]
    return (AUTOMATION_TYPE, *performance)


SMART_PLUS_REPORTS: tuple[ReportDefinition, ...] = (
    AdV2ReportDefinition(
        "ads_v2_reports_daily",
        ReportType.BASIC,
        DataLevel.AUCTION_AD,
        TimeGranularity.DAY,
        (),
        _ad_v2_metrics(),
    ),
)


# --- creative (material) reports ---------------------------------------------------------------------

MATERIAL_REPORT_PATH = "smart_plus/material_report/breakdown/"
MATERIAL_PAGE_SIZE = 100  # TikTok's maximum for the Upgraded Smart+ material reports
# BASIC-style names TikTok lists for these reports; the status attributes are left out.
MATERIAL_METRICS = ("spend", "impressions", "clicks", "conversion")


@dataclass(frozen=True)
class MaterialReportDefinition(EndpointReportDefinition):
    report_label: ClassVar[str] = "Upgraded Smart+ material"

    @property
    def level_label(self) -> str:
        return "asset group + main material"


# One row per asset group, main material (a video, image, post, catalog or carousel id) and day. The
# breakdown report's dimension is documented as smart_plus_ad_id, while the SDK's enum lists ad_id [?].
SMART_PLUS_MATERIAL_REPORTS: tuple[MaterialReportDefinition, ...] = (
    MaterialReportDefinition(
        "smart_plus_material_reports_daily", ("smart_plus_ad_id", "main_material_id"), MATERIAL_METRICS
    ),
)


class SmartPlusMaterialReportStream(EndpointReportStream):
    path_name = MATERIAL_REPORT_PATH
    page_size = MATERIAL_PAGE_SIZE

    def query(self, stream_slice: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "advertiser_id": stream_slice["advertiser_id"],
            "start_date": stream_slice["start_date"],
            "end_date": stream_slice["end_date"],
            "dimensions": list(self.definition.dimensions),
            "metrics": list(self.definition.metrics),
        }


def smart_plus_material_streams(context: SyncContext) -> list[SmartPlusMaterialReportStream]:
    return [SmartPlusMaterialReportStream(context, definition) for definition in SMART_PLUS_MATERIAL_REPORTS]
