"""Per-advertiser object listings, one table row per object type: campaigns, ad groups, ads here, and
the same machinery for creative assets, audiences, pixels and Spark Ads in their own modules.

TikTok has no modified-since filter for these listings, so an incremental sync reads every object of
an advertiser and keeps those modified at or after the saved cursor. A full refresh returns every
object, whatever its `modify_time`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.streams.core import CheckpointMixin

from ..api.errors import SliceRefused
from ..pipeline.events import Page
from ..pipeline.listing import NO_HELPERS, ListingHelpers
from ..state import AdvertiserCursors
from ..timestamps import utc_timestamp
from .base import MAX_PAGE_SIZE, SyncContext, TikTokStream
from .listing_count import ListingCount
from .listing_cut import ListingCut

# TopView (RESERVATION_TOP_VIEW) objects are only returned when asked for alone, and the default
# filter leaves them out, so campaigns, ad groups and ads are listed once per group.
BUYING_TYPE_GROUPS: tuple[tuple[str, ...], ...] = (("AUCTION", "RESERVATION_RF"), ("RESERVATION_TOP_VIEW",))
CURSOR_FIELD = "modify_time"
# A listing that changed underfoot and came short is read once more (see `listing_count`).
MAX_READINGS = 2


@dataclass(frozen=True)
class EntityKind:
    """How one object type is listed: endpoint, key, where the records sit, page cap, query shape."""

    stream_name: str
    path: str
    id_field: str
    timestamp_fields: tuple[str, ...] = ()
    records_field: str = "list"
    page_size: int = MAX_PAGE_SIZE
    # Ads-management objects take a `filtering` with buying types and status; asset libraries do not.
    ads_filtering: bool = False


ENTITY_KINDS: tuple[EntityKind, ...] = (
    EntityKind(
        "campaigns", "campaign/get/", "campaign_id", ("create_time", "modify_time"), ads_filtering=True
    ),
    EntityKind(
        "ad_groups",
        "adgroup/get/",
        "adgroup_id",
        ("create_time", "modify_time", "schedule_start_time", "schedule_end_time"),
        ads_filtering=True,
    ),
    EntityKind("ads", "ad/get/", "ad_id", ("create_time", "modify_time"), ads_filtering=True),
)


class AdvertiserObjectStream(TikTokStream):
    """Full refresh of one object type, advertiser by advertiser, following `page_info`."""

    def __init__(self, context: SyncContext, kind: EntityKind) -> None:
        self.kind = kind
        self.page_size = kind.page_size
        self.records_field = kind.records_field
        super().__init__(context)

    @property
    def name(self) -> str:
        return self.kind.stream_name

    @property
    def primary_key(self) -> str:
        return self.kind.id_field

    @property
    def is_resumable(self) -> bool:
        # Each advertiser is re-read whole; a page number saved mid-advertiser would not survive
        # objects being added in between.
        return False

    def path(self, **kwargs: Any) -> str:
        return self.kind.path

    def query(self, stream_slice: Mapping[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {"advertiser_id": stream_slice["advertiser_id"]}
        if self.kind.ads_filtering:
            filtering: dict[str, Any] = {"buying_types": list(stream_slice["buying_types"])}
            if self.config.include_deleted:
                filtering["primary_status"] = "STATUS_ALL"
            params["filtering"] = filtering
        return params

    def transform(self, item: dict[str, Any], stream_slice: Mapping[str, Any]) -> dict[str, Any] | None:
        for field in self.kind.timestamp_fields:
            if field in item:
                item[field] = utc_timestamp(item[field])
        item.setdefault("advertiser_id", stream_slice.get("advertiser_id"))
        return item

    def fetch_listing(
        self,
        request_slice: Mapping[str, Any],
        convert: Callable[[Mapping[str, Any]], Any],
        listing: ListingHelpers = NO_HELPERS,
    ) -> Iterator[Any]:
        count = ListingCount(self.name, request_slice, self.records_field, self.kind.id_field)
        while True:
            cut = ListingCut(self.name, request_slice, self.records_field)
            yield from super().fetch_listing(request_slice, cut.watching(count.watching(convert)), listing)
            cut.verify()
            if not count.short:
                return
            if count.readings == MAX_READINGS:
                raise count.refusal()
            self.logger.info(
                f"{self.name}: the listing of advertiser {request_slice.get('advertiser_id')} changed while it was "
                f"paged through ({count.describe()}); reading it once more."
            )
            count.start_reading()

    def request_slices(self, stream_slice: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """The listings that together return every object of one advertiser."""
        if self.kind.ads_filtering:
            return [{**stream_slice, "buying_types": group} for group in BUYING_TYPE_GROUPS]
        return [stream_slice]


class EntityStream(AdvertiserObjectStream, CheckpointMixin):
    """An object listing with a client-side `modify_time` cursor per advertiser."""

    cursor_field = CURSOR_FIELD

    def __init__(self, context: SyncContext, kind: EntityKind) -> None:
        self._cursors = AdvertiserCursors(CURSOR_FIELD)
        super().__init__(context, kind)

    @property
    def is_resumable(self) -> bool:
        return True

    @property
    def state(self) -> Mapping[str, Any]:
        return self._cursors.as_state()

    @state.setter
    def state(self, value: Mapping[str, Any]) -> None:
        self._cursors.load(value, self.logger)

    def read_slice_pages(
        self, sync_mode: SyncMode, stream_slice: Mapping[str, Any], stream_state: Mapping[str, Any]
    ) -> Iterable[Page]:
        advertiser_id = stream_slice["advertiser_id"]
        since = self._cursors.get(advertiser_id) if sync_mode == SyncMode.incremental else None
        newest = None
        for page in super().read_slice_pages(sync_mode, stream_slice, stream_state):
            kept = []
            for record in page:
                # Smart+ ads and freshly uploaded assets may have no modify_time: their creation time
                # stands in, and a record with neither is still emitted (it just cannot move the cursor).
                cursor_value = record.get(CURSOR_FIELD) or record.get("create_time")
                if cursor_value and (newest is None or cursor_value > newest):
                    newest = cursor_value
                if since is None or cursor_value is None or cursor_value >= since:
                    kept.append(record)
            yield kept
        # Only after every listing of the advertiser is read: a failure in between must not skip objects.
        self._cursors.advance(advertiser_id, newest)

    def left_unread(self, stream_slice: Mapping[str, Any], refused: SliceRefused) -> None:
        super().left_unread(stream_slice, refused)
        if "advertiser_id" in stream_slice:
            self._cursors.hold(stream_slice["advertiser_id"])


def entity_streams(context: SyncContext) -> list[EntityStream]:
    return [EntityStream(context, kind) for kind in ENTITY_KINDS]
