"""`advertisers` (account details from `advertiser/info/`) and `advertiser_ids` (what the token can see)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..advertisers import ADVERTISER_INFO_PATH, ADVERTISER_LIST_PATH
from ..api.errors import SliceRefused, TikTokApiError
from ..config import OAuthCredentials
from ..pipeline.listing import NO_HELPERS, ListingHelpers
from ..timestamps import utc_timestamp
from .base import FetchedPage, TikTokStream


class FullRefreshTikTokStream(TikTokStream):
    """Small unpaginated listings: re-read whole, so no resumable-full-refresh page state."""

    page_size = 0

    @property
    def is_resumable(self) -> bool:
        return False


class Advertisers(FullRefreshTikTokStream):
    """One record per selected advertiser: its `advertiser/info/` answer, from the run's one lookup
    (`AdvertiserDirectory`, which the report streams need for time zones anyway). TikTok refuses a whole
    batch for one advertiser it denies; the directory asks again down to that advertiser, so only its
    slice is left unread, named, and the others' records come out."""

    primary_key = "advertiser_id"

    def path(self, **kwargs: Any) -> str:
        return ADVERTISER_INFO_PATH

    def plan_slices(self, **kwargs: Any) -> Iterable[Mapping[str, Any] | None]:
        # The lookup is made here, once, rather than by whichever worker reads a slice first.
        directory = self.context.directory
        directory.details()
        return [{"advertiser_id": advertiser_id} for advertiser_id in directory.selected_ids()]

    def query(self, stream_slice: Mapping[str, Any]) -> dict[str, Any]:
        return {"advertiser_ids": [stream_slice["advertiser_id"]]}

    def fewest_requests(self, stream_slice: Mapping[str, Any] | None) -> int:
        return 0  # the directory's lookup, made while planning

    def fetch_pages(
        self, stream_slice: Mapping[str, Any], listing: ListingHelpers = NO_HELPERS
    ) -> Iterator[FetchedPage]:
        advertiser_id = stream_slice["advertiser_id"]
        try:
            info = self.context.directory.info(advertiser_id)
        except SliceRefused:
            raise
        except TikTokApiError as error:
            # Kept for this advertiser alone by the directory: it is this slice's failure, not the stream's.
            message = (
                f"{ADVERTISER_INFO_PATH} failed for advertiser {advertiser_id}: {error.message or error}"
            )
            raise SliceRefused(
                message=message, internal_message=message, failure_type=error.failure_type
            ) from None
        if info is not None:
            yield self.records_of([info], stream_slice, self.record_transform())

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
