"""The emulator: a threaded HTTP server that answers like TikTok's Marketing API v1.3 for a Dataset.

This module is the request path every API call takes (counters, injected faults, latency, QPS limits,
the token, the route, the envelope); `handler` speaks HTTP, `routes` names the route for each path.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter, deque
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from typing import Any, NamedTuple

import orjson

from . import credentials, divergent, oauth
from .call import Call
from .dataset import Dataset
from .errors import (
    ADVERTISER_QPS_MESSAGE,
    CODE_MESSAGES,
    DAILY_QUOTA_MESSAGE,
    MAINTENANCE_MESSAGE,
    RATE_LIMIT_MESSAGE,
    ApiError,
)
from .faults import FaultPlan, hits
from .handler import API_PREFIX, make_handler
from .in_flight import InFlightMeter
from .latency import ARRIVAL, PROCESSING, SLIDING, LatencyJitter, count_over_cap
from .listing_deletions import ListingDeletions
from .responses import JSON, NOT_FOUND, http_error
from .routes import LISTING_KEYS, ROUTES

_TOKEN_SCOPE = {
    credentials.ACCESS_TOKEN: "all",
    credentials.LIMITED_TOKEN: "first",
    credentials.NO_ADVERTISERS_TOKEN: "none",
}


class RecordedRequest(NamedTuple):
    path: str
    params: dict[str, str]
    received_at: float = 0.0  # time.monotonic() when it arrived: shows which requests overlapped


class Answer(NamedTuple):
    status: int
    content_type: str
    body: bytes
    # Reset the connection half-way through the body.
    reset: bool = False
    headers: dict[str, str] = {}


class Emulator:
    """Serves the Dataset on 127.0.0.1 in a background thread (use as a context manager)."""

    def __init__(
        self,
        dataset: Dataset,
        faults: FaultPlan | None = None,
        sandbox: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        profile: str = divergent.STANDARD,
        keyless_rows: bool = False,
        jitter: LatencyJitter | None = None,
        qps_window: str = SLIDING,
    ) -> None:
        self.jitter, self.qps_window, self.in_flight = jitter or LatencyJitter(), qps_window, InFlightMeter()
        if profile not in divergent.PROFILES:
            raise ValueError(f"profile must be one of {divergent.PROFILES}, not {profile!r}")
        self.dataset = dataset
        self.sandbox = sandbox
        # `divergent`: a TikTok that differs from the connector's catalog (see `divergent`).
        self.profile = profile
        # With the divergent profile: the first row of every report page has no ID dimension.
        self.keyless_rows = keyless_rows
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._faults = faults or FaultPlan()
        self.listing_deletions = ListingDeletions()
        self._fault_n = 0
        self._plan_installed = time.monotonic()
        self._total = 0
        self._by_path: Counter[str] = Counter()
        self._app_window: deque[float] = deque()
        self._adv_windows: dict[tuple[str, str], deque[float]] = {}
        self._request_ids = itertools.count(1)
        self.auth_codes = oauth.AuthCodes()
        self._server = ThreadingHTTPServer((host, port), make_handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{self._server.server_address[0]}:{self.port}{API_PREFIX}"

    def start(self) -> Emulator:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="tiktok-emulator",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- faults and counters -----------------------------------------------------------------------

    @property
    def faults(self) -> FaultPlan:
        return self._faults

    @faults.setter
    def faults(self, plan: FaultPlan) -> None:
        with self._lock:
            self._faults = plan
            # A fresh plan counts its requests from zero, so "every Nth" stays predictable.
            self._fault_n = 0
            self.listing_deletions.reset()
            self._plan_installed = time.monotonic()
            self._app_window.clear()
            self._adv_windows.clear()

    def request_count(self, path: str | None = None) -> int:
        with self._lock:
            if path is None:
                return self._total
            return self._by_path[path.lstrip("/")]

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": self._total,
                "by_path": dict(self._by_path),
                "most_in_flight": self.in_flight.most,
            }

    def reset_counters(self) -> None:
        with self._lock:
            self._total = 0
            self._by_path.clear()
            self.requests.clear()
            self.in_flight.reset()

    def _begin(self, path: str, params: dict[str, str]) -> tuple[int, FaultPlan]:
        with self._lock:
            self._total += 1
            self._by_path[path] += 1
            self.requests.append(RecordedRequest(path, params, time.monotonic()))
            self._fault_n += 1
            return self._fault_n, self._faults

    def _over_qps(self, window: deque[float], cap: int) -> int:
        """Record a request in a one-second window; return the count if it exceeds ``cap``."""
        now = time.monotonic()
        with self._lock:
            return count_over_cap(window, now, cap, self.qps_window)

    def over_bucket_qps(self, bucket: tuple[str, str], cap: int) -> int:
        """Like `_over_qps`, in the window of one bucket (an advertiser and path, or an endpoint family)."""
        with self._lock:
            window = self._adv_windows.setdefault(bucket, deque())
        return self._over_qps(window, cap)

    def request_id(self) -> str:
        return f"{datetime.now(UTC):%Y%m%d%H%M%S}{next(self._request_ids):020X}"

    # --- request handling --------------------------------------------------------------------------

    def handle_api(self, path: str, params: dict[str, str], token: str | None) -> tuple[int, str, bytes]:
        """Return (HTTP status, content type, body) for one API request."""
        answer = self.respond(path, params, token)
        return answer.status, answer.content_type, answer.body

    def respond(self, path: str, params: dict[str, str], token: str | None) -> Answer:
        """Like `handle_api`, plus the extra headers and whether the connection is to be reset half-way
        through the body."""
        with self.in_flight:
            return self._respond(path, params, token)

    def _respond(self, path: str, params: dict[str, str], token: str | None) -> Answer:
        n, faults = self._begin(path, params)
        per_request = faults if faults.applies_to(path) else FaultPlan()
        _apply_latency(per_request, n, self.jitter.draw_ms(ARRIVAL))
        reset = hits(per_request.reset_every, n)
        if hits(per_request.http_error_every, n):
            return Answer(*http_error(per_request, self.request_id()), reset)
        route = ROUTES.get(path)
        if route is None or path in faults.not_found_paths:
            return Answer(*NOT_FOUND, reset)
        call = Call(path, params, (), faults)
        try:
            if faults.revoke_after and n > faults.revoke_after:
                raise ApiError(40105, "The access token has been revoked.")
            self._refuse_past_limits(faults, n)
            if hits(per_request.rate_limit_every, n):
                raise ApiError(40100, RATE_LIMIT_MESSAGE.format(app=credentials.APP_ID))
            if faults.qps_cap and self._over_qps(self._app_window, faults.qps_cap):
                raise ApiError(40100, RATE_LIMIT_MESSAGE.format(app=credentials.APP_ID))
            time.sleep(self.jitter.draw_ms(PROCESSING) / 1000)
            if hits(per_request.code_every, n):
                raise ApiError(
                    per_request.code,
                    CODE_MESSAGES.get(per_request.code, f"Emulated error {per_request.code}."),
                )
            call.visible = self._authenticate(token)
            data = route(self, call)
            if self.profile == divergent.DIVERGENT and path != "report/integrated/get/":
                data = divergent.listing(data, LISTING_KEYS.get(path, "list"))
            envelope: dict[str, Any] = {
                "code": 0,
                "message": "OK",
                "request_id": self.request_id(),
                "data": data,
            }
        except ApiError as err:
            envelope = {"code": err.code, "message": err.message, "request_id": self.request_id(), "data": {}}
        if hits(per_request.missing_data_every, n):
            envelope = {"code": 0, "message": "OK", "request_id": envelope["request_id"]}
        # Compact JSON, through orjson (encoding is much of the emulator's work). Whether TikTok puts
        # spaces after separators is not recorded; the connector's unit tests read both forms.
        body = b"[]" if hits(per_request.not_object_every, n) else orjson.dumps(envelope)
        if hits(per_request.truncated_every, n):
            body = body[: len(body) // 2]
        return Answer(200, JSON, body, reset, call.headers)

    def _refuse_past_limits(self, faults: FaultPlan, n: int) -> None:
        """The plan's daily quota and maintenance: limits that last, unlike a per-second one."""
        if (
            faults.maintenance_seconds
            and time.monotonic() - self._plan_installed < faults.maintenance_seconds
        ):
            raise ApiError(60001, MAINTENANCE_MESSAGE)
        if faults.daily_quota and n > faults.daily_quota:
            words = DAILY_QUOTA_MESSAGE if faults.daily_quota_says_daily else RATE_LIMIT_MESSAGE
            raise ApiError(40100, words.format(app=credentials.APP_ID))

    def exchange_auth_code(self, body: bytes, content_type: str | None) -> tuple[int, str, bytes]:
        """Answer `oauth2/access_token/` (a POST with a JSON body, no Access-Token header)."""
        self._begin(oauth.ACCESS_TOKEN_PATH, {})
        try:
            advertiser_ids = [a["advertiser_id"] for a in self.dataset.advertisers]
            data = oauth.exchange(body, content_type, self.auth_codes, advertiser_ids)
            envelope = {"code": 0, "message": "OK", "request_id": self.request_id(), "data": data}
        except oauth.OAuthError as err:
            envelope = {"code": err.code, "message": err.message, "request_id": self.request_id(), "data": {}}
        return 200, JSON, orjson.dumps(envelope)

    def _authenticate(self, token: str | None) -> tuple[str, ...]:
        token = (token or "").strip()
        if not token:
            raise ApiError(40104, "Access token is empty. Put it in the Access-Token request header.")
        scope = _TOKEN_SCOPE.get(token)
        if scope is None:
            raise ApiError(40105, "Access token is incorrect or has been revoked.")
        ids = tuple(a["advertiser_id"] for a in self.dataset.advertisers)
        return {"all": ids, "first": ids[:1], "none": ()}[scope]

    def check_advertiser(self, call: Call, advertiser_id: str) -> None:
        if advertiser_id not in call.visible or not self.dataset.has_advertiser(advertiser_id):
            raise ApiError(40001, f"No permission to operate advertiser: {advertiser_id}")
        if call.faults.is_denied(advertiser_id, call.path):
            raise ApiError(40001, f"advertiser does not grant you /{call.path}:GET permission")
        cap = call.faults.advertiser_qps_cap
        if cap:
            qps = self.over_bucket_qps((advertiser_id, call.path), cap)
            if qps:
                raise ApiError(40133, ADVERTISER_QPS_MESSAGE.format(adv=advertiser_id, qps=qps, cap=cap))


def _apply_latency(plan: FaultPlan, n: int, jitter_ms: float = 0) -> None:
    """Hold request number ``n`` for the plan's latency, plus a spike on every `spike_every`-th, plus
    the seeded jitter drawn for its arrival."""
    delay = plan.latency_ms + (plan.spike_ms if hits(plan.spike_every, n) else 0) + jitter_ms
    if delay:
        time.sleep(delay / 1000)
