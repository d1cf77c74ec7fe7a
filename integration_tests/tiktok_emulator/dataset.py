"""Deterministic fake TikTok account data: advertisers, entities and per-hour delivery.

`Dataset` holds what was generated (see `generate/` for one builder per object kind) and answers the
endpoints' questions about it; delivery counters live in `delivery`, report sums in `aggregation`, report
rows in `report_rows`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from . import catalog
from .aggregation import AggregatedRow, Aggregation
from .buying_types import DEFAULT_BUYING_TYPES, TOP_VIEW
from .delivery import Delivery
from .entity_fields import ADVERTISER_FIELDS
from .entity_selection import select_entities
from .generate.accounts import AccountProfile
from .generate.hierarchy import build_hierarchy
from .generate.library import LIBRARY_KINDS, build_library
from .generate.pixels import pixel_event_stats
from .generate.smart_plus import add_smart_plus
from .gmv_max import GmvMaxWorld
from .report_rows import ReportRows
from .seeding import every

KINDS = ("campaign", "adgroup", "ad")


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
    # How many of those stores (the first ones) are active and have GMV Max campaigns; the rest have none.
    gmv_max_active_stores: int = 1
    # Attribute metrics asked for on a multi-ID GMV Max query: refused (40002) or blank [?].
    gmv_max_blank_attributes: bool = False
    # Percent of (advertiser, day) pairs with any delivery: below 100, an account that is idle on most
    # days (a sparse account); the others have none at any level.
    delivery_day_percent: int = 100
    # Every Nth idle (advertiser, day) pair still has one event: a conversion of earlier delivery,
    # counted on its own day by the real_time_* metrics only (0: none).
    late_conversion_every: int = 0
    # Whether reports below advertiser level list every selected object with all-zero metrics on the
    # days it did not deliver (daily BASIC reports without breakdowns) is not documented [?]: switchable.
    zero_rows_below_advertiser: bool = False
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
        self._profile: dict[str, AccountProfile] = {}
        self._deleted: set[str] = set()  # effective: own deletion or a deleted ancestor
        self._disabled: set[str] = set()  # effective
        self._top_view: set[str] = set()
        self._secondary_goal: set[str] = set()  # ad group ids with a secondary goal
        # library kind -> advertiser id -> items, in the order the list endpoints return them
        self._library: dict[str, dict[str, list[dict[str, Any]]]] = {kind: {} for kind in LIBRARY_KINDS}
        self._pixel_owner: dict[str, str] = {}
        self.delivery = Delivery(spec, self._profile, self._secondary_goal)
        self._aggregation = Aggregation(self)
        self._report_rows = ReportRows(self)
        build_hierarchy(self)
        self._rf: set[str] = self._reach_and_frequency_ids()
        build_library(self)
        self.smart_plus_ads: list[dict[str, Any]] = []
        self.smart_plus_ids: dict[str, set[str]] = {"campaign": set(), "adgroup": set()}
        self.asset_group_of: dict[str, str] = {}
        if spec.upgraded_smart_plus_campaigns:
            add_smart_plus(self)
        self.gmv_max: GmvMaxWorld | None = None
        if spec.gmv_max_stores:
            self.gmv_max = GmvMaxWorld(self)

    @classmethod
    def generate(cls, spec: DatasetSpec | None = None) -> Dataset:
        return cls(spec or DatasetSpec())

    # --- registration (by the builders) ----------------------------------------------------------

    def _add_advertiser(self, adv: dict[str, Any], extra: dict[str, Any], profile: AccountProfile) -> None:
        self.advertisers.append(adv)
        self._by_id["advertiser"][adv["advertiser_id"]] = adv
        self._adv_extra[adv["advertiser_id"]] = extra
        self._profile[adv["advertiser_id"]] = profile

    def _add(
        self,
        kind: str,
        entity: dict[str, Any],
        deleted: bool,
        disabled: bool,
        top_view: bool,
        secondary_goal: bool = False,
    ) -> None:
        """Register a campaign, ad group or ad; ``deleted`` and ``disabled`` count its ancestors too."""
        getattr(self, f"{kind}s").append(entity)
        entity_id = entity[f"{kind}_id"]
        self._by_id[kind][entity_id] = entity
        if deleted:
            self._deleted.add(entity_id)
        if disabled:
            self._disabled.add(entity_id)
        if top_view:
            self._top_view.add(entity_id)
        if secondary_goal:
            self._secondary_goal.add(entity_id)

    def _add_library_item(self, kind: str, advertiser_id: str, item: dict[str, Any]) -> None:
        self._library[kind].setdefault(advertiser_id, []).append(item)
        if kind == "pixel":
            self._pixel_owner[item["pixel_id"]] = advertiser_id

    def _reach_and_frequency_ids(self) -> set[str]:
        step = self.spec.rf_every
        campaigns = {
            c["campaign_id"]
            for n, c in enumerate(self.campaigns, 1)
            if every(step, n) and c["campaign_id"] not in self._top_view
        }
        children = [
            e[f"{kind}_id"]
            for kind in ("adgroup", "ad")
            for e in getattr(self, f"{kind}s")
            if e["campaign_id"] in campaigns
        ]
        return campaigns | set(children)

    # --- lookups -----------------------------------------------------------------------------------

    def advertiser(self, advertiser_id: str) -> dict[str, Any]:
        return self._by_id["advertiser"][str(advertiser_id)]

    def has_advertiser(self, advertiser_id: str) -> bool:
        return str(advertiser_id) in self._by_id["advertiser"]

    def advertiser_info(self, advertiser_id: str, fields: Sequence[str] | None) -> dict[str, Any]:
        full = {**self.advertiser(advertiser_id), **self._adv_extra[str(advertiser_id)]}
        names = fields if fields else ADVERTISER_FIELDS
        return {f: full[f] for f in names}

    def account_profile(self, advertiser_id: str) -> AccountProfile:
        """The advertiser's zone, currency, country, money factor, audience countries and provinces."""
        return self._profile[advertiser_id]

    def entity(self, kind: str, entity_id: str) -> dict[str, Any]:
        return self._by_id[kind][str(entity_id)]

    def is_deleted(self, entity_id: str) -> bool:
        return entity_id in self._deleted

    def is_top_view(self, entity_id: str) -> bool:
        return entity_id in self._top_view

    def has_secondary_goal(self, adgroup_id: str) -> bool:
        return adgroup_id in self._secondary_goal

    def buying_type(self, entity_id: str) -> str:
        if entity_id in self._top_view:
            return TOP_VIEW
        return "RESERVATION_RF" if entity_id in self._rf else "AUCTION"

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

    # --- library -----------------------------------------------------------------------------------

    def library(self, kind: str, advertiser_id: str) -> list[dict[str, Any]]:
        """Copies of one advertiser's images, videos, music, portfolios, audiences, pixels or spark posts."""
        if kind not in LIBRARY_KINDS:
            raise ValueError(f"unknown library kind {kind!r}")
        return [dict(item) for item in self._library[kind].get(str(advertiser_id), [])]

    def pixel_owner(self, pixel_id: str) -> str | None:
        return self._pixel_owner.get(str(pixel_id))

    def pixel_event_stats(self, pixel_id: str, start: date, end: date) -> dict[str, Any]:
        """What pixel/event/stats/ reports for one pixel over UTC days start..end (inclusive)."""
        return pixel_event_stats(self.spec.seed, (self.start_date, self.end_date), pixel_id, start, end)

    # --- entity listing ----------------------------------------------------------------------------

    def select_entities(self, kind: str, advertiser_id: str, query: EntityQuery) -> list[dict[str, Any]]:
        """Entities a list endpoint returns for ``query``, in the endpoint's order."""
        if kind not in KINDS:
            raise ValueError(f"unknown entity kind {kind!r}")
        return select_entities(self, kind, advertiser_id, query)

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

    # --- reports -----------------------------------------------------------------------------------

    def aggregate(self, q: ReportQuery) -> list[AggregatedRow]:
        """Summed counters per result row key ``(entity_id, time, breakdown values)``, sorted."""
        return self._aggregation.aggregate(q)

    def build_rows(
        self, q: ReportQuery, aggregated: list[AggregatedRow], metrics: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        return self._report_rows.build(q, aggregated, metrics)

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

    def _report_days(
        self, start_date: date | str | None, end_date: date | str | None, lifetime: bool
    ) -> tuple[date, ...]:
        if lifetime:
            return self.days
        start = _as_date(start_date)
        end = _as_date(end_date)
        return tuple(start + timedelta(days=i) for i in range((end - start).days + 1))


def _as_date(value: date | str | None) -> date:
    if isinstance(value, date):
        return value
    if value is None:
        raise ValueError("a date is required unless lifetime=True")
    return date.fromisoformat(value)
