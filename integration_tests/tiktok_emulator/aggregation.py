"""Report aggregation: the ads' delivery summed per result row (entity, time, breakdown values).

Audience breakdowns split each unit of delivery (an ad-hour or an ad-day) one dimension at a time, so a
coarser breakdown (gender) is exactly the marginal of a finer one (gender x age), and every split sums
back to the unsplit counters.
"""

from __future__ import annotations

import itertools
import operator
import random
import threading
from array import array
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import numpy as np

from . import catalog
from .buying_types import TOP_VIEW
from .catalog import ADVERTISER, LEVEL_RANK, Counters
from .delivery import split_ints
from .seeding import seeded_hash

if TYPE_CHECKING:
    from datetime import date

    from .dataset import Dataset, ReportQuery

# Split weights kept for units that reports ask about again (a few hundred bytes each).
_WEIGHTS_CACHE_SIZE = 200_000
# Aggregated results kept: a connector pages through the same query.
_RESULTS_CACHE_SIZE = 8

# One aggregated row: ((entity id, time key, breakdown values), summed counters, has a secondary goal).
AggregatedRow = tuple[tuple, Counters, bool]


class Aggregation:
    """Aggregates one dataset's delivery for report queries, with caches for repeated queries."""

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds
        self._weights_cache: dict[tuple, list[np.ndarray]] = {}
        self._results: OrderedDict[tuple, list[AggregatedRow]] = OrderedDict()
        self._lock = threading.Lock()

    def aggregate(self, q: ReportQuery) -> list[AggregatedRow]:
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
        with self._lock:
            hit = self._results.get(key)
            if hit is not None:
                self._results.move_to_end(key)
                return hit
        result = self._aggregate(q)
        with self._lock:
            self._results[key] = result
            while len(self._results) > _RESULTS_CACHE_SIZE:
                self._results.popitem(last=False)
        return result

    def _aggregate(self, q: ReportQuery) -> list[AggregatedRow]:
        rank = LEVEL_RANK[q.data_level]
        time_dim = next((d for d in q.dimensions if d in catalog.TIME_DIMENSIONS), None)
        breakdowns = tuple(d for d in catalog.AUDIENCE_DIMENSIONS if d in q.dimensions)
        # One matrix per (entity, time): a row per combination of breakdown values, a column per counter.
        acc: dict[tuple[str, str], np.ndarray] = {}
        owner: dict[str, str] = {}
        sg_keys: set[tuple[str, str]] = set()
        for ad in self.ds.ads:
            chain = (ad["advertiser_id"], ad["campaign_id"], ad["adgroup_id"], ad["ad_id"])
            entity_id = chain[rank]
            if not self._selected(chain, entity_id, q):
                continue
            owner[entity_id] = chain[0]
            has_sg = self.ds.has_secondary_goal(ad["adgroup_id"])
            for day in q.days:
                for key, block in self._ad_day_blocks(ad, day, entity_id, time_dim, breakdowns):
                    bucket = acc.get(key)
                    if bucket is None:
                        acc[key] = block.copy()
                    else:
                        bucket += block
                    if has_sg:
                        sg_keys.add(key)
        zero_keys = self._zero_rows(acc, owner, q, time_dim, breakdowns)
        return self._rows(acc, owner, sg_keys, breakdowns, zero_keys)

    def _zero_rows(
        self,
        acc: dict[tuple[str, str], np.ndarray],
        owner: dict[str, str],
        q: ReportQuery,
        time_dim: str | None,
        breakdowns: tuple[str, ...],
    ) -> set[tuple[str, str]]:
        """With `zero_rows_below_advertiser`: an all-zero bucket for every selected object on each day of
        the data range it did not deliver on (daily BASIC reports below advertiser level only)."""
        spec = self.ds.spec
        if not spec.zero_rows_below_advertiser or q.data_level == ADVERTISER:
            return set()
        if time_dim != "stat_time_day" or breakdowns or q.report_type != "BASIC":
            return set()
        keys = set()
        for entity_id in owner:
            for day in q.days:
                key = (entity_id, f"{day.isoformat()} 00:00:00")
                if spec.start_date <= day <= spec.end_date and key not in acc:
                    acc[key] = np.zeros((1, len(catalog.COUNTERS)), dtype=np.int64)
                    keys.add(key)
        return keys

    def _selected(self, chain: tuple[str, str, str, str], entity_id: str, q: ReportQuery) -> bool:
        """Whether the query reports this ad's delivery (``chain``: its advertiser, campaign, ad group, ad)."""
        if q.advertiser_id is not None and chain[0] != q.advertiser_id:
            return False
        if q.data_level != ADVERTISER:
            # The advertiser level always reports the whole account; other levels drop deleted
            # objects unless asked, and keep TopView delivery apart from auction delivery.
            deleted = self.ds.is_deleted(entity_id)
            if q.status == "STATUS_NOT_DELETE" and deleted:
                return False
            if q.status == "STATUS_DELETE" and not deleted:
                return False
            if not self._reported(entity_id, q):
                return False
        if q.campaign_ids is not None and chain[1] not in q.campaign_ids:
            return False
        if q.adgroup_ids is not None and chain[2] not in q.adgroup_ids:
            return False
        return q.ad_ids is None or chain[3] in q.ad_ids

    def _ad_day_blocks(
        self, ad: dict[str, Any], day: date, entity_id: str, time_dim: str | None, breakdowns: tuple[str, ...]
    ) -> list[tuple[tuple[str, str], np.ndarray]]:
        """One ad-day's counters per (entity, time key): a row per combination of breakdown values."""
        delivery = self.ds.delivery
        total = delivery.ad_total(ad, day)
        if total is None:
            return []
        # The units of delivery this ad-day is made of (hours, or the day), a row of counters each.
        if time_dim == "stat_time_hour":
            hours = delivery.ad_hours(ad, day)
            delivered_hours = np.flatnonzero(hours.any(axis=1)).tolist()
            if not delivered_hours:
                return []
            unit_keys = [(ad["ad_id"], day, hour) for hour in delivered_hours]
            time_keys = [f"{day.isoformat()} {hour:02d}:00:00" for hour in delivered_hours]
            counters = hours[delivered_hours]
        else:
            unit_keys = [(ad["ad_id"], day)]
            time_keys = [f"{day.isoformat()} 00:00:00" if time_dim == "stat_time_day" else ""]
            counters = total[None, :]
        adv_id = ad["advertiser_id"]
        parts = self._split(unit_keys, counters, breakdowns, adv_id) if breakdowns else counters
        per_unit = len(parts) // len(unit_keys)
        return [
            ((entity_id, time_key), parts[index * per_unit : (index + 1) * per_unit])
            for index, time_key in enumerate(time_keys)
        ]

    def _rows(
        self,
        acc: dict[tuple[str, str], np.ndarray],
        owner: dict[str, str],
        sg_keys: set[tuple[str, str]],
        breakdowns: tuple[str, ...],
        zero_keys: set[tuple[str, str]],
    ) -> list[AggregatedRow]:
        combos = {
            adv_id: list(itertools.product(*(self.ds.audience_values(adv_id, d) for d in breakdowns)))
            for adv_id in set(owner.values())
        }
        rows = []
        for (entity_id, time_key), matrix in acc.items():
            sg = (entity_id, time_key) in sg_keys
            zero_row = (entity_id, time_key) in zero_keys
            delivered = [zero_row or kept for kept in matrix.any(axis=1).tolist()]
            # Each row's counters as a compact array, straight from the matrix's bytes.
            raw = memoryview(matrix.tobytes())
            width = matrix.shape[1] * matrix.itemsize
            # A bucket where every counter is zero had no delivery and produces no row (unless listed).
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
        buying = self.ds.buying_type(entity_id)
        if q.buying_types is not None:
            return buying in q.buying_types
        if q.top_view:
            return buying == TOP_VIEW
        return buying == "AUCTION" or (buying == "RESERVATION_RF" and self.ds.spec.rf_in_unfiltered_reports)

    def _split(
        self, unit_keys: list[tuple], counters: np.ndarray, breakdowns: tuple[str, ...], adv_id: str
    ) -> np.ndarray:
        """Units' counters (a row each) split into a row per combination of breakdown values, unit by unit."""
        weights = [self._split_weights(unit_key, breakdowns, adv_id) for unit_key in unit_keys]
        parts = counters
        for dimension in range(len(breakdowns)):
            parts = split_ints(parts, np.concatenate([unit[dimension] for unit in weights]))
        return parts

    def _split_weights(self, unit_key: tuple, breakdowns: tuple[str, ...], adv_id: str) -> list[np.ndarray]:
        # Split one dimension at a time (see the module's docstring). Cached: each report level splits
        # the same units again.
        key = (unit_key, breakdowns)
        cached = self._weights_cache.get(key)
        if cached is not None:
            return cached
        prefixes: list[tuple[str, ...]] = [()]
        per_dimension = []
        for dim in breakdowns:
            values = self.ds.audience_values(adv_id, dim)
            matrix = []
            for prefix in prefixes:
                rng = random.Random(seeded_hash(self.ds.spec.seed, *unit_key, dim, *prefix))
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
