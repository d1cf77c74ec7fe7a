"""GMV Max (TikTok Shop ads) objects: the stores an advertiser runs GMV Max for, and its campaigns.

GMV Max is read advertiser by advertiser and store by store. The stores are asked for once per run
and advertiser (`GmvMaxStores`), and shared by the store stream, the campaign listing and the GMV
Max report streams. Every store returned is read, not only those marked available: a store whose
authorization moved to another account may still have history here [?].
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.streams.call_rate import APIBudget

from ..api.client import TikTokApi
from ..api.errors import AccessDenied
from ..pipeline.events import Page
from ..pipeline.listing import NO_HELPERS, ListingHelpers
from .base import PERMISSION_SCOPES, SyncContext, last_page_of
from .entities import AdvertiserObjectStream, EntityKind, EntityStream

STORE_LIST_PATH = "gmv_max/store/list/"
CAMPAIGN_LIST_PATH = "gmv_max/campaign/get/"
CAMPAIGN_PAGE_SIZE = 100  # TikTok's maximum for gmv_max/campaign/get/
MAX_STORES_PER_LISTING = 10  # `store_ids` filter limit of gmv_max/campaign/get/
# Listings spell the campaign types this way; report filters say PRODUCT / LIVE.
PROMOTION_TYPES = ("PRODUCT_GMV_MAX", "LIVE_GMV_MAX")
PERMISSION_SCOPES.update(
    {
        STORE_LIST_PATH: "Ads Management > GMV MAX > Store Management",
        CAMPAIGN_LIST_PATH: "Ads Management > Campaign > Read Campaigns",
        "gmv_max/report/get/": "Reporting > GMV MAX Report",
    }
)


class GmvMaxStores:
    """Each advertiser's GMV Max stores, asked for once per run (thread-safe)."""

    def __init__(self, api: TikTokApi, api_for: Callable[[APIBudget], TikTokApi] | None = None) -> None:
        self._api = api
        self._api_for = api_for
        self._apis: dict[int, TikTokApi] = {}
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._stores: dict[str, list[dict[str, Any]] | AccessDenied] = {}
        self._campaigns: dict[str, list[str]] = {}

    def stores(self, advertiser_id: str) -> list[dict[str, Any]]:
        """The advertiser's stores; raises AccessDenied (every time) when the token may not list them."""
        with self._lock:
            lock = self._locks.setdefault(advertiser_id, threading.Lock())
        with lock:
            known = self._stores.get(advertiser_id)
            if known is None:
                try:
                    envelope = self._api.get(STORE_LIST_PATH, {"advertiser_id": advertiser_id})
                    known = [dict(store) for store in envelope.data.get("store_list") or []]
                except AccessDenied as denied:
                    known = denied
                self._stores[advertiser_id] = known
        if isinstance(known, AccessDenied):
            raise known
        return known

    def api_for(self, budget: APIBudget) -> TikTokApi:
        """A client whose requests pass `budget` (GMV Max reports made outside a stream's own paging)."""
        with self._lock:
            api = self._apis.get(id(budget))
            if api is None:
                api = self._api_for(budget) if self._api_for else self._api
                self._apis[id(budget)] = api
            return api

    def store_ids(self, advertiser_id: str) -> list[str]:
        return [str(store.get("store_id")) for store in self.stores(advertiser_id)]

    def campaign_ids(self, advertiser_id: str, store_id: str, promotion_type: str) -> list[str]:
        """Ids of the store's campaigns of one type (listing spelling), asked for once per run."""
        key = f"{advertiser_id}/{store_id}/{promotion_type}"
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            known = self._campaigns.get(key)
            if known is None:
                known = self._list_campaign_ids(advertiser_id, store_id, promotion_type)
                self._campaigns[key] = known
        return known

    def _list_campaign_ids(self, advertiser_id: str, store_id: str, promotion_type: str) -> list[str]:
        filtering = {"gmv_max_promotion_types": [promotion_type], "store_ids": [store_id]}
        ids: list[str] = []
        page = 1
        while True:
            params = {
                "advertiser_id": advertiser_id,
                "filtering": filtering,
                "page": page,
                "page_size": CAMPAIGN_PAGE_SIZE,
            }
            data = self._api.get(CAMPAIGN_LIST_PATH, params).data
            items = data.get("list") or []
            ids += [str(item["campaign_id"]) for item in items if item.get("campaign_id") is not None]
            if not items or page >= last_page_of(data):
                return list(dict.fromkeys(ids))
            page += 1


def gmv_max_store_directory(context: SyncContext, logger: logging.Logger) -> GmvMaxStores:
    config = context.config

    def api_for(budget: APIBudget | None) -> TikTokApi:
        return TikTokApi(config.api_base_url, config.credentials.access_token, logger, api_budget=budget)

    return GmvMaxStores(api_for(context.api_budget), api_for)


class GmvMaxStoreStream(AdvertiserObjectStream):
    """`gmv_max_stores`: one record per (advertiser, store)."""

    def __init__(self, context: SyncContext, directory: GmvMaxStores) -> None:
        self.directory = directory
        super().__init__(context, EntityKind("gmv_max_stores", STORE_LIST_PATH, "store_id", page_size=0))

    @property
    def primary_key(self) -> list[str]:
        return ["advertiser_id", "store_id"]

    def fetch_pages(
        self, stream_slice: Mapping[str, Any], listing: ListingHelpers = NO_HELPERS
    ) -> Iterator[Page]:
        # The directory's answer is the listing: the report streams need it anyway.
        advertiser_id = stream_slice["advertiser_id"]
        yield [self.transform(dict(store), stream_slice) for store in self.directory.stores(advertiser_id)]


class GmvMaxCampaignStream(EntityStream):
    """`gmv_max_campaigns`, Product and LIVE, each with the store it promotes.

    TikTok's listing does not return `store_id`, so campaigns are listed per store (filter
    `store_ids`) and per type, then once more per type without a store filter: a campaign of a store
    the account no longer lists still comes out, with `store_id` null.
    """

    def __init__(self, context: SyncContext, directory: GmvMaxStores) -> None:
        self.directory = directory
        kind = EntityKind(
            "gmv_max_campaigns",
            CAMPAIGN_LIST_PATH,
            "campaign_id",
            ("create_time", "modify_time"),
            page_size=CAMPAIGN_PAGE_SIZE,
        )
        super().__init__(context, kind)

    def request_slices(self, stream_slice: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        store_ids = self.directory.store_ids(stream_slice["advertiser_id"])
        pieces: list[Mapping[str, Any]] = []
        for promotion_type in PROMOTION_TYPES:
            pieces += [
                {**stream_slice, "promotion_type": promotion_type, "store_id": store_id}
                for store_id in store_ids
            ]
            pieces.append({**stream_slice, "promotion_type": promotion_type})
        if self.config.include_deleted:
            # Whether deleted campaigns are listed by default is not documented [?]; the listing has
            # no "all statuses" value, so deleted ones are asked for separately (repeats are dropped).
            pieces += [{**piece, "primary_status": "STATUS_DELETE"} for piece in pieces]
        return pieces

    def query(self, stream_slice: Mapping[str, Any]) -> dict[str, Any]:
        filtering: dict[str, Any] = {"gmv_max_promotion_types": [stream_slice["promotion_type"]]}
        if stream_slice.get("store_id"):
            filtering["store_ids"] = [stream_slice["store_id"]]
        if stream_slice.get("primary_status"):
            filtering["primary_status"] = stream_slice["primary_status"]
        return {"advertiser_id": stream_slice["advertiser_id"], "filtering": filtering}

    def transform(self, item: dict[str, Any], stream_slice: Mapping[str, Any]) -> dict[str, Any] | None:
        item = super().transform(item, stream_slice) or item
        item.setdefault("store_id", stream_slice.get("store_id"))
        item.setdefault("gmv_max_promotion_type", stream_slice.get("promotion_type"))
        return item

    def repeat_key_getter(self) -> None:
        # Listings overlap on purpose (per store, then all); `read_slice_pages` keeps the first copy.
        return None

    def read_slice_pages(
        self, sync_mode: SyncMode, stream_slice: Mapping[str, Any], stream_state: Mapping[str, Any]
    ) -> Iterable[Page]:
        seen: set[Any] = set()
        for page in super().read_slice_pages(sync_mode, stream_slice, stream_state):
            kept = [record for record in page if record.get("campaign_id") not in seen]
            seen.update(record.get("campaign_id") for record in kept)
            yield kept


def gmv_max_object_streams(context: SyncContext, directory: GmvMaxStores) -> list[AdvertiserObjectStream]:
    return [GmvMaxStoreStream(context, directory), GmvMaxCampaignStream(context, directory)]
