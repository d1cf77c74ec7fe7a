"""What each TikTok answer means for the connector: succeed, retry, hand to the stream, or fail with a fix.

TikTok reports errors in the body `code` with HTTP 200, so the body decides, never the status alone.
Codes whose handling depends on the stream (a missing permission fails one advertiser of one stream;
"query too large" makes a report split its window) are passed through to the stream as typed exceptions.
"""

from __future__ import annotations

import logging
import random
import time
import weakref
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.error_handlers import (
    BackoffStrategy,
    ErrorResolution,
    HttpStatusErrorHandler,
    ResponseAction,
)
from airbyte_cdk.sources.streams.http.error_handlers.default_error_mapping import DEFAULT_ERROR_MAPPING
from airbyte_cdk.sources.streams.http.exceptions import BaseBackoffException
from airbyte_cdk.sources.streams.http.http_client import HttpClient
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from ..cdk_adapter import quiet_handled_answers, retried_request
from ..scrub import scrub
from . import run_limits
from .envelope import Envelope, envelope_of
from .network import NetworkFailure, classify, host_of
from .retry_log import reword_retry_logs
from .timeouts import says_timeout, timed_out
from .waits import retry_wait_scale

API_PATH_MARKER = "/open_api/v1.3/"

# App-level and advertiser-level throttling. 40101/40102 are read as throttling by some clients and as
# credential errors by others; retrying them a bounded number of times is safe either way, and the final
# message carries TikTok's own words.
RATE_LIMIT_CODES = frozenset({40016, 40100, 40101, 40102, 40132, 40133})
# TikTok-side failures that go away on their own. 50001's meaning is disputed; it is retried a bounded
# number of times like the rest.
TRANSIENT_CODES = frozenset({40200, 40201, 40202, 40700, 50000, 50001, 50002, 51305, 60001})
TOKEN_CODES = frozenset({40104, 40105, 40110})
PERMISSION_CODE = 40001
PARAMETER_CODE = 40002
QUERY_TOO_LARGE_CODE = 40067
# Codes the stream resolves itself; the HTTP client hands the response over untouched.
STREAM_HANDLED_CODES = frozenset({PERMISSION_CODE, QUERY_TOO_LARGE_CODE})
# How the HTTP client's line about such an answer ends: a debug line, since the stream logs what it does
# about the answer (or fails naming it).
HANDLED_BY_STREAM = "; handled by the stream."

REAUTHORIZE_HINT = (
    "Re-authorize the TikTok for Business app for this advertiser and put the new long-term token "
    "in credentials.access_token."
)
GRANT_PERMISSION_HINT = (
    "In TikTok Business Center → Accounts → Manage Permissions, give this user access to the advertiser "
    "(and the app the scope for this endpoint), then re-authorize."
)

DEFAULT_MAX_RETRIES = 8
DEFAULT_MAX_TIME = timedelta(minutes=10)


def request_context(request: requests.PreparedRequest | None) -> tuple[str, str | None]:
    """The API path and the advertiser a request was about, for messages. Never the query string:
    `oauth2/advertiser/get/` carries the app secret there."""
    if request is None or not request.url:
        return "unknown endpoint", None
    parts = urlsplit(request.url)
    path = parts.path.split(API_PATH_MARKER, 1)[-1] or parts.path
    params = parse_qs(parts.query)
    advertiser = (params.get("advertiser_id") or [None])[0]
    if advertiser is None and params.get("advertiser_ids"):
        advertiser = params["advertiser_ids"][0].strip('[]"').replace('"', "")
    return path, advertiser


def describe(envelope: Envelope) -> str:
    suffix = f" (request_id {envelope.request_id})" if envelope.request_id else ""
    return f"TikTok code {envelope.code}: {envelope.message}{suffix}"


class TikTokApiError(AirbyteTracedException):
    """A TikTok answer the stream cannot recover from."""


class SliceRefused(TikTokApiError):
    """TikTok would not give one slice's data (one advertiser, one window), for a reason that concerns that
    slice alone. The stream notes it, holds the advertiser's cursor before it and reads its other slices;
    once they are through it fails naming what was left (see `unread`)."""


class AccessDenied(SliceRefused):
    """40001: the token may not read this endpoint for this advertiser."""

    def __init__(self, path: str, advertiser_id: str | None, envelope: Envelope) -> None:
        self.path = path
        self.advertiser_id = advertiser_id
        self.tiktok_message = envelope.message
        who = f"advertiser {advertiser_id}" if advertiser_id else "this app"
        message = f"TikTok denied {path} for {who}: {envelope.message}. {GRANT_PERMISSION_HINT}"
        super().__init__(
            message=message, internal_message=describe(envelope), failure_type=FailureType.config_error
        )


class QueryTooLarge(SliceRefused):
    """40067: the report window is too big for TikTok to compute in one request."""

    def __init__(self, path: str, envelope: Envelope) -> None:
        super().__init__(
            message=f"TikTok refused a report request to {path} as too large: {envelope.message}",
            internal_message=describe(envelope),
            failure_type=FailureType.system_error,
        )


class QueryTimedOut(SliceRefused):
    """A report request TikTok did not answer in time: the stream asks for less instead of the same again."""

    def __init__(self, path: str, advertiser_id: str | None, what: str) -> None:
        who = f" for advertiser {advertiser_id}" if advertiser_id else ""
        message = f"TikTok did not answer a report request to {path}{who} in time ({what})."
        super().__init__(message=message, internal_message=message, failure_type=FailureType.transient_error)


class Unreachable(TikTokApiError):
    """TikTok's host could not be reached at all (refused, DNS, TLS, proxy, timeout): says which host,
    what failed and how to fix it."""

    def __init__(
        self, failure: NetworkFailure, request: requests.PreparedRequest | None, tried: str, seconds: float
    ) -> None:
        path, _ = request_context(request)
        url = request.url if request is not None else None
        message = (
            f"Cannot reach {host_of(request)}: {failure.kind}. Gave up on {path} after {tried} in "
            f"{seconds:.0f} s. {failure.advice(url)}"
        )
        super().__init__(message=message, internal_message=message, failure_type=failure.failure_type)


def gave_up(error: AirbyteTracedException, client: HttpClient, seconds: float) -> AirbyteTracedException:
    """Say how many attempts were made, over how long, and for which request, when retries run out.

    The CDK's own message ("Exhausted available request attempts. Please see logs for more details.")
    says none of that, and the logs it points to are not where a user looks first. Any other error is
    returned scrubbed.
    """
    retried = retried_request(error, client)
    last = retried.last_error
    if not isinstance(last, BaseBackoffException) or last.request is None:
        # The CDK's own texts quote the request's URL, query string (and app secret) included.
        error.message = scrub(error.message) if error.message else error.message
        error.internal_message = scrub(error.internal_message) if error.internal_message else None
        return error
    path, advertiser_id = request_context(last.request)
    about = f"{path} for advertiser {advertiser_id}" if advertiser_id else path
    tried = f"{retried.attempts} attempts" if retried.attempts else "the last attempt"
    envelope = envelope_of(last.response) if isinstance(last.response, requests.Response) else None
    if envelope is not None and envelope.code == run_limits.MAINTENANCE_CODE:
        return run_limits.CURRENT.maintenance_outlasted(path, envelope.message, tried, seconds)
    # The last error's text may quote the request's URL, query string (and app secret) included.
    reason = str(last).removeprefix(f"{path}: ")
    message = scrub(f"Gave up on {about} after {tried} in {seconds:.0f} s: {reason}")
    return TikTokApiError(
        message=message,
        internal_message=message,
        failure_type=error.failure_type or FailureType.transient_error,
        exception=last,
        stream_descriptor=retried.stream_descriptor,
    )


def raise_for_stream_handled_code(response: requests.Response) -> Envelope:
    """Return the envelope of a usable response, or raise the typed error the stream must deal with."""
    envelope = envelope_of(response)
    if envelope.ok:
        return envelope
    path, advertiser_id = request_context(response.request)
    if envelope.code == PERMISSION_CODE:
        raise AccessDenied(path, advertiser_id, envelope)
    if envelope.code == QUERY_TOO_LARGE_CODE:
        raise QueryTooLarge(path, envelope)
    # The error handler lets nothing else through; reaching here means a bug, so fail loudly.
    raise TikTokApiError(
        message=f"Unexpected answer from {path}: {envelope.problem or describe(envelope)}",
        failure_type=FailureType.system_error,
    )


def resolve(response: requests.Response) -> ErrorResolution | None:
    """The resolution for an HTTP 2xx answer, from its body. None: not decided by the body."""
    envelope = envelope_of(response)
    path, advertiser_id = request_context(response.request)
    if envelope.problem is not None:
        return ErrorResolution(
            ResponseAction.RETRY,
            FailureType.transient_error,
            f"Unusable response from {path}: {envelope.problem}.",
        )
    code = envelope.code
    if code == 0:
        return ErrorResolution(ResponseAction.SUCCESS)
    if code in STREAM_HANDLED_CODES:
        return ErrorResolution(
            ResponseAction.IGNORE, None, f"{path}: {describe(envelope)}{HANDLED_BY_STREAM}"
        )
    if code not in RATE_LIMIT_CODES and says_timeout(envelope):
        # "Internal service connection timeout. Please try again." under a code not documented [?].
        return ErrorResolution(
            ResponseAction.RETRY,
            FailureType.transient_error,
            f"TikTok timed out on {path}: {describe(envelope)}.",
        )
    if code in RATE_LIMIT_CODES:
        stop = run_limits.CURRENT.judge_throttle(envelope, path)
        if stop is not None:
            return ErrorResolution(ResponseAction.FAIL, FailureType.transient_error, stop.message)
        return ErrorResolution(
            ResponseAction.RATE_LIMITED,
            FailureType.transient_error,
            f"TikTok rate limit on {path} ({describe(envelope)}). Lower the sync frequency or ask TikTok "
            "for a higher app tier if this persists.",
        )
    if code in TRANSIENT_CODES:
        return ErrorResolution(
            ResponseAction.RETRY,
            FailureType.transient_error,
            f"TikTok service error on {path}: {describe(envelope)}.",
        )
    if code in TOKEN_CODES:
        return ErrorResolution(
            ResponseAction.FAIL,
            FailureType.config_error,
            f"TikTok rejected the access token on {path} ({describe(envelope)}). {REAUTHORIZE_HINT}",
        )
    if code == PARAMETER_CODE:
        about = f" for advertiser {advertiser_id}" if advertiser_id else ""
        return ErrorResolution(
            ResponseAction.FAIL,
            FailureType.config_error,
            f"TikTok rejected a parameter of {path}{about}: {envelope.message}",
        )
    return ErrorResolution(
        ResponseAction.FAIL,
        FailureType.system_error,
        f"TikTok answered {path} with an error: {describe(envelope)}.",
    )


class TikTokErrorHandler(HttpStatusErrorHandler):
    """HTTP statuses, timeouts and resets follow the CDK's defaults (5xx and transport errors are
    retried); a 2xx answer is judged by its body."""

    def __init__(
        self,
        logger: logging.Logger,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_time: timedelta = DEFAULT_MAX_TIME,
        network_retries: int | None = None,
        on_timeout: Callable[[str], None] | None = None,
    ) -> None:
        """`network_retries`: how often a request that cannot reach the host at all is retried before
        `Unreachable` is raised (None: as often as any other failure). `on_timeout`: told the path of
        every request that timed out (the request budget slows an endpoint that keeps timing out)."""
        reword_retry_logs()
        quiet_handled_answers(logger, (HANDLED_BY_STREAM,))
        self._network_retries = network_retries
        self._on_timeout = on_timeout
        # Per request: (network failures so far, when the first one happened).
        self._network_failures: weakref.WeakKeyDictionary[requests.PreparedRequest, tuple[int, float]] = (
            weakref.WeakKeyDictionary()
        )
        mapping: Mapping[Any, ErrorResolution] = {
            **DEFAULT_ERROR_MAPPING,
            # The CDK looks exceptions up by exact class; these are the transport failures we see.
            requests.exceptions.ConnectionError: ErrorResolution(
                ResponseAction.RETRY, FailureType.transient_error, "Connection to TikTok failed."
            ),
            requests.exceptions.ChunkedEncodingError: ErrorResolution(
                ResponseAction.RETRY,
                FailureType.transient_error,
                "Connection to TikTok was cut mid-response.",
            ),
            requests.exceptions.ReadTimeout: ErrorResolution(
                ResponseAction.RETRY, FailureType.transient_error, "TikTok did not answer in time."
            ),
            requests.exceptions.ConnectTimeout: ErrorResolution(
                ResponseAction.RETRY, FailureType.transient_error, "Connecting to TikTok timed out."
            ),
        }
        super().__init__(logger, error_mapping=mapping, max_retries=max_retries, max_time=max_time)

    def interpret_response(
        self, response_or_exception: requests.Response | Exception | None = None
    ) -> ErrorResolution:
        if self._on_timeout is not None and timed_out(response_or_exception):
            self._on_timeout(request_context(request_of(response_or_exception))[0])
        if isinstance(response_or_exception, requests.Response) and response_or_exception.ok:
            resolution = resolve(response_or_exception)
            if resolution is not None:
                return resolution
        if isinstance(response_or_exception, requests.RequestException):
            failure = classify(response_or_exception)
            if failure is not None:
                return self._unreachable(response_or_exception, failure)
        return with_endpoint(super().interpret_response(response_or_exception), response_or_exception)

    def _unreachable(self, error: requests.RequestException, failure: NetworkFailure) -> ErrorResolution:
        """Retried like any transient failure, with a message naming the host and the fix (never the
        exception's text: it quotes the URL). Past `network_retries`, raises `Unreachable`."""
        request = error.request if isinstance(error.request, requests.PreparedRequest) else None
        if request is not None and self._network_retries is not None:
            count, first = self._network_failures.get(request, (0, time.monotonic()))
            if count >= self._network_retries:
                raise Unreachable(failure, request, f"{count + 1} attempts", time.monotonic() - first)
            self._network_failures[request] = (count + 1, first)
        url = request.url if request is not None else None
        resolution = ErrorResolution(ResponseAction.RETRY, failure.failure_type, failure.describe(url))
        return with_endpoint(resolution, error)


def with_endpoint(
    resolution: ErrorResolution, response_or_exception: requests.Response | Exception | None
) -> ErrorResolution:
    """`resolution` with its message led by the API path the answer was to: the CDK's messages for HTTP
    statuses and transport errors (`HTTP Status Code: 500. Error: Internal server error.`) name none."""
    request = getattr(response_or_exception, "request", None)
    if not resolution.error_message or not isinstance(getattr(request, "url", None), str):
        return resolution
    path, _ = request_context(request)
    if path in resolution.error_message:
        return resolution
    return ErrorResolution(
        resolution.response_action, resolution.failure_type, f"{path}: {resolution.error_message}"
    )


def request_of(
    response_or_exception: requests.Response | Exception | None,
) -> requests.PreparedRequest | None:
    """The request an answer or a failure was for, when known."""
    request = getattr(response_or_exception, "request", None)
    return request if isinstance(request, requests.PreparedRequest) else None


class TikTokBackoffStrategy(BackoffStrategy):
    """Exponential backoff with full jitter, capped. TikTok sends no Retry-After, so the schedule is ours;
    the jitter keeps parallel workers from retrying in lock-step."""

    def __init__(self, base_seconds: float = 1.0, cap_seconds: float = 60.0) -> None:
        self._base = base_seconds
        self._cap = cap_seconds
        self._scale = retry_wait_scale()

    def backoff_time(
        self, response_or_exception: requests.Response | requests.RequestException | None, attempt_count: int
    ) -> float | None:
        ceiling = min(self._cap, self._base * 2 ** max(0, attempt_count - 1))
        return (ceiling / 2 + random.uniform(0, ceiling / 2)) * self._scale
