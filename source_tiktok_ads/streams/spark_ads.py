"""Spark Ads posts (`tt_video/list/`), a full refresh per advertiser. Production only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import SyncContext
from .entities import AdvertiserObjectStream, EntityKind

# Airbyte pages this endpoint by 50; no larger cap is documented, so 50 stays.
SPARK_ADS_PAGE_SIZE = 50

SPARK_ADS = EntityKind("spark_ads", "tt_video/list/", "spark_ads_post_id", page_size=SPARK_ADS_PAGE_SIZE)


class SparkAdsStream(AdvertiserObjectStream):
    def transform(self, item: dict[str, Any], stream_slice: Mapping[str, Any]) -> dict[str, Any] | None:
        # The post has no top-level id; the key is the TikTok item it promotes (Airbyte's choice too).
        # A post without one is still emitted, with a null key, rather than dropped.
        item_info = item.get("item_info")
        item_id = item_info.get("item_id") if isinstance(item_info, Mapping) else None
        item["spark_ads_post_id"] = None if item_id is None else str(item_id)
        return super().transform(item, stream_slice)


def spark_ads_streams(context: SyncContext) -> list[SparkAdsStream]:
    return [SparkAdsStream(context, SPARK_ADS)]
