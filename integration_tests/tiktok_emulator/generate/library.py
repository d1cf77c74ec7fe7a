"""The creative library, audiences, pixels and Spark Ads posts: a few per advertiser, all seeded."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from ..seeding import seeded_hash
from .audiences import build_audience
from .creatives import build_image, build_music, build_portfolio, build_video
from .pixels import build_pixel
from .spark_posts import build_spark_post

if TYPE_CHECKING:
    from ..dataset import Dataset

LIBRARY_KINDS = ("image", "video", "music", "portfolio", "audience", "pixel", "spark")


class LibraryIds:
    """Ids and moments of library objects: numbered per kind across the dataset, seeded."""

    def __init__(self, seed: int, range_start: datetime, days: int) -> None:
        self.seed = seed
        self.range_start = range_start
        self.span = max(1, days * 86400 - 1)
        self.counts = dict.fromkeys((*LIBRARY_KINDS, "material"), 0)

    def next_id(self, kind: str, digit: int) -> str:
        # A leading 6 keeps these apart from the ads-management ids, which start with 7.
        self.counts[kind] += 1
        return f"6{digit}{self.seed % 100000:05d}{self.counts[kind]:012d}"

    def moment(self, key: str, before_days: int = 0) -> datetime:
        # Creation before the data range, last change inside it: incremental syncs have work to do.
        h = seeded_hash(self.seed, key)
        return self.range_start + timedelta(seconds=h % self.span) - timedelta(days=before_days)


def build_library(ds: Dataset) -> None:
    """Every advertiser's library objects, in the order the list endpoints return them."""
    spec = ds.spec
    ids = LibraryIds(spec.seed, datetime.combine(ds.start_date, time()), spec.days)
    for a, adv in enumerate(ds.advertisers):
        items = [
            *(("image", build_image(spec, ids, a, n)) for n in range(spec.images_per_advertiser)),
            *(("video", build_video(spec, ids, a, n)) for n in range(spec.videos_per_advertiser)),
            *(("music", build_music(ids, a, n)) for n in range(spec.music_per_advertiser)),
            *(("portfolio", build_portfolio(ids, n)) for n in range(spec.portfolios_per_advertiser)),
            *(("audience", build_audience(ids, a, n)) for n in range(spec.audiences_per_advertiser)),
            *(("pixel", build_pixel(ids, a, n)) for n in range(spec.pixels_per_advertiser)),
            *(("spark", build_spark_post(ids, a, n)) for n in range(spec.spark_posts_per_advertiser)),
        ]
        for kind, item in items:
            ds._add_library_item(kind, adv["advertiser_id"], item)
