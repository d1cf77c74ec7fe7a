"""A small TikTok client for calls made outside a stream (connection check, advertiser lookup).

It sends through the CDK's HttpClient with the same error handler and backoff as the streams, so a
request behaves the same wherever it is made.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from airbyte_cdk.sources.streams.call_rate import APIBudget
from airbyte_cdk.sources.streams.http.http_client import HttpClient
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from ..cdk_adapter import mount_transport
from .auth import AccessTokenAuthenticator
from .envelope import Envelope
from .errors import TikTokBackoffStrategy, TikTokErrorHandler, gave_up, raise_for_stream_handled_code
from .params import encode_params, request_timeout
from .transport import TikTokTransport

# A run's first requests (the advertiser lookup) give up on a host they cannot reach at all after this
# many retries (at most about 1.5 minutes, connect timeouts included) instead of the full budget, so
# that a wrong base_url or a blocked network fails the run in minutes. Later requests keep the full
# budget: there, an unreachable host is more likely a blip.
FIRST_CONTACT_NETWORK_RETRIES = 5


class TikTokApi:
    def __init__(
        self,
        base_url: str,
        access_token: str,
        logger: logging.Logger,
        api_budget: APIBudget | None = None,
        max_retries: int | None = None,
        transport: TikTokTransport | None = None,
    ) -> None:
        self._base_url = base_url

        def client(network_retries: int | None) -> HttpClient:
            retries = {} if max_retries is None else {"max_retries": max_retries}
            http_client = HttpClient(
                name="tiktok_api",
                logger=logger,
                error_handler=TikTokErrorHandler(logger, network_retries=network_retries, **retries),
                api_budget=api_budget,
                authenticator=AccessTokenAuthenticator(access_token),
                backoff_strategy=TikTokBackoffStrategy(),
            )
            if transport is not None:
                mount_transport(http_client, transport)
            return http_client

        self._client = client(None)
        self._first_contact_client = client(FIRST_CONTACT_NETWORK_RETRIES)

    def get(self, path: str, params: Mapping[str, Any], first_contact: bool = False) -> Envelope:
        """GET `path` and return the successful envelope; raises the typed errors of `api.errors`.

        `first_contact`: the request is among a run's first, see FIRST_CONTACT_NETWORK_RETRIES."""
        client = self._first_contact_client if first_contact else self._client
        started = time.monotonic()
        try:
            _, response = client.send_request(
                http_method="GET",
                url=self._base_url + path,
                request_kwargs={"timeout": request_timeout()},
                params=encode_params(params),
            )
        except AirbyteTracedException as error:
            raise gave_up(error, client, time.monotonic() - started) from None
        return raise_for_stream_handled_code(response)
