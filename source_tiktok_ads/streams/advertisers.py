"""`advertisers` (account details from `advertiser/info/`) and `advertiser_ids` (what the token can see)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..advertisers import ADVERTISER_INFO_BATCH, ADVERTISER_INFO_PATH, ADVERTISER_LIST_PATH, chunks
from ..config import OAuthCredentials
from ..timestamps import utc_timestamp
from .base import TikTokStream


class FullRefreshTikTokStream(TikTokStream):
    """Small unpaginated listings: re-read whole, so no resumable-full-refresh page state."""

    page_size = 0

    @property
    def is_resumable(self) -> bool:
        return False


class Advertisers(FullRefreshTikTokStream):
    primary_key = "advertiser_id"

    def path(self, **kwargs: Any) -> str:
        return ADVERTISER_INFO_PATH

    def plan_slices(self, **kwargs: Any) -> Iterable[Mapping[str, Any] | None]:
        ids = self.context.directory.selected_ids()
        return [{"advertiser_ids": batch} for batch in chunks(ids, ADVERTISER_INFO_BATCH)]

    def query(self, stream_slice: Mapping[str, Any]) -> dict[str, Any]:
        return {"advertiser_ids": stream_slice["advertiser_ids"]}

    def transform(self, item: dict[str, Any], stream_slice: Mapping[str, Any]) -> dict[str, Any] | None:
        if "create_time" in item:
            item["create_time"] = utc_timestamp(item["create_time"])
        return item


class AdvertiserIds(FullRefreshTikTokStream):
    """Production apps only: the sandbox has no advertiser listing."""

    primary_key = "advertiser_id"

    def path(self, **kwargs: Any) -> str:
        return ADVERTISER_LIST_PATH

    def plan_slices(self, **kwargs: Any) -> Iterable[Mapping[str, Any] | None]:
        return [{}]  # one listing for the whole token

    def query(self, stream_slice: Mapping[str, Any]) -> dict[str, Any]:
        credentials = self.config.credentials
        assert isinstance(credentials, OAuthCredentials)
        return {"app_id": credentials.app_id, "secret": credentials.secret}
