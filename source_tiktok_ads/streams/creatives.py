"""Creative library: images and videos (incremental on `modify_time`), music and portfolios (full refresh).

Asset timestamps arrive as ISO 8601 UTC and may be missing on freshly uploaded assets; such assets
are still emitted (see `EntityStream`).
"""

from __future__ import annotations

from .base import SyncContext, TikTokStream
from .entities import AdvertiserObjectStream, EntityKind, EntityStream

# The official SDK caps videos at 100 per page (another SDK says 1000); 100 is what every connector
# sends for both libraries and is accepted under either reading.
ASSET_PAGE_SIZE = 100
ASSET_TIMESTAMPS = ("create_time", "modify_time")

IMAGES = EntityKind(
    "creative_assets_images", "file/image/ad/search/", "image_id", ASSET_TIMESTAMPS, page_size=ASSET_PAGE_SIZE
)
VIDEOS = EntityKind(
    "creative_assets_videos", "file/video/ad/search/", "video_id", ASSET_TIMESTAMPS, page_size=ASSET_PAGE_SIZE
)
# No page cap is documented for these two [?]; 100 is what Airbyte sends and is the cap of the
# neighbouring asset endpoints.
MUSIC = EntityKind(
    "creative_assets_music",
    "file/music/get/",
    "music_id",
    ASSET_TIMESTAMPS,
    records_field="musics",
    page_size=ASSET_PAGE_SIZE,
)
PORTFOLIOS = EntityKind(
    "creative_assets_portfolios",
    "creative/portfolio/list/",
    "creative_portfolio_id",
    records_field="creative_portfolios",
    page_size=ASSET_PAGE_SIZE,
)


def creative_streams(context: SyncContext) -> list[TikTokStream]:
    return [
        EntityStream(context, IMAGES),
        EntityStream(context, VIDEOS),
        AdvertiserObjectStream(context, MUSIC),
        AdvertiserObjectStream(context, PORTFOLIOS),
    ]
