"""Creative library assets: images, videos, music and creative portfolios."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ..seeding import every, iso, seeded_hash, ts

if TYPE_CHECKING:
    from ..dataset import DatasetSpec
    from .library import LibraryIds


def build_image(spec: DatasetSpec, ids: LibraryIds, a: int, n: int) -> dict[str, Any]:
    """The n-th image of advertiser a; every `fresh_asset_every`-th has no timestamps yet."""
    seed = ids.seed
    image_id = f"ad-site-i18n-sg/{ids.next_id('image', 4)}"
    item = {
        "image_id": image_id,
        "material_id": ids.next_id("material", 5),
        "format": "jpeg" if n % 2 else "png",
        "image_url": f"https://example.com/img/{a}/{n}.jpg",
        "width": 720 + 360 * (n % 3),
        "height": 1280,
        "size": 50000 + seeded_hash(seed, image_id) % 400000,
        "signature": f"{seeded_hash(seed, image_id, 'sig'):032x}"[:32],
        "file_name": f"image_{a + 1}_{n + 1}.jpg",
        "is_carousel_usable": n % 2 == 0,
        "displayable": True,
        "create_time": iso(ids.moment(image_id, before_days=60)),
        "modify_time": iso(ids.moment(image_id + ":m")),
    }
    if every(spec.fresh_asset_every, ids.counts["image"]):
        del item["create_time"], item["modify_time"]
    return item


def build_video(spec: DatasetSpec, ids: LibraryIds, a: int, n: int) -> dict[str, Any]:
    """The n-th video of advertiser a; every `fresh_asset_every`-th has no timestamps yet."""
    seed = ids.seed
    video_id = f"v10033g50000{ids.next_id('video', 6)[-12:]}"
    item = {
        "video_id": video_id,
        "material_id": ids.next_id("material", 5),
        "video_cover_url": f"https://example.com/cover/{video_id}.jpg",
        "preview_url": f"https://example.com/preview/{video_id}.mp4",
        "preview_url_expire_time": ts(ids.range_start + timedelta(days=spec.days + 1)),
        "format": "mp4",
        "duration": round(5 + (seeded_hash(seed, video_id) % 5500) / 100, 2),
        "width": 720,
        "height": 1280,
        "bit_rate": 1000000 + seeded_hash(seed, video_id, "br") % 4000000,
        "size": 1000000 + seeded_hash(seed, video_id, "size") % 9000000,
        "signature": f"{seeded_hash(seed, video_id, 'sig'):032x}"[:32],
        "file_name": f"video_{a + 1}_{n + 1}.mp4",
        "allowed_placements": ["PLACEMENT_TIKTOK", "PLACEMENT_PANGLE"],
        "allow_download": n % 2 == 0,
        "displayable": True,
        "create_time": iso(ids.moment(video_id, before_days=60)),
        "modify_time": iso(ids.moment(video_id + ":m")),
    }
    if every(spec.fresh_asset_every, ids.counts["video"]):
        del item["create_time"], item["modify_time"]
    return item


def build_music(ids: LibraryIds, a: int, n: int) -> dict[str, Any]:
    music_id = ids.next_id("music", 7)
    return {
        "music_id": music_id,
        "material_id": ids.next_id("material", 5),
        "sources": ["CUSTOM"],
        "author": f"Artist {n + 1}",
        "liked": n % 2 == 0,
        "cover_url": f"https://example.com/music/{music_id}.jpg",
        "url": f"https://example.com/music/{music_id}.mp3",
        "duration": float(30 + n * 15),
        "style": "POP",
        "signature": f"{seeded_hash(ids.seed, music_id):032x}"[:32],
        "name": f"Track {a + 1}.{n + 1}",
        "file_name": f"track_{a + 1}_{n + 1}.mp3",
        "copyright": "ROYALTY_FREE",
        "create_time": iso(ids.moment(music_id, before_days=30)),
        "modify_time": iso(ids.moment(music_id + ":m")),
    }


def build_portfolio(ids: LibraryIds, n: int) -> dict[str, Any]:
    portfolio_id = ids.next_id("portfolio", 8)
    return {
        "creative_portfolio_id": portfolio_id,
        "creative_portfolio_type": ("CTA", "CARD", "GIFT_CODE")[n % 3],
        "creative_portfolio_preview_url": f"https://example.com/portfolio/{portfolio_id}",
    }
