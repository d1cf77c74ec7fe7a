"""Which advertisers a sync covers, and what we know about each (name, time zone, currency).

Looked up once per run and shared by every stream, instead of once per stream. A failed advertiser list,
or a host that cannot be reached, is not repeated either: its error is kept (`failure`) and raised again
to whoever asks, and the source ends the run with it. Details TikTok refuses for some advertisers are
kept to those advertisers (`Advertiser.unknown_because`).
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
    # Why `advertiser/info/` could not say its details (its reports cannot be dated); None: it did.
    unknown_because: str | None = None
    # `create_time` as `advertiser/info/` gives it (Unix seconds); None: not given. No report row
    # precedes it (see `reports.lifespan`).
    create_time: Any = None


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
        # `advertiser/info/` per id, kept with the details: the `advertisers` stream emits them.
        self._infos: dict[str, dict[str, Any]] = {}
        self._info_failures: dict[str, TikTokApiError] = {}
        self.failure: AirbyteTracedException | None = None
        self._has_topview: dict[str, bool] = {}
        self._has_reach_frequency: dict[str, bool] = {}
        # Advertisers whose campaign listing TikTok denied: their buying types are unknown.
        self._buying_types_unknown: set[str] = set()
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
        """`advertiser/info/` of every id, failing on the first refusal (what `check` wants to hear)."""
        records: list[dict[str, Any]] = []
        for batch in chunks(advertiser_ids, ADVERTISER_INFO_BATCH):
            envelope = self._api.get(ADVERTISER_INFO_PATH, {"advertiser_ids": batch}, first_contact=True)
            records.extend(envelope.data.get("list") or [])
        return records

    def _info_of(self, batch: list[str], refused: dict[str, TikTokApiError]) -> list[dict[str, Any]]:
        """One batch's details. TikTok refuses a whole batch (40001) for one advertiser it denies, so a
        refused batch is asked for again in halves, down to the ids TikTok denies alone: those land in
        `refused` with TikTok's words, and every other advertiser keeps its details."""
        try:
            envelope = self._api.get(ADVERTISER_INFO_PATH, {"advertiser_ids": batch}, first_contact=True)
        except AccessDenied as denied:
            if len(batch) == 1:
                refused[batch[0]] = denied
                return []
            middle = len(batch) // 2
            return self._info_of(batch[:middle], refused) + self._info_of(batch[middle:], refused)
        return list(envelope.data.get("list") or [])

    def details(self) -> dict[str, Advertiser]:
        """Every selected advertiser with its time zone. An advertiser TikTok would not describe has
        `unknown_because` set (its report streams name it rather than guess a zone); in the sandbox,
        where `advertiser/info/` does not exist, report dates use UTC."""
        with self._lock:
            if self.failure is not None:
                raise self.failure
            if self._details is not None:
                return self._details
        selected = self.selected_ids()
        if self._config.credentials.is_sandbox:
            known = {advertiser_id: Advertiser(advertiser_id) for advertiser_id in selected}
        else:
            known = self._described(selected)
        with self._lock:
            self._details = known
        return known

    def _described(self, selected: list[str]) -> dict[str, Advertiser]:
        refused: dict[str, TikTokApiError] = {}
        found: dict[str, dict[str, Any]] = {}
        for batch in chunks(selected, ADVERTISER_INFO_BATCH):
            try:
                found.update((str(info.get("advertiser_id")), info) for info in self._info_of(batch, refused))
            except Unreachable as error:
                self.failure = error
                raise
            except TikTokApiError as error:
                refused.update((advertiser_id, error) for advertiser_id in batch)
        known: dict[str, Advertiser] = {}
        for advertiser_id in selected:
            info = found.get(advertiser_id) or {}
            timezone = info.get("timezone") or info.get("display_timezone")
            failure = refused.get(advertiser_id)
            reason = None if failure is None else failure.message or str(failure)
            if reason is None and not timezone:
                reason = f"{ADVERTISER_INFO_PATH} gave no time zone for it"
            known[advertiser_id] = Advertiser(
                advertiser_id,
                name=info.get("name"),
                timezone=timezone,
                currency=info.get("currency"),
                unknown_because=reason,
                create_time=info.get("create_time"),
            )
        if refused:
            reasons = dict.fromkeys(error.message or str(error) for error in refused.values())
            self._logger.warning(
                f"Could not read the details of {len(refused)} advertiser(s) from {ADVERTISER_INFO_PATH} "
                f"({', '.join(sorted(refused))}); their report streams skip them and say so: {' | '.join(reasons)}"
            )
        with self._lock:
            self._infos, self._info_failures = found, refused
        return known

    def info(self, advertiser_id: str) -> dict[str, Any] | None:
        """The advertiser's `advertiser/info/` record as TikTok gave it (None: TikTok left it out), from
        the run's one lookup; raises what TikTok answered when it would not describe this advertiser
        alone (a refused batch is asked for again down to the ids TikTok denies)."""
        self.details()
        with self._lock:
            failure = self._info_failures.get(advertiser_id)
            info = self._infos.get(advertiser_id)
        if failure is not None:
            raise failure
        return None if info is None else dict(info)

    def probes_pending(self, advertiser_id: str) -> int:
        """How many of the advertiser's two buying-type look-ups are still to be made."""
        with self._lock:
            if advertiser_id in self._buying_types_unknown:
                return 0
            known = (self._has_topview, self._has_reach_frequency)
            return sum(advertiser_id not in answers for answers in known)

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
            if known is None and advertiser_id in self._buying_types_unknown:
                known = False
        if known is None:
            filtering = {"buying_types": [buying_type], "primary_status": "STATUS_ALL"}
            try:
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
            except AccessDenied as denied:
                # Unknown: the reports are read without the buying-type listings, and the other buying
                # type is not asked about either; one warning says what may be missing.
                with self._lock:
                    first = advertiser_id not in self._buying_types_unknown
                    self._buying_types_unknown.add(advertiser_id)
                if first:
                    self._logger.warning(
                        f"Advertiser {advertiser_id}: TikTok denied {CAMPAIGN_LIST_PATH} ({denied.tiktok_message}), so "
                        "whether it has TopView or Reach & Frequency campaigns is unknown. Its reports below advertiser "
                        "level are read without those buying-type listings: rows of such campaigns, if any, are missing."
                    )
                known = False
            with self._lock:
                known_by_advertiser[advertiser_id] = known
        return known
