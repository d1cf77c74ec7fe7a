"""Fault injection plan for the emulator.

Every ``*_every`` counter is evaluated against the number of API requests served since the plan
was installed (1-based), so a test that swaps the plan knows exactly which request fails.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .report_cut import COUNT_AFTER_CUT, COUNT_MODES, TIKTOK_CUT_SIZE

HTTP_ERROR_STATUSES = (500, 502, 503, 504)
HTTP_ERROR_BODIES = ("json", "html", "empty")


@dataclass
class FaultPlan:
    rate_limit_every: int = 0
    qps_cap: int = 0
    # GMV Max reports' own per-app bucket (requests per second), on top of `qps_cap`.
    gmv_max_qps_cap: int = 0
    advertiser_qps_cap: int = 0
    http_error_every: int = 0
    http_error_status: int = 500
    http_error_body: str = "json"
    code_every: int = 0
    code: int = 50000
    truncated_every: int = 0
    not_object_every: int = 0
    missing_data_every: int = 0
    latency_ms: int = 0
    spike_every: int = 0
    spike_ms: int = 0
    revoke_after: int = 0
    deny: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    query_too_large_rows: int = 0
    # Every Nth request: headers and half the body are sent, then the socket is reset (RST).
    reset_every: int = 0
    # Rows created while a client pages through a listing. TikTok pages by offset and lists newest first,
    # so a row created after page 1 was served lands ahead of the client's offset: page p is served as if
    # this many rows had been inserted at the head per page already served. `total_number` grows, and the
    # last rows of page p-1 come again at the top of page p. The inserted rows themselves sit on pages the
    # client has already read, so this read never sees them (the next one would). Must be < page_size.
    rows_inserted_per_page: int = 0
    # Objects deleted while a client pages through a listing of campaigns, ad groups or ads: just before
    # page 2 is served, this many of the objects page 1 served are deleted, so the later ones move up and
    # offset paging never serves the first ones of page 2 to that client (`total_number` drops too). The
    # first `listings_with_deletions` listings to reach page 2 see it; the deleted objects stay deleted
    # (left out of listings that leave deleted objects out) while the plan is installed.
    rows_deleted_between_pages: int = 0
    listings_with_deletions: int = 1
    # When set, the per-request faults above (latency, spikes, HTTP errors, resets, codes, broken bodies)
    # hit only these paths, e.g. one endpoint that is down. Token revocation, QPS caps, `deny`, 40067
    # and inserted or deleted rows are not per-request faults and apply everywhere regardless.
    only_paths: frozenset[str] = field(default_factory=frozenset)
    # Persistent refusals of one part of a sync, each answered as TikTok answers it:
    # (advertiser, path, day): 40001 on every request of that advertiser to that path whose date range
    # holds the day, as while the advertiser's permission was revoked for the requests of that window.
    deny_days: frozenset[tuple[str, str, str]] = field(default_factory=frozenset)
    # (advertiser, metric): 40002 "Invalid metric fields" on any report/integrated/get/ request of that
    # advertiser asking for the metric, as TikTok refuses metrics an account's type does not offer.
    refuse_metrics: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    # (advertiser, store_id): a store whose authorization to the ad account is suspended (the shop
    # unbound it, or the authorization lapsed): `gmv_max/store/list/` leaves it out and GMV Max reports
    # on it are refused as for any store not authorized to the advertiser. Once restored, the store is
    # listed again, with its report history.
    unlisted_stores: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    # Paths answered with HTTP 404 (an endpoint not deployed in a region, or retired).
    not_found_paths: frozenset[str] = field(default_factory=frozenset)
    # Not a fault but TikTok's own rule, switchable for tests (see `report_cut`): a synchronous report
    # spanning more ids than this keeps the newest-created ones' rows (0: no cut); whether
    # `total_number` counts rows before or after the cut; whether the `X-Tt-Ads-Throttle` header says so.
    # The app's daily quota: requests past this many since the plan was installed (as if within one UTC
    # day) are answered 40100; with `daily_quota_says_daily` the message names the daily limit, else it
    # is the per-second limit's message (TikTok's daily wording is not documented [?]).
    daily_quota: int = 0
    daily_quota_says_daily: bool = True
    # TikTok in maintenance: every request in the first this many seconds after the plan was installed
    # is answered 60001.
    maintenance_seconds: float = 0
    # TikTok computing a large synchronous report slower than the client waits: a report/integrated/get/
    # request spanning more than `slow_report_days` days, or whose rows are about more than
    # `slow_report_ids` ids (0: either rule off), is answered after `slow_report_ms`.
    slow_report_days: int = 0
    slow_report_ids: int = 0
    slow_report_ms: int = 0
    report_cut_ids: int = TIKTOK_CUT_SIZE
    cut_total_counts: str = COUNT_AFTER_CUT
    cut_header: bool = True

    def __post_init__(self) -> None:
        if self.http_error_status not in HTTP_ERROR_STATUSES:
            raise ValueError(f"http_error_status must be one of {HTTP_ERROR_STATUSES}")
        if self.http_error_body not in HTTP_ERROR_BODIES:
            raise ValueError(f"http_error_body must be one of {HTTP_ERROR_BODIES}")
        if self.cut_total_counts not in COUNT_MODES:
            raise ValueError(f"cut_total_counts must be one of {COUNT_MODES}")
        # Paths are compared without the leading slash so "/ad/get/" and "ad/get/" both work.
        self.deny = frozenset((str(adv), str(path).lstrip("/")) for adv, path in self.deny)
        self.only_paths = frozenset(str(path).lstrip("/") for path in self.only_paths)
        self.deny_days = frozenset(
            (str(adv), str(path).lstrip("/"), str(day)) for adv, path, day in self.deny_days
        )
        self.refuse_metrics = frozenset((str(adv), str(metric)) for adv, metric in self.refuse_metrics)
        self.not_found_paths = frozenset(str(path).lstrip("/") for path in self.not_found_paths)
        self.unlisted_stores = frozenset((str(adv), str(store)) for adv, store in self.unlisted_stores)

    def applies_to(self, path: str) -> bool:
        """Whether the per-request faults hit a request to ``path``."""
        return not self.only_paths or path.lstrip("/") in self.only_paths

    def is_denied(self, advertiser_id: str, path: str) -> bool:
        return (advertiser_id, path.lstrip("/")) in self.deny

    def denies_days(self, advertiser_id: str, path: str, days: Iterable[str]) -> bool:
        path = path.lstrip("/")
        return any((advertiser_id, path, day) in self.deny_days for day in days)

    def slow_report(self, days: int, ids: int) -> float:
        """Seconds a report over `days` days and `ids` ids takes to compute (0: no slower than usual)."""
        too_big = (self.slow_report_days and days > self.slow_report_days) or (
            self.slow_report_ids and ids > self.slow_report_ids
        )
        return self.slow_report_ms / 1000 if too_big else 0.0

    def refused_metrics(self, advertiser_id: str, metrics: Iterable[str]) -> list[str]:
        return [metric for metric in metrics if (advertiser_id, metric) in self.refuse_metrics]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultPlan:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        values = dict(data)
        for name in ("deny", "deny_days", "refuse_metrics", "unlisted_stores"):
            if name in values:
                values[name] = frozenset(tuple(entry) for entry in values[name])
        for name in ("only_paths", "not_found_paths"):
            if name in values:
                values[name] = frozenset(values[name])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for name in ("deny", "deny_days", "refuse_metrics", "unlisted_stores"):
            data[name] = sorted([list(entry) for entry in getattr(self, name)])
        for name in ("only_paths", "not_found_paths"):
            data[name] = sorted(getattr(self, name))
        return data


def hits(every: int, n: int) -> bool:
    """True when request number ``n`` (1-based) is one of every ``every``-th requests."""
    return every > 0 and n % every == 0
