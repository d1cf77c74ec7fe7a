"""Which advertisers a sync covers, and what we know about each (name, time zone, currency).

Looked up once per run and shared by every stream, instead of once per stream. A lookup that fails is
not repeated either: its error is kept (`failure`) and raised again to whoever asks, and the source
ends the run with it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .api.client import TikTokApi
from .api.errors import AccessDenied, TikTokApiError, Unreachable
from .config import OAuthCredentials, TikTokAdsConfig

ADVERTISER_LIST_PATH = "oauth2/advertiser/get/"
ADVERTISER_INFO_PATH = "advertiser/info/"
CAMPAIGN_LIST_PATH = "campaign/get/"
ADVERTISER_INFO_BATCH = 100  # the id limit connectors rely on; TikTok's documented maximum is not known


class AppCredentialsRefused(TikTokApiError):
    """TikTok refused to list the app's advertisers. On this endpoint a refusal is about the app
    credentials, which TikTok checks together with the token; the generic advice of a refused
    permission (grant access in Business Center) does not apply."""

    def __init__(self, tiktok_message: str) -> None:
        message = (
            f"TikTok refused to list advertisers for this app ({ADVERTISER_LIST_PATH}: "
            f"{tiktok_message.rstrip('. ')}). Check credentials.app_id and credentials.secret (TikTok for "
            "Business developer portal → My Apps) and that the access token was issued to this same app."
        )
        super().__init__(message=message, internal_message=message, failure_type=FailureType.config_error)


@dataclass(frozen=True, slots=True)
class Advertiser:
    advertiser_id: str
    name: str | None = None
    timezone: str | None = None  # IANA or POSIX (`Etc/GMT+8` is UTC-8) name; None: unknown
    currency: str | None = None


def chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


class AdvertiserDirectory:
    def __init__(self, config: TikTokAdsConfig, api: TikTokApi, logger: logging.Logger) -> None:
        self._config = config
        self._api = api
        self._logger = logger
        self._lock = threading.Lock()
        self._accessible: list[dict[str, Any]] | None = None
        self._details: dict[str, Advertiser] | None = None
        self.failure: AirbyteTracedException | None = None
        self._has_topview: dict[str, bool] = {}
        self._has_reach_frequency: dict[str, bool] = {}
        # Workers starting two report streams at once would otherwise both ask the same question.
        self._topview_probes: dict[str, threading.Lock] = {}

    def accessible(self) -> list[dict[str, Any]]:
        """`[{advertiser_id, advertiser_name}]` the token may read (production apps only)."""
        credentials = self._config.credentials
        if not isinstance(credentials, OAuthCredentials):
            raise ValueError("the sandbox cannot list advertisers")
        with self._lock:
            if self.failure is not None:
                raise self.failure
            if self._accessible is None:
                try:
                    envelope = self._api.get(
                        ADVERTISER_LIST_PATH,
                        {"app_id": credentials.app_id, "secret": credentials.secret},
                        first_contact=True,
                    )
                except AccessDenied as denied:
                    self.failure = AppCredentialsRefused(denied.tiktok_message)
                    raise self.failure from None
                except AirbyteTracedException as error:
                    self.failure = error
                    raise
                self._accessible = [
                    {
                        "advertiser_id": str(item.get("advertiser_id")),
                        "advertiser_name": item.get("advertiser_name"),
                    }
                    for item in envelope.data.get("list") or []
                ]
            return self._accessible

    def selected_ids(self) -> list[str]:
        configured = self._config.configured_advertiser_ids
        if configured:
            return configured
        return [item["advertiser_id"] for item in self.accessible()]

    def fetch_info(self, advertiser_ids: list[str]) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        for batch in chunks(advertiser_ids, ADVERTISER_INFO_BATCH):
            envelope = self._api.get(ADVERTISER_INFO_PATH, {"advertiser_ids": batch}, first_contact=True)
            records.extend(envelope.data.get("list") or [])
        return records

    def details(self) -> dict[str, Advertiser]:
        """Every selected advertiser with its time zone; unknown fields stay None (e.g. in the sandbox,
        where `advertiser/info/` does not work and report dates fall back to UTC)."""
        with self._lock:
            if self.failure is not None:
                raise self.failure
            if self._details is not None:
                return self._details
        selected = self.selected_ids()
        known: dict[str, Advertiser] = {
            advertiser_id: Advertiser(advertiser_id) for advertiser_id in selected
        }
        if not self._config.credentials.is_sandbox:
            try:
                for info in self.fetch_info(selected):
                    advertiser_id = str(info.get("advertiser_id"))
                    known[advertiser_id] = Advertiser(
                        advertiser_id,
                        name=info.get("name"),
                        timezone=info.get("timezone") or info.get("display_timezone"),
                        currency=info.get("currency"),
                    )
            except Unreachable as error:
                self.failure = error
                raise
            except TikTokApiError as error:
                self._logger.warning(
                    f"Could not read advertiser details ({error.message}); report dates use UTC as 'today'."
                )
        with self._lock:
            self._details = known
        return known

    def has_topview(self, advertiser_id: str) -> bool:
        """Whether the advertiser has TopView campaigns (deleted ones included): their report rows only
        come back when asked for separately, so the question is worth one small request."""
        with self._lock:
            probe = self._topview_probes.setdefault(advertiser_id, threading.Lock())
        with probe:
            return self._probe_buying_type(advertiser_id)

    def has_reach_frequency(self, advertiser_id: str) -> bool:
        """Whether the advertiser has Reach & Frequency campaigns (deleted ones included): whether their
        report rows below advertiser level come without a buying-type filter is not documented [?]."""
        with self._lock:
            probe = self._topview_probes.setdefault(f"rf/{advertiser_id}", threading.Lock())
        with probe:
            return self._probe_buying_type(advertiser_id, "RESERVATION_RF", self._has_reach_frequency)

    def _probe_buying_type(
        self,
        advertiser_id: str,
        buying_type: str = "RESERVATION_TOP_VIEW",
        cache: dict[str, bool] | None = None,
    ) -> bool:
        known_by_advertiser = self._has_topview if cache is None else cache
        with self._lock:
            known = known_by_advertiser.get(advertiser_id)
        if known is None:
            filtering = {"buying_types": [buying_type], "primary_status": "STATUS_ALL"}
            envelope = self._api.get(
                CAMPAIGN_LIST_PATH,
                {
                    "advertiser_id": advertiser_id,
                    "filtering": filtering,
                    "page_size": 1,
                    "fields": ["campaign_id"],
                },
            )
            page_info = envelope.data.get("page_info") or {}
            known = bool(envelope.data.get("list")) or bool(page_info.get("total_number"))
            with self._lock:
                known_by_advertiser[advertiser_id] = known
        return known
