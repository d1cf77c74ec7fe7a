"""Per-ad delivery: seeded counters for each local day, spread over its hours, in the ad's time zone."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np

from . import catalog
from .catalog import N_COUNTERS, Counters
from .seeding import seeded_hash

if TYPE_CHECKING:
    from .dataset import DatasetSpec
    from .generate.accounts import AccountProfile

_MISSING = object()
_INT64_MAX = 2**63 - 1


class Delivery:
    """The delivery counters of every ad, computed on first use and kept."""

    def __init__(
        self, spec: DatasetSpec, profiles: dict[str, AccountProfile], secondary_goal: set[str]
    ) -> None:
        self.spec = spec
        # Shared with the dataset, which fills them while it generates its objects.
        self._profiles = profiles
        self._secondary_goal = secondary_goal
        self._totals: dict[tuple[str, date], np.ndarray | None] = {}

    def hours_begun(self, advertiser_id: str, day: date) -> int:
        """How many of the local day's hours have begun in the advertiser's time zone (0 to 24)."""
        now = self.spec.now or datetime.now(UTC)
        if day < now.date() - timedelta(days=1):  # over in every time zone: the common case, made cheap
            return 24
        local = now.astimezone(ZoneInfo(self._profiles[advertiser_id][0]))
        if day != local.date():
            return 24 if day < local.date() else 0
        return local.hour + 1

    def ad_total(self, ad: dict[str, Any], day: date) -> np.ndarray | None:
        """Counters of one ad for one local day so far (read-only), or None when it did not deliver."""
        begun = self.hours_begun(ad["advertiser_id"], day)
        if begun == 24:
            return self.ad_day_total(ad, day)
        hours = self.ad_hours(ad, day) if begun else None
        if hours is None or not hours.any():
            return None
        return hours.sum(axis=0)

    def ad_day_total(self, ad: dict[str, Any], day: date) -> np.ndarray | None:
        """Counters of one ad for one whole local day (read-only), or None when it did not deliver."""
        key = (ad["ad_id"], day)
        cached = self._totals.get(key, _MISSING)
        if cached is _MISSING:
            cached = None
            if not self.spec.start_date <= day <= self.spec.end_date:
                pass
            elif not self.account_delivers(ad["advertiser_id"], day):
                cached = self._late_conversion(ad, day)
            else:
                seed = self.spec.seed
                ad_id = ad["ad_id"]
                # Roughly one day in seven has no delivery at all for a given ad.
                if seeded_hash(seed, ad_id, day, "day") % 100 >= 15:
                    factor = self._profiles[ad["advertiser_id"]][4]
                    intensity = 0.3 + (seeded_hash(seed, ad_id, "intensity") % 1700) / 1000
                    has_sg = ad["adgroup_id"] in self._secondary_goal
                    rng = random.Random(seeded_hash(seed, ad_id, day))
                    cached = np.array(day_counters(rng, intensity, factor, has_sg), dtype=np.int64)
                    cached.flags.writeable = False
            self._totals[key] = cached
        return cached

    def account_delivers(self, advertiser_id: str, day: date) -> bool:
        """Whether the advertiser has any delivery on the day (see `DatasetSpec.delivery_day_percent`)."""
        percent = self.spec.delivery_day_percent
        return percent >= 100 or seeded_hash(self.spec.seed, advertiser_id, day, "account") % 100 < percent

    def _late_conversion(self, ad: dict[str, Any], day: date) -> np.ndarray | None:
        """On an idle account day, every `late_conversion_every`-th one: a conversion of one of its ads'
        earlier clicks, which only the real_time_* metrics count on this day."""
        step = self.spec.late_conversion_every
        seed, advertiser_id = self.spec.seed, ad["advertiser_id"]
        if not step or seeded_hash(seed, advertiser_id, day, "late") % step:
            return None
        if seeded_hash(seed, ad["ad_id"], day, "late") % 4:  # about one ad in four has one that day
            return None
        counters = np.zeros(len(catalog.COUNTERS), dtype=np.int64)
        for name in ("real_time_conversion", "real_time_result"):
            counters[catalog.COUNTERS.index(name)] = 1
        counters.flags.writeable = False
        return counters

    def ad_hours(self, ad: dict[str, Any], day: date) -> np.ndarray | None:
        """The day's counters spread over 24 local hours (24 rows that add up to the day so far: hours that
        have not begun in the advertiser's zone are empty)."""
        total = self.ad_day_total(ad, day)
        if total is None:
            return None
        seed, ad_id = self.spec.seed, ad["ad_id"]
        weights = []
        for hour in range(24):
            h = seeded_hash(seed, ad_id, day, hour)
            # Night hours are often empty, so hourly reports have gaps.
            idle = h % 100 < (65 if hour < 6 else 10)
            weights.append(0 if idle else 1 + (h >> 8) % 100)
        if not any(weights):
            weights[12] = 1
        hours = split_ints(total[None, :], np.array([weights], dtype=np.int64))
        begun = self.hours_begun(ad["advertiser_id"], day)
        if begun < 24:
            hours = hours.copy()
            hours[begun:] = 0
        return hours


def split_ints(parts: np.ndarray, weights: np.ndarray) -> np.ndarray:
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


# The counters of one ad-day, drawn from one seeded generator. The families below draw in a fixed
# order (the order of their calls in `day_counters`), so the same seed always gives the same numbers.


def day_counters(rng: random.Random, intensity: float, factor: int, has_sg: bool) -> Counters:
    base = _base_counts(rng, intensity, factor)
    values = _delivery_values(rng, base, has_sg)
    values.update(_video_values(rng, base))
    values.update(_engagement_values(rng, base))
    values.update(_conversion_values(rng, base, factor))
    out = [values[name] for name in catalog.COUNTERS]
    assert len(out) == N_COUNTERS
    return out


def _base_counts(rng: random.Random, intensity: float, factor: int) -> dict[str, int]:
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
    return {
        "imp": imp,
        "clicks": clicks,
        "spend": spend,
        "voucher": voucher,
        "conversion": conversion,
        "vpa": vpa,
        "w2": w2,
        "p25": p25,
        "p50": p50,
        "p75": p75,
        "engaged": engaged,
        "likes": likes,
        "comments": comments,
        "shares": shares,
        "follows": follows,
        "profile_visits": profile_visits,
        "install": install,
        "purchase": purchase,
        "payment": payment,
    }


def _delivery_values(rng: random.Random, b: dict[str, int], has_sg: bool) -> dict[str, int]:
    r = rng.random
    imp, clicks, spend, conversion = b["imp"], b["clicks"], b["spend"], b["conversion"]
    return {
        "impressions": imp,
        "gross_impressions": imp + int(imp * 0.05 * r()),
        "clicks": clicks,
        # Reach is not additive in reality; the emulator sums it like the other counters.
        "reach": max(1, int(imp * (0.6 + 0.35 * r()))),
        "spend": spend,
        "billed_cost": spend,
        "cash_spend": spend - b["voucher"],
        "voucher_spend": b["voucher"],
        "conversion": conversion,
        "real_time_conversion": int(conversion * (0.8 + 0.2 * r())),
        "result": int(clicks * (0.3 + 0.6 * r())),
        "real_time_result": int(clicks * (0.25 + 0.5 * r())),
        "secondary_goal_result": int(conversion * 0.5 * r()) if has_sg else 0,
    }


def _video_values(rng: random.Random, b: dict[str, int]) -> dict[str, int]:
    r = rng.random
    vpa, w2, p75, engaged = b["vpa"], b["w2"], b["p75"], b["engaged"]
    return {
        "video_play_actions": vpa,
        "video_watched_2s": w2,
        "video_watched_6s": int(w2 * (0.4 + 0.3 * r())),
        "video_views_p25": b["p25"],
        "video_views_p50": b["p50"],
        "video_views_p75": p75,
        "video_views_p100": int(p75 * (0.5 + 0.3 * r())),
        "play_ms": vpa * rng.randint(2000, 9000),
        "engaged_view": engaged,
        "paid_engaged_view": int(engaged * 0.8),
        "paid_engagement_engaged_view": int(engaged * 0.1),
        "engaged_view_15s": int(engaged * 0.6),
        "paid_engaged_view_15s": int(engaged * 0.5),
        "paid_engagement_engaged_view_15s": int(engaged * 0.05),
    }


def _engagement_values(rng: random.Random, b: dict[str, int]) -> dict[str, int]:
    r = rng.random
    imp = b["imp"]
    return {
        "engagements": b["clicks"]
        + b["likes"]
        + b["comments"]
        + b["shares"]
        + b["follows"]
        + b["profile_visits"],
        "clicks_on_music_disc": int(imp * 0.001 * r()),
        "duet_clicks": int(imp * 0.0005 * r()),
        "stitch_clicks": int(imp * 0.0005 * r()),
        "sound_usage_clicks": int(imp * 0.0005 * r()),
        "anchor_clicks": int(imp * 0.001 * r()),
        "clicks_on_hashtag_challenge": int(imp * 0.0005 * r()),
        "follows": b["follows"],
        "likes": b["likes"],
        "comments": b["comments"],
        "shares": b["shares"],
        "profile_visits": b["profile_visits"],
    }


def _conversion_values(rng: random.Random, b: dict[str, int], factor: int) -> dict[str, int]:
    r = rng.random
    clicks, conversion, install, purchase, payment = (
        b["clicks"],
        b["conversion"],
        b["install"],
        b["purchase"],
        b["payment"],
    )
    return {
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
