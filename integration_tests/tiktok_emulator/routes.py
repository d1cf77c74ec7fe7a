"""Every API path the emulator answers, and the route that answers it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import gmv_max, smart_plus
from .account_routes import route_advertiser_info, route_oauth_advertisers, route_user_info
from .entity_routes import entity_route
from .library_routes import library_route
from .pixel_routes import route_instant_page_events, route_pixel_stats
from .report_route import route_report

if TYPE_CHECKING:
    from .call import Call
    from .server import Emulator

Route = Callable[["Emulator", "Call"], dict[str, Any]]

# Where each listing puts its items (the rest use "list").
LISTING_KEYS = {
    "file/music/get/": "musics",
    "creative/portfolio/list/": "creative_portfolios",
    "pixel/list/": "pixels",
}

ROUTES: dict[str, Route] = {
    "oauth2/advertiser/get/": route_oauth_advertisers,
    "user/info/": route_user_info,
    "advertiser/info/": route_advertiser_info,
    "campaign/get/": entity_route("campaign"),
    "adgroup/get/": entity_route("adgroup"),
    "ad/get/": entity_route("ad"),
    "report/integrated/get/": route_report,
    "file/image/ad/search/": library_route("image", "list"),
    "file/video/ad/search/": library_route("video", "list"),
    "file/music/get/": library_route("music", "musics"),
    "creative/portfolio/list/": library_route("portfolio", "creative_portfolios"),
    "dmp/custom_audience/list/": library_route("audience", "list"),
    "pixel/list/": library_route("pixel", "pixels"),
    "pixel/event/stats/": route_pixel_stats,
    "pixel/instant_page/event/": route_instant_page_events,
    "tt_video/list/": library_route("spark", "list"),
}
# Endpoint families of their own; Smart+ also takes over the report path (it adds `ad_id_v2`).
ROUTES.update(smart_plus.ROUTES)
ROUTES.update(gmv_max.ROUTES)
