"""Deterministic fake TikTok account data: advertisers, entities and per-hour delivery."""

from __future__ import annotations

import hashlib
import itertools
import operator
import random
import threading
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from . import catalog
from .catalog import AD, ADGROUP, ADVERTISER, CAMPAIGN, LEVEL_ID_DIMENSION, LEVEL_RANK, N_COUNTERS, Counters

KINDS = ("campaign", "adgroup", "ad")
_MISSING = object()
_INT64_MAX = 2**63 - 1
# Split weights kept for units that reports ask about again (a few hundred bytes each).
_WEIGHTS_CACHE_SIZE = 200_000
DEFAULT_BUYING_TYPES = ("AUCTION", "RESERVATION_RF")
TOP_VIEW = "RESERVATION_TOP_VIEW"
TS_FORMAT = "%Y-%m-%d %H:%M:%S"
LIBRARY_KINDS = ("image", "video", "music", "portfolio", "audience", "pixel", "spark")
PIXEL_EVENT_TYPES = ("COMPLETE_PAYMENT", "ADD_TO_CART", "SUBMIT_FORM")

# (timezone, display_timezone, currency, country, money factor, audience countries, province ids)
_ACCOUNT_PROFILES: tuple[tuple[str, str, str, str, int, tuple[str, ...], tuple[str, ...]], ...] = (
    ("Etc/GMT+8", "America/Los_Angeles", "USD", "US", 1, ("US", "CA", "MX", "GB"), ("5332921", "5101760")),
    ("Europe/Moscow", "Europe/Moscow", "RUB", "RU", 90, ("RU", "KZ", "BY", "AM"), ("524894", "536203")),
    ("Asia/Tokyo", "Asia/Tokyo", "JPY", "JP", 150, ("JP", "KR", "TW", "SG"), ("1850147", "1853908")),
)

# The same zones as bare offsets (none of them observes daylight saving time).
_OFFSET_NAMES = {"Etc/GMT+8": "UTC-08:00", "Europe/Moscow": "UTC+03:00", "Asia/Tokyo": "UTC+09:00"}

_OBJECTIVES = ("TRAFFIC", "WEB_CONVERSIONS", "APP_PROMOTION", "REACH", "VIDEO_VIEWS", "LEAD_GENERATION")
_BUDGET_MODES = ("BUDGET_MODE_DAY", "BUDGET_MODE_TOTAL", "BUDGET_MODE_INFINITE")

ENTITY_FIELDS: dict[str, tuple[str, ...]] = {
    "campaign": (
        "advertiser_id",
        "campaign_id",
        "campaign_name",
        "campaign_type",
        "objective_type",
        "budget",
        "budget_mode",
        "operation_status",
        "secondary_status",
        "budget_optimize_on",
        "bid_type",
        "deep_bid_type",
        "roas_bid",
        "optimization_goal",
        "is_new_structure",
        "is_smart_performance_campaign",
        "is_search_campaign",
        "app_promotion_type",
        "rf_campaign_type",
        "create_time",
        "modify_time",
    ),
    "adgroup": (
        "advertiser_id",
        "campaign_id",
        "adgroup_id",
        "adgroup_name",
        "campaign_name",
        "placement_type",
        "placements",
        "promotion_type",
        "optimization_goal",
        "optimization_event",
        "secondary_optimization_event",
        "billing_event",
        "bid_type",
        "bid_price",
        "conversion_bid_price",
        "deep_cpa_bid",
        "budget",
        "budget_mode",
        "schedule_type",
        "schedule_start_time",
        "schedule_end_time",
        "dayparting",
        "pacing",
        "location_ids",
        "age_groups",
        "gender",
        "languages",
        "audience_ids",
        "excluded_audience_ids",
        "interest_category_ids",
        "operation_status",
        "secondary_status",
        "create_time",
        "modify_time",
    ),
    "ad": (
        "advertiser_id",
        "campaign_id",
        "adgroup_id",
        "ad_id",
        "ad_name",
        "adgroup_name",
        "campaign_name",
        "ad_format",
        "ad_text",
        "ad_texts",
        "call_to_action",
        "call_to_action_id",
        "video_id",
        "image_ids",
        "identity_id",
        "identity_type",
        "landing_page_url",
        "landing_page_urls",
        "display_name",
        "profile_image_url",
        "tracking_pixel_id",
        "impression_tracking_url",
        "click_tracking_url",
        "is_aco",
        "creative_authorized",
        "operation_status",
        "secondary_status",
        "create_time",
        "modify_time",
        # Upgraded Smart+ creatives only: their asset group, and the automation type.
        "smart_plus_ad_id",
        "campaign_automation_type",
    ),
}
# Upgraded Smart+ campaigns and ad groups also say what they are in the classic listings.
for _kind in ("campaign", "adgroup"):
    ENTITY_FIELDS[_kind] = (*ENTITY_FIELDS[_kind], "campaign_automation_type")

ADVERTISER_FIELDS: tuple[str, ...] = (
    "advertiser_id",
    "name",
    "company",
    "status",
    "role",
    "rejection_reason",
    "timezone",
    "display_timezone",
    "currency",
    "country",
    "industry",
    "address",
    "contacter",
    "email",
    "cellphone_number",
    "telephone_number",
    "language",
    "license_no",
    "license_url",
    "description",
    "balance",
    "create_time",
    "owner_bc_id",
    "advertiser_account_type",
    "brand",
    "promotion_area",
)
# Only returned when asked for explicitly.
ADVERTISER_OPTIONAL_FIELDS: tuple[str, ...] = ("company_name_editable",)


def _h(*parts: object) -> int:
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _make_id(kind_digit: int, seed: int, index: int) -> str:
    # 19 digits: "7", a kind digit, 5 digits of seed, 12 digits of index. Stable across runs.
    return f"7{kind_digit}{seed % 100000:05d}{index:012d}"


def _ts(dt: datetime) -> str:
    return dt.strftime(TS_FORMAT)


def _iso(dt: datetime) -> str:
    # Creative assets carry ISO 8601 UTC timestamps, unlike ads-management objects.
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _today_utc() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class DatasetSpec:
    advertisers: int = 2
    campaigns_per_advertiser: int = 3
    adgroups_per_campaign: int = 2
    ads_per_adgroup: int = 2
    days: int = 30
    end_date: date = field(default_factory=_today_utc)
    seed: int = 1
    deleted_every: int = 5
    topview_every: int = 0
    # Every Nth campaign (not TopView) is Reach & Frequency. Whether R&F rows appear in reports below
    # advertiser level without a buying_type filter is not documented [?]: switchable.
    rf_every: int = 0
    rf_in_unfiltered_reports: bool = True
    smart_plus_every: int = 0
    # Creative library, audiences, pixels and Spark Ads posts, per advertiser.
    images_per_advertiser: int = 3
    videos_per_advertiser: int = 3
    music_per_advertiser: int = 2
    portfolios_per_advertiser: int = 2
    audiences_per_advertiser: int = 2
    pixels_per_advertiser: int = 2
    spark_posts_per_advertiser: int = 2
    # Every Nth image/video is freshly uploaded: no create_time/modify_time yet (0: none).
    fresh_asset_every: int = 0
    # TikTok names time zones the IANA way (`Etc/GMT+8`, `Europe/Moscow`); whether it ever names one
    # by a bare offset (`UTC-08:00`) is not known [?]. True: every advertiser's zone comes that way.
    offset_timezone_names: bool = False
    # Upgraded Smart+ campaigns per advertiser (see smart_plus.py); every Nth asset group lacks
    # modify_time, and whether `modified_after` keeps such objects is switchable [?].
    upgraded_smart_plus_campaigns: int = 0
    smart_plus_missing_modify_every: int = 3
    modified_after_keeps_missing: bool = False
    # TikTok Shop stores per advertiser with GMV Max campaigns (see gmv_max.py).
    gmv_max_stores: int = 0
    # Attribute metrics asked for on a multi-ID GMV Max query: refused (40002) or blank [?].
    gmv_max_blank_attributes: bool = False
    # The instant the data is seen from (None: the wall clock). Hours after it, in each advertiser's
    # own time zone, have not happened yet: they have no delivery, and neither do later days.
    now: datetime | None = None

    @property
    def start_date(self) -> date:
        return self.end_date - timedelta(days=self.days - 1)


@dataclass
class EntityQuery:
    """Entity selection as the list endpoints understand it (already validated)."""

    primary_status: str | None = None
    secondary_status: str | None = None
    buying_types: tuple[str, ...] = DEFAULT_BUYING_TYPES
    campaign_ids: frozenset[str] | None = None
    adgroup_ids: frozenset[str] | None = None
    ad_ids: frozenset[str] | None = None
    name_contains: str | None = None
    objective_type: str | None = None
    creation_start: str | None = None
    creation_end: str | None = None
    modified_after: str | None = None
    system_origins: tuple[str, ...] = ("TT_ADS_PLATFORM",)


@dataclass
class ReportQuery:
    """A validated report request, reduced to what shapes the result."""

    report_type: str
    data_level: str
    dimensions: tuple[str, ...]
    days: tuple[date, ...]
    advertiser_id: str | None = None
    status: str = "STATUS_NOT_DELETE"  # STATUS_NOT_DELETE | STATUS_ALL | STATUS_DELETE
    top_view: bool = False
    # The report's buying_type filter, when it has one.
    buying_types: frozenset[str] | None = None
    campaign_ids: frozenset[str] | None = None
    adgroup_ids: frozenset[str] | None = None
    ad_ids: frozenset[str] | None = None


class Dataset:
    """Generated advertisers, campaigns, ad groups, ads and their delivery counters."""

    def __init__(self, spec: DatasetSpec) -> None:
        self.spec = spec
        self.start_date: date = spec.start_date
        self.end_date: date = spec.end_date
        self.days: tuple[date, ...] = tuple(self.start_date + timedelta(days=i) for i in range(spec.days))
        self.advertisers: list[dict[str, Any]] = []
        self.campaigns: list[dict[str, Any]] = []
        self.adgroups: list[dict[str, Any]] = []
        self.ads: list[dict[str, Any]] = []
        self._by_id: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in ("advertiser", *KINDS)}
        self._adv_extra: dict[str, dict[str, Any]] = {}
        self._profile: dict[str, tuple] = {}
        self._deleted: set[str] = set()  # effective: own deletion or a deleted ancestor
        self._disabled: set[str] = set()  # effective
        self._top_view: set[str] = set()
        self._secondary_goal: set[str] = set()  # ad group ids with a secondary goal
        self._totals: dict[tuple[str, date], np.ndarray | None] = {}
        self._weights_cache: dict[tuple, list[np.ndarray]] = {}
        self._agg_cache: OrderedDict[tuple, list[tuple[tuple, Counters, bool]]] = OrderedDict()
        self._agg_lock = threading.Lock()
        self._attr_cache: dict[tuple[str, str], dict[str, Any]] = {}
        # library kind -> advertiser id -> items, in the order the list endpoints return them
        self._library: dict[str, dict[str, list[dict[str, Any]]]] = {kind: {} for kind in LIBRARY_KINDS}
        self._pixel_owner: dict[str, str] = {}
        self._build()
        self._rf: set[str] = self._reach_and_frequency_ids()
        self._build_library()
        self.smart_plus_ads: list[dict[str, Any]] = []
        self.smart_plus_ids: dict[str, set[str]] = {"campaign": set(), "adgroup": set()}
        self.asset_group_of: dict[str, str] = {}
        if spec.upgraded_smart_plus_campaigns:
            from .smart_plus import add_smart_plus  # imported late: it reads this module's helpers

            add_smart_plus(self)
        self.gmv_max: Any = None
        if spec.gmv_max_stores:
            from .gmv_max import GmvMaxWorld

            self.gmv_max = GmvMaxWorld(self)

    @classmethod
    def generate(cls, spec: DatasetSpec | None = None) -> Dataset:
        return cls(spec or DatasetSpec())

    # --- generation ------------------------------------------------------------------------------

    def _build(self) -> None:
        spec = self.spec
        seed = spec.seed
        range_start = datetime.combine(self.start_date, time())
        modify_span = max(1, (spec.days - 1) * 86400)
        n_campaign = n_adgroup = n_ad = 0

        def modify_time(entity_id: str, created: datetime) -> datetime:
            # A quarter were last touched before the data range starts, the rest inside it.
            h = _h(seed, entity_id, "modify")
            if h % 4 == 0:
                return created + timedelta(seconds=h % (10 * 86400))
            return range_start + timedelta(seconds=(h >> 8) % modify_span)

        for a in range(spec.advertisers):
            profile = _ACCOUNT_PROFILES[a % len(_ACCOUNT_PROFILES)]
            tz, display_tz, currency, country = profile[:4]
            if spec.offset_timezone_names:
                tz = _OFFSET_NAMES[tz]
            adv_id = _make_id(0, seed, a + 1)
            created = range_start - timedelta(days=400 + a * 17)
            adv = {
                "advertiser_id": adv_id,
                "name": f"Emulated Advertiser {a + 1}",
                "company": f"Emulated Company {a + 1}",
                "status": "STATUS_ENABLE",
                "role": "ROLE_ADVERTISER",
                "rejection_reason": "",
                "timezone": tz,
                "display_timezone": display_tz,
                "currency": currency,
                "country": country,
                "industry": "291905",
                "address": f"{a + 1} Example Street",
                "contacter": "E***r",
                "email": f"{chr(ord('a') + a % 26)}***@example.com",
                "cellphone_number": f"+1555****{a % 100:02d}",
                "telephone_number": f"+1555****{(a + 50) % 100:02d}",
                "language": "en",
                "license_no": "",
                "license_url": None,
                "description": "",
                "balance": round(1000 + (_h(seed, adv_id, "balance") % 900000) / 100, 2),
                "create_time": int(created.replace(tzinfo=UTC).timestamp()),
                "owner_bc_id": _make_id(9, seed, a + 1),
                "advertiser_account_type": "AUCTION",
                "brand": None,
                "promotion_area": "0",
            }
            self.advertisers.append(adv)
            self._by_id["advertiser"][adv_id] = adv
            self._adv_extra[adv_id] = {"company_name_editable": a % 2 == 0}
            self._profile[adv_id] = profile

            for c in range(spec.campaigns_per_advertiser):
                n_campaign += 1
                cid = _make_id(1, seed, n_campaign)
                hc = _h(seed, cid)
                c_created = range_start - timedelta(days=30 + hc % 300, seconds=(hc >> 16) % 86400)
                c_deleted = _every(spec.deleted_every, n_campaign)
                c_disabled = n_campaign % 4 == 0
                top_view = _every(spec.topview_every, n_campaign)
                budget_mode = _BUDGET_MODES[n_campaign % len(_BUDGET_MODES)]
                objective = _OBJECTIVES[(n_campaign - 1) % len(_OBJECTIVES)]
                camp = {
                    "advertiser_id": adv_id,
                    "campaign_id": cid,
                    "campaign_name": f"Campaign {a + 1}.{c + 1}",
                    "campaign_type": "REGULAR_CAMPAIGN",
                    "objective_type": objective,
                    "budget": 0.0 if budget_mode == "BUDGET_MODE_INFINITE" else float(50 * (1 + hc % 40)),
                    "budget_mode": budget_mode,
                    "operation_status": "DISABLE" if c_disabled or c_deleted else "ENABLE",
                    "secondary_status": (
                        "CAMPAIGN_STATUS_DELETE"
                        if c_deleted
                        else "CAMPAIGN_STATUS_DISABLE"
                        if c_disabled
                        else "CAMPAIGN_STATUS_ENABLE"
                    ),
                    "budget_optimize_on": budget_mode != "BUDGET_MODE_INFINITE",
                    "bid_type": "BID_TYPE_NO_BID",
                    "deep_bid_type": None,
                    "roas_bid": 0.0,
                    "optimization_goal": None,
                    "is_new_structure": True,
                    "is_smart_performance_campaign": False,
                    "is_search_campaign": False,
                    "app_promotion_type": "APP_INSTALL" if objective == "APP_PROMOTION" else "UNSET",
                    "rf_campaign_type": "STANDARD",
                    "create_time": _ts(c_created),
                    "modify_time": _ts(modify_time(cid, c_created)),
                }
                self._add("campaign", camp, c_deleted, c_disabled, top_view)

                for g in range(spec.adgroups_per_campaign):
                    n_adgroup += 1
                    gid = _make_id(2, seed, n_adgroup)
                    hg = _h(seed, gid)
                    g_created = c_created + timedelta(seconds=3600 + hg % (3 * 86400))
                    g_deleted = c_deleted or _every(spec.deleted_every, n_adgroup)
                    g_own_disabled = n_adgroup % 3 == 0
                    g_disabled = c_disabled or g_own_disabled
                    has_sg = n_adgroup % 2 == 0
                    automatic = n_adgroup % 3 != 1
                    adgroup = {
                        "advertiser_id": adv_id,
                        "campaign_id": cid,
                        "adgroup_id": gid,
                        "adgroup_name": f"Ad group {a + 1}.{c + 1}.{g + 1}",
                        "campaign_name": camp["campaign_name"],
                        "placement_type": "PLACEMENT_TYPE_AUTOMATIC"
                        if automatic
                        else "PLACEMENT_TYPE_NORMAL",
                        "placements": [] if automatic else ["PLACEMENT_TIKTOK"],
                        "promotion_type": "WEBSITE",
                        "optimization_goal": "CLICK",
                        "optimization_event": None,
                        "secondary_optimization_event": "ON_WEB_REGISTER" if has_sg else None,
                        "billing_event": "CPC",
                        "bid_type": "BID_TYPE_NO_BID",
                        "bid_price": 0.0,
                        "conversion_bid_price": 0.0,
                        "deep_cpa_bid": 0.0,
                        "budget": float(20 * (1 + hg % 50)),
                        "budget_mode": "BUDGET_MODE_DAY",
                        "schedule_type": "SCHEDULE_FROM_NOW",
                        "schedule_start_time": _ts(g_created),
                        "schedule_end_time": None,
                        "dayparting": "1" * 336,
                        "pacing": "PACING_MODE_SMOOTH",
                        "location_ids": [profile[6][0]],
                        "age_groups": ["AGE_18_24", "AGE_25_34"],
                        "gender": "GENDER_UNLIMITED",
                        "languages": [],
                        "audience_ids": [],
                        "excluded_audience_ids": [],
                        "interest_category_ids": [],
                        "operation_status": "DISABLE" if g_own_disabled or g_deleted else "ENABLE",
                        "secondary_status": (
                            "ADGROUP_STATUS_DELETE"
                            if g_deleted
                            else "ADGROUP_STATUS_CAMPAIGN_DISABLE"
                            if c_disabled
                            else "ADGROUP_STATUS_DISABLE"
                            if g_own_disabled
                            else "ADGROUP_STATUS_DELIVERY_OK"
                        ),
                        "create_time": _ts(g_created),
                        "modify_time": _ts(modify_time(gid, g_created)),
                    }
                    self._add("adgroup", adgroup, g_deleted, g_disabled, top_view)
                    if has_sg:
                        self._secondary_goal.add(gid)

                    for d in range(spec.ads_per_adgroup):
                        n_ad += 1
                        ad_id = _make_id(3, seed, n_ad)
                        hd = _h(seed, ad_id)
                        d_created = g_created + timedelta(seconds=600 + hd % (3 * 86400))
                        d_deleted = g_deleted or _every(spec.deleted_every, n_ad)
                        d_own_disabled = n_ad % 7 == 0
                        ad = {
                            "advertiser_id": adv_id,
                            "campaign_id": cid,
                            "adgroup_id": gid,
                            "ad_id": ad_id,
                            "ad_name": f"Ad {a + 1}.{c + 1}.{g + 1}.{d + 1}",
                            "adgroup_name": adgroup["adgroup_name"],
                            "campaign_name": camp["campaign_name"],
                            "ad_format": "SINGLE_VIDEO",
                            "ad_text": f"Try product {n_ad} today",
                            "ad_texts": None,
                            "call_to_action": "LEARN_MORE",
                            "call_to_action_id": None,
                            "video_id": f"v10033g50000{hd % 10**12:012d}",
                            "image_ids": [f"ad-site-i18n-sg/{hd % 10**10:010d}"],
                            "identity_id": _make_id(8, seed, a + 1),
                            "identity_type": "CUSTOMIZED_USER",
                            "landing_page_url": f"https://example.com/p/{n_ad}",
                            "landing_page_urls": None,
                            "display_name": adv["name"],
                            "profile_image_url": "https://example.com/avatar.png",
                            "tracking_pixel_id": 0,
                            "impression_tracking_url": None,
                            "click_tracking_url": None,
                            "is_aco": False,
                            "creative_authorized": False,
                            "operation_status": "DISABLE" if d_own_disabled or d_deleted else "ENABLE",
                            "secondary_status": (
                                "AD_STATUS_DELETE"
                                if d_deleted
                                else "AD_STATUS_CAMPAIGN_DISABLE"
                                if c_disabled
                                else "AD_STATUS_ADGROUP_DISABLE"
                                if g_own_disabled
                                else "AD_STATUS_DISABLE"
                                if d_own_disabled
                                else "AD_STATUS_DELIVERY_OK"
                            ),
                            "create_time": _ts(d_created),
                            "modify_time": _ts(modify_time(ad_id, d_created)),
                        }
                        if _every(spec.smart_plus_every, n_ad):
                            # Smart+ ads come back without the key at all, not with a null.
                            del ad["modify_time"]
                        self._add("ad", ad, d_deleted, g_disabled or d_own_disabled, top_view)

    def _reach_and_frequency_ids(self) -> set[str]:
        every = self.spec.rf_every
        campaigns = {
            c["campaign_id"]
            for n, c in enumerate(self.campaigns, 1)
            if _every(every, n) and c["campaign_id"] not in self._top_view
        }
        children = [
            e[f"{kind}_id"]
            for kind in ("adgroup", "ad")
            for e in getattr(self, f"{kind}s")
            if e["campaign_id"] in campaigns
        ]
        return campaigns | set(children)

    def buying_type(self, entity_id: str) -> str:
        if entity_id in self._top_view:
            return TOP_VIEW
        return "RESERVATION_RF" if entity_id in self._rf else "AUCTION"

    def _build_library(self) -> None:
        """Assets, audiences, pixels and Spark Ads posts: a few per advertiser, all derived from the seed."""
        spec, seed = self.spec, self.spec.seed
        range_start = datetime.combine(self.start_date, time())
        span = max(1, spec.days * 86400 - 1)
        counters = dict.fromkeys((*LIBRARY_KINDS, "material"), 0)

        def next_id(kind: str, digit: int) -> str:
            # A leading 6 keeps these apart from the ads-management ids, which start with 7.
            counters[kind] += 1
            return f"6{digit}{seed % 100000:05d}{counters[kind]:012d}"

        def moment(key: str, before_days: int = 0) -> datetime:
            # Creation before the data range, last change inside it: incremental syncs have work to do.
            h = _h(seed, key)
            return range_start + timedelta(seconds=h % span) - timedelta(days=before_days)

        for a, adv in enumerate(self.advertisers):
            adv_id = adv["advertiser_id"]
            lib = {kind: self._library[kind].setdefault(adv_id, []) for kind in LIBRARY_KINDS}
            for n in range(spec.images_per_advertiser):
                image_id = f"ad-site-i18n-sg/{next_id('image', 4)}"
                item = {
                    "image_id": image_id,
                    "material_id": next_id("material", 5),
                    "format": "jpeg" if n % 2 else "png",
                    "image_url": f"https://example.com/img/{a}/{n}.jpg",
                    "width": 720 + 360 * (n % 3),
                    "height": 1280,
                    "size": 50000 + _h(seed, image_id) % 400000,
                    "signature": f"{_h(seed, image_id, 'sig'):032x}"[:32],
                    "file_name": f"image_{a + 1}_{n + 1}.jpg",
                    "is_carousel_usable": n % 2 == 0,
                    "displayable": True,
                    "create_time": _iso(moment(image_id, before_days=60)),
                    "modify_time": _iso(moment(image_id + ":m")),
                }
                if _every(spec.fresh_asset_every, counters["image"]):
                    del item["create_time"], item["modify_time"]
                lib["image"].append(item)
            for n in range(spec.videos_per_advertiser):
                video_id = f"v10033g50000{next_id('video', 6)[-12:]}"
                item = {
                    "video_id": video_id,
                    "material_id": next_id("material", 5),
                    "video_cover_url": f"https://example.com/cover/{video_id}.jpg",
                    "preview_url": f"https://example.com/preview/{video_id}.mp4",
                    "preview_url_expire_time": _ts(range_start + timedelta(days=spec.days + 1)),
                    "format": "mp4",
                    "duration": round(5 + (_h(seed, video_id) % 5500) / 100, 2),
                    "width": 720,
                    "height": 1280,
                    "bit_rate": 1000000 + _h(seed, video_id, "br") % 4000000,
                    "size": 1000000 + _h(seed, video_id, "size") % 9000000,
                    "signature": f"{_h(seed, video_id, 'sig'):032x}"[:32],
                    "file_name": f"video_{a + 1}_{n + 1}.mp4",
                    "allowed_placements": ["PLACEMENT_TIKTOK", "PLACEMENT_PANGLE"],
                    "allow_download": n % 2 == 0,
                    "displayable": True,
                    "create_time": _iso(moment(video_id, before_days=60)),
                    "modify_time": _iso(moment(video_id + ":m")),
                }
                if _every(spec.fresh_asset_every, counters["video"]):
                    del item["create_time"], item["modify_time"]
                lib["video"].append(item)
            for n in range(spec.music_per_advertiser):
                music_id = next_id("music", 7)
                lib["music"].append(
                    {
                        "music_id": music_id,
                        "material_id": next_id("material", 5),
                        "sources": ["CUSTOM"],
                        "author": f"Artist {n + 1}",
                        "liked": n % 2 == 0,
                        "cover_url": f"https://example.com/music/{music_id}.jpg",
                        "url": f"https://example.com/music/{music_id}.mp3",
                        "duration": float(30 + n * 15),
                        "style": "POP",
                        "signature": f"{_h(seed, music_id):032x}"[:32],
                        "name": f"Track {a + 1}.{n + 1}",
                        "file_name": f"track_{a + 1}_{n + 1}.mp3",
                        "copyright": "ROYALTY_FREE",
                        "create_time": _iso(moment(music_id, before_days=30)),
                        "modify_time": _iso(moment(music_id + ":m")),
                    }
                )
            for n in range(spec.portfolios_per_advertiser):
                portfolio_id = next_id("portfolio", 8)
                lib["portfolio"].append(
                    {
                        "creative_portfolio_id": portfolio_id,
                        "creative_portfolio_type": ("CTA", "CARD", "GIFT_CODE")[n % 3],
                        "creative_portfolio_preview_url": f"https://example.com/portfolio/{portfolio_id}",
                    }
                )
            for n in range(spec.audiences_per_advertiser):
                audience_id = next_id("audience", 9)[-10:]
                created = moment(audience_id, before_days=90)
                lib["audience"].append(
                    {
                        "audience_id": audience_id,
                        "name": f"Audience {a + 1}.{n + 1}",
                        "audience_type": (
                            "Customer File Audience",
                            "Engagement Audience",
                            "Lookalike Audience",
                        )[n % 3],
                        "calculate_type": "MULTIPLE_TYPES",
                        "cover_num": 1000 + _h(seed, audience_id) % 900000,
                        "shared": False,
                        "is_creator": True,
                        "is_valid": True,
                        "is_expiring": n % 4 == 3,
                        "create_time": _ts(created),
                        "expired_time": _ts(created + timedelta(days=365)),
                    }
                )
            for n in range(spec.pixels_per_advertiser):
                pixel_id = next_id("pixel", 2)
                self._pixel_owner[pixel_id] = adv_id
                lib["pixel"].append(
                    {
                        "pixel_id": pixel_id,
                        "pixel_code": f"C{_h(seed, pixel_id):016X}"[:20],
                        "pixel_name": f"Pixel {a + 1}.{n + 1}",
                        "pixel_category": "ONLINE_STORE",
                        "pixel_script": "<script>/* emulated */</script>",
                        "pixel_setup_mode": "STANDARD",
                        "partner_name": "",
                        # Format not documented [?]; the entity style is the likeliest.
                        "create_time": _ts(
                            range_start - timedelta(days=20 + n, seconds=_h(seed, pixel_id) % 86400)
                        ),
                        "advanced_matching_fields": {"phone_number": False, "email": True},
                        "enable_first_party_cookies": True,
                        "events": [
                            {
                                "name": event.title().replace("_", " "),
                                "event_type": event,
                                "optimization_event": event,
                                "event_id": f"{pixel_id}{k}",
                                "event_code": event.title().replace("_", ""),
                                "statistic_type": "EVERY_TIME",
                                "currency_value": "",
                                "deprecated": False,
                                "rules": [],
                            }
                            for k, event in enumerate(PIXEL_EVENT_TYPES)
                        ],
                    }
                )
            for n in range(spec.spark_posts_per_advertiser):
                item_id = next_id("spark", 1)
                lib["spark"].append(
                    {
                        "item_info": {
                            "item_id": item_id,
                            "text": f"Post {a + 1}.{n + 1}",
                            "status": "ITEM_STATUS_PUBLIC",
                        },
                        "video_info": {
                            "video_id": f"v09044g40000{item_id[-12:]}",
                            "duration": float(10 + n),
                            "width": 1080,
                            "height": 1920,
                            "bit_rate": 2000000,
                            "size": 3000000 + n,
                            "poster_url": f"https://example.com/poster/{item_id}.jpg",
                            "preview_url": f"https://example.com/spark/{item_id}.mp4",
                            "signature": f"{_h(seed, item_id):032x}"[:32],
                        },
                        "user_info": {
                            "identity_id": _make_id(8, seed, a + 1),
                            "tiktok_name": f"creator{a + 1}",
                            "profile_image": "https://example.com/u.png",
                        },
                        "auth_info": {
                            "ad_auth_status": "AUTHORIZED",
                            "auth_start_time": _ts(range_start - timedelta(days=10)),
                            "auth_end_time": _ts(range_start + timedelta(days=365)),
                            "invite_start_time": _ts(range_start - timedelta(days=11)),
                        },
                    }
                )

    def library(self, kind: str, advertiser_id: str) -> list[dict[str, Any]]:
        """Copies of one advertiser's images, videos, music, portfolios, audiences, pixels or spark posts."""
        if kind not in LIBRARY_KINDS:
            raise ValueError(f"unknown library kind {kind!r}")
        return [dict(item) for item in self._library[kind].get(str(advertiser_id), [])]

    def pixel_owner(self, pixel_id: str) -> str | None:
        return self._pixel_owner.get(str(pixel_id))

    def pixel_event_stats(self, pixel_id: str, start: date, end: date) -> dict[str, Any]:
        """What pixel/event/stats/ reports for one pixel over UTC days start..end (inclusive)."""
        seed = self.spec.seed
        statistics = []
        for event in PIXEL_EVENT_TYPES:
            totals = dict.fromkeys(("browser", "server", "attributed", "preview"), 0)
            day = max(start, self.start_date)
            while day <= min(end, self.end_date):
                h = _h(seed, pixel_id, event, day)
                browser, server = h % 500, (h >> 12) % 200
                totals["browser"] += browser
                totals["server"] += server
                totals["attributed"] += (browser + server) * ((h >> 24) % 40) // 100
                totals["preview"] += (h >> 32) % 3
                day += timedelta(days=1)
            statistics.append(
                {
                    "pixel_event_type": event,
                    "attributed_count": totals["attributed"],
                    "preview_count": totals["preview"],
                    "total_count": totals["browser"] + totals["server"],
                    "browser_event_total_count": totals["browser"],
                    "server_event_total_count": totals["server"],
                }
            )
        return {"pixel_id": str(pixel_id), "statistics": statistics}

    def _add(self, kind: str, entity: dict[str, Any], deleted: bool, disabled: bool, top_view: bool) -> None:
        getattr(self, f"{kind}s").append(entity)
        entity_id = entity[f"{kind}_id"]
        self._by_id[kind][entity_id] = entity
        if deleted:
            self._deleted.add(entity_id)
        if disabled:
            self._disabled.add(entity_id)
        if top_view:
            self._top_view.add(entity_id)

    # --- lookups -----------------------------------------------------------------------------------

    def advertiser(self, advertiser_id: str) -> dict[str, Any]:
        return self._by_id["advertiser"][str(advertiser_id)]

    def has_advertiser(self, advertiser_id: str) -> bool:
        return str(advertiser_id) in self._by_id["advertiser"]

    def advertiser_info(self, advertiser_id: str, fields: Sequence[str] | None) -> dict[str, Any]:
        full = {**self.advertiser(advertiser_id), **self._adv_extra[str(advertiser_id)]}
        names = fields if fields else ADVERTISER_FIELDS
        return {f: full[f] for f in names}

    def entity(self, kind: str, entity_id: str) -> dict[str, Any]:
        return self._by_id[kind][str(entity_id)]

    def is_deleted(self, entity_id: str) -> bool:
        return entity_id in self._deleted

    def is_top_view(self, entity_id: str) -> bool:
        return entity_id in self._top_view

    def primary_status(self, entity_id: str) -> str:
        if entity_id in self._deleted:
            return "STATUS_DELETE"
        if entity_id in self._disabled:
            return "STATUS_DISABLE"
        return "STATUS_DELIVERY_OK"

    def audience_values(self, advertiser_id: str, dimension: str) -> tuple[str, ...]:
        profile = self._profile[advertiser_id]
        return {
            "gender": catalog.GENDERS,
            "age": catalog.AGES,
            "country_code": profile[5],
            "province_id": profile[6],
            "platform": catalog.PLATFORMS,
            "ac": catalog.ACCESS_TYPES,
            "language": catalog.LANGUAGES,
        }[dimension]

    # --- entity listing ----------------------------------------------------------------------------

    def select_entities(self, kind: str, advertiser_id: str, query: EntityQuery) -> list[dict[str, Any]]:
        """Entities a list endpoint returns for ``query``, in the endpoint's order."""
        if kind not in KINDS:
            raise ValueError(f"unknown entity kind {kind!r}")
        id_key = f"{kind}_id"
        out = []
        for e in getattr(self, f"{kind}s"):
            if e["advertiser_id"] != advertiser_id:
                continue
            eid = e[id_key]
            if not self._status_matches(kind, eid, e, query):
                continue
            buying = self.buying_type(eid)
            if buying not in query.buying_types:
                continue
            if "TT_ADS_PLATFORM" not in query.system_origins:
                continue
            if query.campaign_ids is not None and e["campaign_id"] not in query.campaign_ids:
                continue
            if query.adgroup_ids is not None and e.get("adgroup_id") not in query.adgroup_ids:
                continue
            if query.ad_ids is not None and e.get("ad_id") not in query.ad_ids:
                continue
            if (
                query.name_contains is not None
                and query.name_contains.lower() not in e[f"{kind}_name"].lower()
            ):
                continue
            if query.objective_type is not None:
                camp = self._by_id["campaign"][e["campaign_id"]]
                if camp["objective_type"] != query.objective_type:
                    continue
            if query.creation_start is not None and e["create_time"] < query.creation_start:
                continue
            if query.creation_end is not None and e["create_time"] > query.creation_end:
                continue
            # Whether TikTok keeps Smart+ ads (no modify_time) under modified_after is unknown [?];
            # dropping them is the harsher choice and exposes connectors that rely on the filter.
            if query.modified_after is not None and e.get("modify_time", "") <= query.modified_after:
                continue
            out.append(e)
        out.sort(key=lambda e: (e["create_time"], e[id_key]), reverse=True)
        return out

    def _status_matches(self, kind: str, eid: str, e: dict[str, Any], q: EntityQuery) -> bool:
        deleted = eid in self._deleted
        primary = q.primary_status
        if primary is None and q.secondary_status is None:
            # The NOT_DELETE default is documented for ad groups and ads only; campaigns get it
            # too, the stricter reading [?].
            primary = "STATUS_NOT_DELETE"
        if primary is not None and primary != "STATUS_ALL":
            if primary == "STATUS_NOT_DELETE":
                if deleted:
                    return False
            elif primary == "STATUS_DELETE":
                if not deleted:
                    return False
            elif self.primary_status(eid) != primary:
                return False
        secondary = q.secondary_status
        if secondary is not None:
            prefix = f"{kind.upper()}_STATUS_"
            suffix = secondary[len(prefix) :]
            if suffix == "ALL":
                return True
            if suffix == "NOT_DELETE":
                return not deleted
            if suffix == "DELETE":
                return deleted
            return e["secondary_status"] == secondary
        return True

    def entities(
        self,
        kind: str,
        advertiser_id: str,
        include_deleted: bool,
        buying_types: Iterable[str] | None = None,
    ) -> list[dict[str, Any]]:
        """What ``<kind>/get/`` lists for one advertiser by default, or with STATUS_ALL."""
        query = EntityQuery(primary_status="STATUS_ALL" if include_deleted else None)
        if buying_types is not None:
            query.buying_types = tuple(buying_types)
        return [dict(e) for e in self.select_entities(kind, str(advertiser_id), query)]

    # --- delivery counters -------------------------------------------------------------------------

    def _hours_begun(self, advertiser_id: str, day: date) -> int:
        """How many of the local day's hours have begun in the advertiser's time zone (0 to 24)."""
        now = self.spec.now or datetime.now(UTC)
        if day < now.date() - timedelta(days=1):  # over in every time zone: the common case, made cheap
            return 24
        local = now.astimezone(ZoneInfo(self._profile[advertiser_id][0]))
        if day != local.date():
            return 24 if day < local.date() else 0
        return local.hour + 1

    def _ad_total(self, ad: dict[str, Any], day: date) -> np.ndarray | None:
        """Counters of one ad for one local day so far (read-only), or None when it did not deliver."""
        begun = self._hours_begun(ad["advertiser_id"], day)
        if begun == 24:
            return self._ad_day_total(ad, day)
        hours = self._ad_hours(ad, day) if begun else None
        if hours is None or not hours.any():
            return None
        return hours.sum(axis=0)

    def _ad_day_total(self, ad: dict[str, Any], day: date) -> np.ndarray | None:
        """Counters of one ad for one whole local day (read-only), or None when it did not deliver."""
        key = (ad["ad_id"], day)
        cached = self._totals.get(key, _MISSING)
        if cached is _MISSING:
            cached = None
            if self.start_date <= day <= self.end_date:
                seed = self.spec.seed
                ad_id = ad["ad_id"]
                # Roughly one day in seven has no delivery at all for a given ad.
                if _h(seed, ad_id, day, "day") % 100 >= 15:
                    factor = self._profile[ad["advertiser_id"]][4]
                    intensity = 0.3 + (_h(seed, ad_id, "intensity") % 1700) / 1000
                    has_sg = ad["adgroup_id"] in self._secondary_goal
                    counters = _day_counters(random.Random(_h(seed, ad_id, day)), intensity, factor, has_sg)
                    cached = np.array(counters, dtype=np.int64)
                    cached.flags.writeable = False
            self._totals[key] = cached
        return cached

    def _ad_hours(self, ad: dict[str, Any], day: date) -> np.ndarray | None:
        """The day's counters spread over 24 local hours (24 rows that add up to the day so far: hours that
        have not begun in the advertiser's zone are empty)."""
        total = self._ad_day_total(ad, day)
        if total is None:
            return None
        seed, ad_id = self.spec.seed, ad["ad_id"]
        weights = []
        for hour in range(24):
            h = _h(seed, ad_id, day, hour)
            # Night hours are often empty, so hourly reports have gaps.
            idle = h % 100 < (65 if hour < 6 else 10)
            weights.append(0 if idle else 1 + (h >> 8) % 100)
        if not any(weights):
            weights[12] = 1
        hours = _split_ints(total[None, :], np.array([weights], dtype=np.int64))
        begun = self._hours_begun(ad["advertiser_id"], day)
        if begun < 24:
            hours = hours.copy()
            hours[begun:] = 0
        return hours

    # --- reports -----------------------------------------------------------------------------------

    def _report_days(self, start_date: date | str | None, end_date: date | str | None, lifetime: bool):
        if lifetime:
            return self.days
        start = _as_date(start_date)
        end = _as_date(end_date)
        return tuple(start + timedelta(days=i) for i in range((end - start).days + 1))

    def aggregate(self, q: ReportQuery) -> list[tuple[tuple, Counters, bool]]:
        """Summed counters per result row key ``(entity_id, time, breakdown values)``, sorted.

        Results are cached for a few recent queries: a connector pages through the same query,
        and recomputing a large audience breakdown for every page would dominate benchmarks.
        """
        key = (
            q.report_type,
            q.data_level,
            q.dimensions,
            q.days,
            q.advertiser_id,
            q.status,
            q.top_view,
            q.buying_types,
            q.campaign_ids,
            q.adgroup_ids,
            q.ad_ids,
        )
        with self._agg_lock:
            hit = self._agg_cache.get(key)
            if hit is not None:
                self._agg_cache.move_to_end(key)
                return hit
        result = self._aggregate(q)
        with self._agg_lock:
            self._agg_cache[key] = result
            while len(self._agg_cache) > 8:
                self._agg_cache.popitem(last=False)
        return result

    def _aggregate(self, q: ReportQuery) -> list[tuple[tuple, Counters, bool]]:
        level = q.data_level
        rank = LEVEL_RANK[level]
        time_dim = next((d for d in q.dimensions if d in catalog.TIME_DIMENSIONS), None)
        breakdowns = tuple(d for d in catalog.AUDIENCE_DIMENSIONS if d in q.dimensions)
        # One matrix per (entity, time): a row per combination of breakdown values, a column per counter.
        acc: dict[tuple[str, str], np.ndarray] = {}
        owner: dict[str, str] = {}
        sg_keys: set[tuple[str, str]] = set()
        for ad in self.ads:
            adv_id = ad["advertiser_id"]
            if q.advertiser_id is not None and adv_id != q.advertiser_id:
                continue
            chain = (adv_id, ad["campaign_id"], ad["adgroup_id"], ad["ad_id"])
            entity_id = chain[rank]
            if level != ADVERTISER:
                # The advertiser level always reports the whole account; other levels drop deleted
                # objects unless asked, and keep TopView delivery apart from auction delivery.
                deleted = entity_id in self._deleted
                if q.status == "STATUS_NOT_DELETE" and deleted:
                    continue
                if q.status == "STATUS_DELETE" and not deleted:
                    continue
                if not self._reported(entity_id, q):
                    continue
            if q.campaign_ids is not None and chain[1] not in q.campaign_ids:
                continue
            if q.adgroup_ids is not None and chain[2] not in q.adgroup_ids:
                continue
            if q.ad_ids is not None and chain[3] not in q.ad_ids:
                continue
            owner[entity_id] = adv_id
            has_sg = ad["adgroup_id"] in self._secondary_goal
            for day in q.days:
                total = self._ad_total(ad, day)
                if total is None:
                    continue
                # The units of delivery this ad-day is made of (hours, or the day), a row of counters each.
                if time_dim == "stat_time_hour":
                    hours = self._ad_hours(ad, day)
                    delivered_hours = np.flatnonzero(hours.any(axis=1)).tolist()
                    if not delivered_hours:
                        continue
                    unit_keys = [(chain[3], day, hour) for hour in delivered_hours]
                    time_keys = [f"{day.isoformat()} {hour:02d}:00:00" for hour in delivered_hours]
                    counters = hours[delivered_hours]
                else:
                    unit_keys = [(chain[3], day)]
                    time_keys = [f"{day.isoformat()} 00:00:00" if time_dim == "stat_time_day" else ""]
                    counters = total[None, :]
                parts = self._split(unit_keys, counters, breakdowns, adv_id) if breakdowns else counters
                per_unit = len(parts) // len(unit_keys)
                for index, time_key in enumerate(time_keys):
                    block = parts[index * per_unit : (index + 1) * per_unit]
                    key = (entity_id, time_key)
                    bucket = acc.get(key)
                    if bucket is None:
                        acc[key] = block.copy()
                    else:
                        bucket += block
                    if has_sg:
                        sg_keys.add(key)
        combos = {
            adv_id: list(itertools.product(*(self.audience_values(adv_id, d) for d in breakdowns)))
            for adv_id in set(owner.values())
        }
        rows = []
        for (entity_id, time_key), matrix in acc.items():
            sg = (entity_id, time_key) in sg_keys
            delivered = matrix.any(axis=1).tolist()
            # Each row's counters as a compact array, straight from the matrix's bytes.
            raw = memoryview(matrix.tobytes())
            width = matrix.shape[1] * matrix.itemsize
            # A bucket where every counter is zero had no delivery and produces no row.
            for index, (values, kept) in enumerate(zip(combos[owner[entity_id]], delivered, strict=True)):
                if kept:
                    counters = array("q")
                    counters.frombytes(raw[index * width : (index + 1) * width])
                    rows.append(((entity_id, time_key, values), counters, sg))
        rows.sort(key=operator.itemgetter(0))
        return rows

    def _reported(self, entity_id: str, q: ReportQuery) -> bool:
        """Whether a row below advertiser level is reported for the query's buying types: TopView only
        when filtered for, R&F with or without a filter (switchable), auction unless filtered out."""
        buying = self.buying_type(entity_id)
        if q.buying_types is not None:
            return buying in q.buying_types
        if q.top_view:
            return buying == TOP_VIEW
        return buying == "AUCTION" or (buying == "RESERVATION_RF" and self.spec.rf_in_unfiltered_reports)

    def _split(
        self, unit_keys: list[tuple], counters: np.ndarray, breakdowns: tuple[str, ...], adv_id: str
    ) -> np.ndarray:
        """Units' counters (a row each) split into a row per combination of breakdown values, unit by unit."""
        weights = [self._split_weights(unit_key, breakdowns, adv_id) for unit_key in unit_keys]
        parts = counters
        for dimension in range(len(breakdowns)):
            parts = _split_ints(parts, np.concatenate([unit[dimension] for unit in weights]))
        return parts

    def _split_weights(self, unit_key: tuple, breakdowns: tuple[str, ...], adv_id: str) -> list[np.ndarray]:
        # Split one dimension at a time, so a coarser breakdown (gender) is exactly the marginal
        # of a finer one (gender x age) and every split sums back to the unsplit counters.
        # Cached: each report level splits the same units again.
        key = (unit_key, breakdowns)
        cached = self._weights_cache.get(key)
        if cached is not None:
            return cached
        prefixes: list[tuple[str, ...]] = [()]
        per_dimension = []
        for dim in breakdowns:
            values = self.audience_values(adv_id, dim)
            matrix = []
            for prefix in prefixes:
                rng = random.Random(_h(self.spec.seed, *unit_key, dim, *prefix))
                weights = [0 if rng.random() < 0.15 else rng.randint(1, 100) for _ in values]
                if not any(weights):
                    weights[0] = 1
                matrix.append(weights)
            per_dimension.append(np.array(matrix, dtype=np.int64))
            prefixes = [(*prefix, value) for prefix in prefixes for value in values]
        if len(self._weights_cache) >= _WEIGHTS_CACHE_SIZE:
            self._weights_cache.clear()
        self._weights_cache[key] = per_dimension
        return per_dimension

    def build_rows(
        self,
        q: ReportQuery,
        aggregated: list[tuple[tuple, Counters, bool]],
        metrics: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        level = q.data_level
        id_dim = LEVEL_ID_DIMENSION[level]
        time_dim = next((d for d in q.dimensions if d in catalog.TIME_DIMENSIONS), None)
        breakdowns = tuple(d for d in catalog.AUDIENCE_DIMENSIONS if d in q.dimensions)
        if metrics is None:
            metrics = [
                *catalog.NUMERIC_METRICS,
                *(m for m in catalog.ATTRIBUTE_MIN_LEVEL if catalog.attribute_allowed(m, level)),
            ]
        build, reads_attributes = catalog.row_builder(tuple(metrics))
        attributes = self._attributes
        rows = []
        for (entity_id, time_key, values), counters, sg in aggregated:
            dims: dict[str, Any] = {id_dim: entity_id}
            if time_dim:
                dims[time_dim] = time_key
            if breakdowns:
                dims.update(zip(breakdowns, values, strict=True))
            attrs = attributes(level, entity_id) if reads_attributes else None
            rows.append({"dimensions": dims, "metrics": build(counters, sg, attrs)})
        return rows

    def report_rows(
        self,
        report_type: str,
        data_level: str,
        dimensions: Sequence[str],
        start_date: date | str | None,
        end_date: date | str | None,
        include_deleted: bool,
        lifetime: bool = False,
        *,
        advertiser_id: str | None = None,
        top_view: bool = False,
        metrics: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Rows the report endpoint would return (all pages), with every known metric.

        ``advertiser_id=None`` covers every advertiser (the server always asks for one);
        ``metrics`` narrows the metric set, which is much faster for large results.
        """
        q = ReportQuery(
            report_type=report_type,
            data_level=data_level,
            dimensions=tuple(dimensions),
            days=self._report_days(start_date, end_date, lifetime),
            advertiser_id=str(advertiser_id) if advertiser_id is not None else None,
            status="STATUS_ALL" if include_deleted else "STATUS_NOT_DELETE",
            top_view=top_view,
        )
        return self.build_rows(q, self.aggregate(q), metrics)

    def _attributes(self, level: str, entity_id: str) -> dict[str, Any]:
        key = (level, entity_id)
        cached = self._attr_cache.get(key)
        if cached is not None:
            return cached
        kind = catalog.LEVEL_KIND[level]
        entity = self._by_id[kind][entity_id]
        adv = self._by_id["advertiser"][entity["advertiser_id"]]
        attrs: dict[str, Any] = {
            "advertiser_name": adv["name"],
            "advertiser_id": adv["advertiser_id"],
            "currency": adv["currency"],
        }
        if LEVEL_RANK[level] >= LEVEL_RANK[CAMPAIGN]:
            camp = self._by_id["campaign"][entity["campaign_id"]]
            infinite = camp["budget_mode"] == "BUDGET_MODE_INFINITE"
            attrs.update(
                campaign_name=camp["campaign_name"],
                objective_type=camp["objective_type"],
                split_test="Split test off",
                campaign_budget="-" if infinite else f"{camp['budget']:.2f}",
                # Display strings below are best guesses at Ads Manager wording [?].
                campaign_dedicate_type="Non-iOS 14 Dedicated Campaign",
                app_promotion_type="App Install" if camp["objective_type"] == "APP_PROMOTION" else "-",
            )
        if LEVEL_RANK[level] >= LEVEL_RANK[ADGROUP]:
            group = self._by_id["adgroup"][entity["adgroup_id"]]
            automatic = group["placement_type"] == "PLACEMENT_TYPE_AUTOMATIC"
            attrs.update(
                campaign_id=group["campaign_id"],
                adgroup_name=group["adgroup_name"],
                placement_type="Automatic Placement" if automatic else "Select Placement",
                promotion_type="Website",
                opt_status=group["operation_status"],
                budget=f"{group['budget']:.2f}",
                smart_target="-",
                billing_event="CPC",
                bid_strategy="Lowest Cost",
                bid=f"{group['bid_price']:.2f}",
                tt_app_id="0",
                tt_app_name="0",
                mobile_app_id="0",
                dpa_target_audience_type=None,
            )
        if level == AD:
            attrs.update(
                adgroup_id=entity["adgroup_id"],
                ad_name=entity["ad_name"],
                ad_text=entity["ad_text"],
                call_to_action=entity["call_to_action"],
                image_mode="Single video",
                is_smart_creative=False,
            )
        self._attr_cache[key] = attrs
        return attrs


def _every(every: int, n: int) -> bool:
    return every > 0 and n % every == 0


def _as_date(value: date | str | None) -> date:
    if isinstance(value, date):
        return value
    if value is None:
        raise ValueError("a date is required unless lifetime=True")
    return date.fromisoformat(value)


def _split_ints(parts: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Split each row of ``parts`` in proportion to its row of ``weights``; shares add up exactly.

    ``parts`` is P x counters, ``weights`` P x V; the result has P x V rows, row p's V shares together.
    Share i is floor(x * cum_i / total) - floor(x * cum_(i-1) / total), so the shares telescope back to
    x exactly, and a zero weight gets an all-zero share.
    """
    cum = np.cumsum(weights, axis=1)
    if int(parts.max(initial=0)) > _INT64_MAX // int(cum.max()):
        raise OverflowError("counters too large to split exactly in 64 bits")
    shares = parts[:, None, :] * cum[:, :, None] // cum[:, -1:, None]
    shares[:, 1:] -= shares[:, :-1]  # numpy buffers overlapping operands, so this reads the old values
    return shares.reshape(-1, parts.shape[1])


def _day_counters(rng: random.Random, intensity: float, factor: int, has_sg: bool) -> Counters:
    r = rng.random
    imp = int(rng.randint(800, 30000) * intensity) + 1
    clicks = int(imp * (0.002 + 0.028 * r()))
    spend = imp * rng.randint(2000, 12000) // 1000 * factor
    voucher = int(spend * 0.1 * r())
    conversion = int(clicks * 0.15 * r())
    vpa = int(imp * (0.3 + 0.4 * r()))
    w2 = int(vpa * (0.5 + 0.3 * r()))
    p25 = int(vpa * (0.4 + 0.2 * r()))
    p50 = int(p25 * (0.5 + 0.3 * r()))
    p75 = int(p50 * (0.5 + 0.3 * r()))
    engaged = int(vpa * (0.05 + 0.1 * r()))
    likes = int(imp * 0.02 * r())
    comments = int(likes * 0.1 * r())
    shares = int(likes * 0.1 * r())
    follows = int(likes * 0.05 * r())
    profile_visits = int(imp * 0.005 * r())
    install = int(clicks * 0.05 * r())
    purchase = int(conversion * 0.4 * r())
    payment = int(purchase * 0.8 * r())
    values = {
        "impressions": imp,
        "gross_impressions": imp + int(imp * 0.05 * r()),
        "clicks": clicks,
        # Reach is not additive in reality; the emulator sums it like the other counters.
        "reach": max(1, int(imp * (0.6 + 0.35 * r()))),
        "spend": spend,
        "billed_cost": spend,
        "cash_spend": spend - voucher,
        "voucher_spend": voucher,
        "conversion": conversion,
        "real_time_conversion": int(conversion * (0.8 + 0.2 * r())),
        "result": int(clicks * (0.3 + 0.6 * r())),
        "real_time_result": int(clicks * (0.25 + 0.5 * r())),
        "secondary_goal_result": int(conversion * 0.5 * r()) if has_sg else 0,
        "video_play_actions": vpa,
        "video_watched_2s": w2,
        "video_watched_6s": int(w2 * (0.4 + 0.3 * r())),
        "video_views_p25": p25,
        "video_views_p50": p50,
        "video_views_p75": p75,
        "video_views_p100": int(p75 * (0.5 + 0.3 * r())),
        "play_ms": vpa * rng.randint(2000, 9000),
        "engaged_view": engaged,
        "paid_engaged_view": int(engaged * 0.8),
        "paid_engagement_engaged_view": int(engaged * 0.1),
        "engaged_view_15s": int(engaged * 0.6),
        "paid_engaged_view_15s": int(engaged * 0.5),
        "paid_engagement_engaged_view_15s": int(engaged * 0.05),
        "engagements": clicks + likes + comments + shares + follows + profile_visits,
        "clicks_on_music_disc": int(imp * 0.001 * r()),
        "duet_clicks": int(imp * 0.0005 * r()),
        "stitch_clicks": int(imp * 0.0005 * r()),
        "sound_usage_clicks": int(imp * 0.0005 * r()),
        "anchor_clicks": int(imp * 0.001 * r()),
        "clicks_on_hashtag_challenge": int(imp * 0.0005 * r()),
        "follows": follows,
        "likes": likes,
        "comments": comments,
        "shares": shares,
        "profile_visits": profile_visits,
        "app_install": install,
        "real_time_app_install": int(install * (0.8 + 0.2 * r())),
        "registration": int(conversion * 0.3 * r()),
        "total_registration": int(conversion * 0.4 * r()),
        "purchase": purchase,
        "total_purchase": purchase + int(purchase * 0.2 * r()),
        "total_purchase_value": purchase * rng.randint(5000, 80000) * factor,
        "total_app_event_add_to_cart": int(clicks * 0.05 * r()),
        "sales_lead": int(conversion * 0.2 * r()),
        "total_sales_lead": int(conversion * 0.25 * r()),
        "complete_payment": payment,
        "complete_payment_value": payment * rng.randint(5000, 80000) * factor,
        "total_pageview": int(clicks * (0.5 + r())),
        "onsite_shopping": int(clicks * 0.02 * r()),
        "total_onsite_shopping_value": int(clicks * 0.02 * r()) * rng.randint(5000, 50000) * factor,
        "vta_purchase": int(purchase * 0.3 * r()),
        "vta_conversion": int(conversion * 0.3 * r()),
        "cta_purchase": int(purchase * 0.7 * r()),
        "cta_conversion": int(conversion * 0.7 * r()),
    }
    out = [values[name] for name in catalog.COUNTERS]
    assert len(out) == N_COUNTERS
    return out
