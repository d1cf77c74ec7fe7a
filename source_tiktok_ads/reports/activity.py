"""Which days each advertiser delivered on, so that finer reports do not ask about the other days.

Per 30 days and advertiser, shared by every stream of the run:
- an advertiser-level daily BASIC query for spend, impressions and clicks: the whole account, deleted
  and reservation (TopView, Reach & Frequency) campaigns included; conversions and results are
  attributed to the day of the impression or click, so their days are among these;
- a campaign-level one (deleted campaigns included) for the `real_time_*` conversion metrics, which
  land on the day of the conversion itself, so that a day whose only event is a late conversion still
  shows. Whether the advertiser level accepts them is not documented [?], and where it is not known the
  campaign level is asked, which is known to answer them; reservation campaigns are asked for by buying
  type, as their report rows are (see `ReportStream.request_slices`).

A day with no row, or rows of zeros only, had no delivery: every report of the account, at any level
and with any breakdown, sums to these rows, so it has no row with anything in it on that day either.
What is not known is never skipped: an advertiser whose activity query fails keeps every day of the
window it failed for, with one warning.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import date, timedelta
from typing import Any

from ..advertisers import AdvertiserDirectory
from ..api.client import TikTokApi
from ..cancel import CANCEL
from ..config import DataLevel, ReportType
from ..streams.base import last_page_of
from .windows import MAX_DAYS_DAILY, windows

ACTIVITY_PATH = "report/integrated/get/"
ACCOUNT_METRICS = ("spend", "impressions", "clicks", "real_time_app_install")
LATE_CONVERSION_METRICS = ("real_time_conversion", "real_time_result")
BUYING_TYPE_FILTERS = {
    "top_view": '["RESERVATION_TOP_VIEW"]',
    "reach_frequency": '["RESERVATION_RF"]',
}

Span = tuple[date, date]
# How often the planning thread looks whether the run was cancelled while the queries run.
CANCEL_POLL_SECONDS = 0.1


def activity_queries(
    advertiser_id: str, window: Span, buying_types: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """The queries that tell one window's days with delivery: the account's own, and the campaigns' late
    conversions (auction, then each reservation buying type the advertiser has)."""
    common = {
        "advertiser_id": advertiser_id,
        "service_type": "AUCTION",
        "report_type": ReportType.BASIC.value,
        "start_date": window[0].isoformat(),
        "end_date": window[1].isoformat(),
        "page_size": 1000,
    }
    account = {
        **common,
        "data_level": DataLevel.AUCTION_ADVERTISER.value,
        "dimensions": ["advertiser_id", "stat_time_day"],
        "metrics": list(ACCOUNT_METRICS),
    }
    deleted_too = {"field_name": "campaign_status", "filter_type": "IN", "filter_value": '["STATUS_ALL"]'}
    campaigns = {
        **common,
        "data_level": DataLevel.AUCTION_CAMPAIGN.value,
        "dimensions": ["campaign_id", "stat_time_day"],
        "metrics": list(LATE_CONVERSION_METRICS),
        "filtering": [deleted_too],
    }
    reservations = [
        {
            **campaigns,
            "filtering": [
                deleted_too,
                {"field_name": "buying_type", "filter_type": "IN", "filter_value": BUYING_TYPE_FILTERS[kind]},
            ],
        }
        for kind in buying_types
    ]
    return [account, campaigns, *reservations]


def is_active(metrics: Mapping[str, Any]) -> bool:
    """Whether any metric of a row is a non-zero number (TikTok sends strings, and `-` for none)."""
    for value in metrics.values():
        try:
            if float(value) != 0:
                return True
        except (TypeError, ValueError):
            continue
    return False


def gaps(span: Span, covered: list[Span]) -> list[Span]:
    """The parts of `span` that no covered span includes, in date order."""
    start, end = span
    result: list[Span] = []
    for covered_start, covered_end in sorted(covered):
        if covered_end < start or covered_start > end:
            continue
        if covered_start > start:
            result.append((start, covered_start - timedelta(days=1)))
        start = max(start, covered_end + timedelta(days=1))
        if start > end:
            return result
    if start <= end:
        result.append((start, end))
    return result


class DeliveryDays:
    """Per advertiser, the local days it delivered on, asked once per day and run."""

    def __init__(
        self, api: TikTokApi, directory: AdvertiserDirectory, logger: logging.Logger, workers: int
    ) -> None:
        self._api = api
        self._directory = directory
        self._logger = logger
        self._workers = workers
        self._lock = threading.Lock()
        self._covered: dict[str, list[Span]] = {}
        self._active: dict[str, set[date]] = {}
        self._warned: set[str] = set()
        self.requests = 0

    def prepare(self, wanted: Mapping[str, Span]) -> None:
        """Ask, in parallel, about every day of `wanted` (advertiser -> span) not asked about yet."""
        jobs = [
            (advertiser_id, window)
            for advertiser_id, span in wanted.items()
            for gap in gaps(span, self._covered.get(advertiser_id, []))
            for window in windows(gap[0], gap[1], MAX_DAYS_DAILY)
        ]
        if not jobs:
            return
        pool = ThreadPoolExecutor(max_workers=max(1, min(self._workers, len(jobs))))
        try:
            futures = [pool.submit(self._ask, *job) for job in jobs]
            pending = set(futures)
            # A cancelled run stops waiting at once: its answers would never be read.
            while pending:
                CANCEL.check()
                _, pending = wait(pending, timeout=CANCEL_POLL_SECONDS)
            for future in futures:
                future.result()
        finally:
            pool.shutdown(wait=not CANCEL.cancelled, cancel_futures=True)

    def quiet_days(self, advertiser_id: str, span: Span) -> set[date]:
        """The days of `span` known to have had no delivery (days not asked about are not among them)."""
        with self._lock:
            active = self._active.get(advertiser_id, set())
            covered = list(self._covered.get(advertiser_id, []))
        quiet: set[date] = set()
        for covered_start, covered_end in covered:
            day = max(covered_start, span[0])
            while day <= min(covered_end, span[1]):
                if day not in active:
                    quiet.add(day)
                day += timedelta(days=1)
        return quiet

    def _ask(self, advertiser_id: str, window: Span) -> None:
        active: set[date] = set()
        try:
            for query in activity_queries(advertiser_id, window, self._buying_types(advertiser_id)):
                active |= self._days_with_delivery(query)
        except Exception as error:  # whatever it is, those days are read in full
            self._warn(advertiser_id, window, error)
            return
        with self._lock:
            self._active.setdefault(advertiser_id, set()).update(active)
            self._covered.setdefault(advertiser_id, []).append(window)

    def _buying_types(self, advertiser_id: str) -> tuple[str, ...]:
        directory = self._directory
        kinds = (("top_view", directory.has_topview), ("reach_frequency", directory.has_reach_frequency))
        return tuple(kind for kind, has in kinds if has(advertiser_id))

    def _days_with_delivery(self, query: dict[str, Any]) -> set[date]:
        days: set[date] = set()
        page = 1
        while True:
            with self._lock:
                self.requests += 1
            data = self._api.get(ACTIVITY_PATH, {**query, "page": page}).data
            rows = data.get("list") or []
            for row in rows:
                day = (row.get("dimensions") or {}).get("stat_time_day")
                if day and is_active(row.get("metrics") or {}):
                    days.add(date.fromisoformat(str(day)[:10]))
            if not rows or page >= last_page_of(data):
                return days
            page += 1

    def _warn(self, advertiser_id: str, window: Span, error: Exception) -> None:
        with self._lock:
            first = advertiser_id not in self._warned
            self._warned.add(advertiser_id)
        if first:
            reason = getattr(error, "message", None) or type(error).__name__
            self._logger.warning(
                f"Advertiser {advertiser_id}: could not ask which days it delivered on "
                f"({window[0].isoformat()}..{window[1].isoformat()}: {reason}); its reports read every day "
                "of the days not known."
            )
