"""TikTok's word that a synchronous report was cut: the `X-Tt-Ads-Throttle` response header.

TikTok sends no other header worth reading, and the body of a cut answer looks like any other, so the
header is handed to whoever converts the page, in the page's data under `CUT_NOTICE` (a key TikTok
never uses). Whatever its wording, the header means the answer holds only some ids' rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import requests

CUT_HEADER = "X-Tt-Ads-Throttle"
CUT_NOTICE = "_x_tt_ads_throttle"

T = TypeVar("T")


def with_cut_notice(
    response: requests.Response, convert: Callable[[Mapping[str, Any]], T]
) -> Callable[[Mapping[str, Any]], T]:
    """`convert`, given the page's data with the response's cut header under `CUT_NOTICE` when it has one."""
    notice = response.headers.get(CUT_HEADER)
    if notice is None:
        return convert
    return lambda data: convert({**data, CUT_NOTICE: notice or "(empty header)"})
