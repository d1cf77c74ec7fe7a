"""The ad-grain report: `ad_id_v2` rows, the "ads" Ads Manager shows, for every campaign type.

For Upgraded Smart+ the classic `ad_id` report rows are creatives inside an asset group, and
`ad_id_v2` rows are the asset groups themselves (`smart_plus_ad_id` in `smart_plus_ads`); for Manual
ads TikTok's wording implies the two ids are the same [?]. Both grains split the same spend.

Attribute metrics are left out except `campaign_automation_type`: which of the classic ones TikTok
serves with `ad_id_v2` is not documented beyond new list-valued ones [?]; parents come from
`smart_plus_ads` (or `ads`) by id.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import DataLevel, ReportType, TimeGranularity
from .catalog import METRICS, accepted_metrics
from .definitions import ReportDefinition

AD_ID_V2 = "ad_id_v2"
# What kind of campaign the row's ad belongs to (MANUAL, SMART_PLUS, UPGRADED_SMART_PLUS).
AUTOMATION_TYPE = "campaign_automation_type"


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
