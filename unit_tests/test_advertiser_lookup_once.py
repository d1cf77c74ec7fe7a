"""The advertiser lookup is made once per run: a failure is kept and raised again, not retried per stream."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_tiktok_ads.advertisers import AdvertiserDirectory, AppCredentialsRefused
from source_tiktok_ads.api.envelope import Envelope
from source_tiktok_ads.api.errors import AccessDenied, TikTokApiError, Unreachable
from source_tiktok_ads.api.network import REFUSED
from source_tiktok_ads.config import parse_config

from .conftest import raw_config


class FailingApi:
    def __init__(self, error: AirbyteTracedException) -> None:
        self.error = error
        self.calls: list[tuple[str, bool]] = []

    def get(self, path: str, params: dict[str, Any], first_contact: bool = False) -> Any:
        self.calls.append((path, first_contact))
        raise self.error


def directory(api: FailingApi, **overrides: Any) -> AdvertiserDirectory:
    return AdvertiserDirectory(parse_config(raw_config(**overrides)), api, logging.getLogger("test"))  # type: ignore[arg-type]


def test_a_failed_advertiser_list_is_asked_once_and_its_error_kept() -> None:
    api = FailingApi(TikTokApiError(message="Gave up on oauth2/advertiser/get/"))
    lookup = directory(api)
    for _ in range(3):
        with pytest.raises(TikTokApiError):
            lookup.selected_ids()
    assert api.calls == [("oauth2/advertiser/get/", True)]
    assert lookup.failure is api.error


def test_an_unreachable_advertiser_info_is_kept_too_where_other_errors_only_warn() -> None:
    unreachable = Unreachable(REFUSED, None, "6 attempts", 30)
    api = FailingApi(unreachable)
    lookup = directory(api, advertiser_ids=["111"])
    for _ in range(2):
        with pytest.raises(Unreachable):
            lookup.details()
    assert api.calls == [("advertiser/info/", True)] and lookup.failure is unreachable

    denied = FailingApi(TikTokApiError(message="TikTok service error"))
    assert list(directory(denied, advertiser_ids=["111"]).details()) == ["111"]


def test_a_refused_advertiser_list_names_the_app_credentials_not_permissions() -> None:
    refused = Envelope(40001, "App credentials are invalid: app_id and secret do not match.", "1", None)
    lookup = directory(FailingApi(AccessDenied("oauth2/advertiser/get/", None, refused)))
    with pytest.raises(AppCredentialsRefused) as caught:
        lookup.selected_ids()
    assert caught.value.message == (
        "TikTok refused to list advertisers for this app (oauth2/advertiser/get/: App credentials are "
        "invalid: app_id and secret do not match). Check credentials.app_id and credentials.secret (TikTok "
        "for Business developer portal → My Apps) and that the access token was issued to this same app."
    )
    assert lookup.failure is caught.value
