"""Spark Ads posts (`tt_video/list/`): a creator's authorized TikTok posts."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ..seeding import make_id, seeded_hash, ts

if TYPE_CHECKING:
    from .library import LibraryIds


def build_spark_post(ids: LibraryIds, a: int, n: int) -> dict[str, Any]:
    seed, range_start = ids.seed, ids.range_start
    item_id = ids.next_id("spark", 1)
    return {
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
            "signature": f"{seeded_hash(seed, item_id):032x}"[:32],
        },
        "user_info": {
            "identity_id": make_id(8, seed, a + 1),
            "tiktok_name": f"creator{a + 1}",
            "profile_image": "https://example.com/u.png",
        },
        "auth_info": {
            "ad_auth_status": "AUTHORIZED",
            "auth_start_time": ts(range_start - timedelta(days=10)),
            "auth_end_time": ts(range_start + timedelta(days=365)),
            "invite_start_time": ts(range_start - timedelta(days=11)),
        },
    }
