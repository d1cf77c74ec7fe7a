"""Custom audiences (`dmp/custom_audience/list/`), a full refresh per advertiser. Production only:
the sandbox has no audience endpoints."""

from __future__ import annotations

from .base import SyncContext
from .entities import AdvertiserObjectStream, EntityKind

# Documented range for page_size is 1-100.
AUDIENCE_PAGE_SIZE = 100

AUDIENCES = EntityKind(
    "audiences",
    "dmp/custom_audience/list/",
    "audience_id",
    # Their format is not documented [?]; both TikTok styles are normalised, anything else passes as is.
    ("create_time", "expired_time"),
    page_size=AUDIENCE_PAGE_SIZE,
)


def audience_streams(context: SyncContext) -> list[AdvertiserObjectStream]:
    return [AdvertiserObjectStream(context, AUDIENCES)]
