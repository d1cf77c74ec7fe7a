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

from .auth import AccessTokenAuthenticator
from .envelope import Envelope
from .errors import TikTokBackoffStrategy, TikTokErrorHandler, gave_up, raise_for_stream_handled_code
from .params import REQUEST_TIMEOUT, encode_params


class TikTokApi:
    def __init__(
        self,
        base_url: str,
        access_token: str,
        logger: logging.Logger,
        api_budget: APIBudget | None = None,
        max_retries: int | None = None,
    ) -> None:
        self._base_url = base_url
        handler = (
            TikTokErrorHandler(logger) if max_retries is None else TikTokErrorHandler(logger, max_retries)
        )
        self._client = HttpClient(
            name="tiktok_api",
            logger=logger,
            error_handler=handler,
            api_budget=api_budget,
            authenticator=AccessTokenAuthenticator(access_token),
            backoff_strategy=TikTokBackoffStrategy(),
        )

    def get(self, path: str, params: Mapping[str, Any]) -> Envelope:
        """GET `path` and return the successful envelope; raises the typed errors of `api.errors`."""
        started = time.monotonic()
        try:
            _, response = self._client.send_request(
                http_method="GET",
                url=self._base_url + path,
                request_kwargs={"timeout": REQUEST_TIMEOUT},
                params=encode_params(params),
            )
        except AirbyteTracedException as error:
            raise gave_up(error, self._client, time.monotonic() - started) from None
        return raise_for_stream_handled_code(response)
