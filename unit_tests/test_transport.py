"""The transport under the CDK's client: bodies read in one piece, requests timed and gated."""

from __future__ import annotations

import gzip
import socket
import threading
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
import pytest
import requests

from source_tiktok_ads.api.envelope import UnusableBody, convert_page, envelope_of
from source_tiktok_ads.api.transport import TikTokTransport, gunzip
from source_tiktok_ads.cdk_adapter import mount_transport
from source_tiktok_ads.concurrency import InFlightLimit

ROWS = [
    {"dimensions": {"ad_id": str(n)}, "metrics": {"spend": f"{n}.25", "clicks": str(n)}} for n in range(60000)
]
BODY = orjson.dumps({"code": 0, "message": "OK", "request_id": "r", "data": {"list": ROWS, "page_info": {}}})
GZIPPED = gzip.compress(BODY)
SMALL = b'{"code":0,"message":"OK","request_id":"r","data":{"list":[{"a":1}],"page_info":{}}}'


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _head(self, **headers: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()

    def do_GET(self) -> None:
        body = BODY if self.path.startswith("/large") else SMALL
        if self.path.endswith("/sized"):
            self._head(Content_Length=str(len(body)))
            self.wfile.write(body)
        elif self.path.endswith("/chunked"):
            self._head(Transfer_Encoding="chunked")
            for start in range(0, len(body), 100_000):
                piece = body[start : start + 100_000]
                self.wfile.write(f"{len(piece):X}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif self.path.endswith("/gzip"):
            packed = GZIPPED if body is BODY else gzip.compress(body)  # made ahead: not in the peak
            self._head(Content_Length=str(len(packed)), Content_Encoding="gzip")
            self.wfile.write(packed)
        elif self.path.endswith("/cut-short"):  # announces the whole body, sends half, closes
            self._head(Content_Length=str(len(body)))
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
        elif self.path.endswith("/truncated"):  # half a body, announced as such (a broken upstream)
            self._head(Content_Length=str(len(body) // 2))
            self.wfile.write(body[: len(body) // 2])
        elif self.path.endswith("/truncated-brace"):  # cut just after a row: it still ends in "}"
            cut = body[: body.index(b"}}", len(body) // 2) + 2]
            self._head(Content_Length=str(len(cut)))
            self.wfile.write(cut)
        elif self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", "/small/sized")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path.endswith("/until-close"):  # neither a length nor chunks: the body ends at EOF
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_WR)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class FakeClient:
    """What `mount_transport` needs of the CDK's HttpClient."""

    def __init__(self) -> None:
        self._session = requests.Session()


def session_with(transport: TikTokTransport) -> requests.Session:
    client = FakeClient()
    mount_transport(client, transport)
    return client._session


@pytest.mark.parametrize("kind", ["sized", "chunked", "gzip", "until-close"])
def test_a_body_arrives_whole_however_it_is_framed(base_url: str, kind: str) -> None:
    session = session_with(TikTokTransport())
    assert session.get(f"{base_url}/large/{kind}").content == BODY
    assert session.get(f"{base_url}/small/{kind}").content == SMALL
    # The connection goes back to the pool and serves the next request.
    assert session.get(f"{base_url}/small/sized").json()["code"] == 0


def test_a_body_cut_short_of_its_length_is_a_broken_response_to_retry(base_url: str) -> None:
    session = session_with(TikTokTransport())
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        session.get(f"{base_url}/large/cut-short")


def test_a_truncated_body_is_unusable_for_the_envelope(base_url: str) -> None:
    response = session_with(TikTokTransport()).get(f"{base_url}/large/truncated")
    envelope = envelope_of(response)
    assert not envelope.ok
    assert envelope.problem == "body is not valid JSON (truncated or HTML)"


def test_a_truncated_body_that_looks_whole_is_unusable_when_its_rows_are_read(base_url: str) -> None:
    response = session_with(TikTokTransport()).get(f"{base_url}/large/truncated-brace")
    with pytest.raises(UnusableBody):
        convert_page(envelope_of(response), "list", lambda data: list(data["list"]))


def test_a_streamed_request_is_left_to_its_reader(base_url: str) -> None:
    response = session_with(TikTokTransport()).get(f"{base_url}/small/sized", stream=True)
    assert not response._content_consumed
    assert response.content == SMALL


def test_a_large_body_is_held_once_while_it_arrives(base_url: str) -> None:
    def peak_of(session: requests.Session, url: str) -> int:
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            response = session.get(url)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert response.content == BODY
        return peak

    assert len(BODY) > 4_000_000
    plain = peak_of(requests.Session(), f"{base_url}/large/sized")
    ours = peak_of(session_with(TikTokTransport()), f"{base_url}/large/sized")
    gzipped = peak_of(session_with(TikTokTransport()), f"{base_url}/large/gzip")
    chunked = peak_of(session_with(TikTokTransport()), f"{base_url}/large/chunked")
    assert plain > 1.9 * len(BODY)  # requests joins its chunks into a second copy
    assert ours < 1.1 * len(BODY)
    assert gzipped < 1.1 * len(BODY) + len(GZIPPED)
    assert chunked < 1.3 * len(BODY)


def test_each_request_is_timed_and_holds_an_in_flight_slot(base_url: str) -> None:
    ticks = iter([10.0, 10.5, 20.0, 20.5])
    limit = InFlightLimit(10 / 1.05, 8)
    seen: list[int] = []
    original = limit.observe

    def observe(seconds: float) -> None:
        seen.append(limit.in_flight)
        original(seconds)

    limit.observe = observe  # type: ignore[method-assign]
    session = session_with(TikTokTransport(limit, clock=lambda: next(ticks)))
    session.get(f"{base_url}/small/sized")
    session.get(f"{base_url}/small/sized")
    assert seen == [1, 1]  # the slot is held while the request is on the wire
    assert limit.mean_request_seconds == pytest.approx(0.5)
    assert limit.limit == 6
    assert limit.in_flight == 0


def test_a_failed_request_gives_its_slot_back(base_url: str) -> None:
    limit = InFlightLimit(10, 1)
    session = session_with(TikTokTransport(limit))
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        session.get(f"{base_url}/large/cut-short")
    assert limit.in_flight == 0
    assert limit.mean_request_seconds is None


def test_gunzip_does_not_trust_an_impossible_size_in_a_broken_trailer() -> None:
    assert gunzip(gzip.compress(b"x" * 1000)) == b"x" * 1000
    packed = gzip.compress(b'{"code":0}')
    with pytest.raises(Exception, match="decompress"):
        gunzip(packed[:-8] + b"\0\0\0\0\xff\xff\xff\x7f")
    assert gunzip(b"") == b""


def test_the_slot_is_taken_before_the_rate_budget_is_waited_for(base_url: str) -> None:
    """A request that waited for a slot after its turn in the budget would leave bunched with the next."""
    limit = InFlightLimit(10, 1)
    order: list[str] = []

    class Budget:
        def acquire_call(self, request: object, **kwargs: object) -> None:
            order.append(f"budget, {limit.in_flight} in flight")

        def update_from_response(self, request: object, response: object) -> None:
            order.append("answered")

    from airbyte_cdk.sources.streams.call_rate import LimiterSession

    client = FakeClient()
    client._session = LimiterSession(api_budget=Budget())
    mount_transport(client, TikTokTransport(limit))
    client._session.get(f"{base_url}/small/sized")
    assert order == ["budget, 1 in flight", "answered"]
    assert limit.in_flight == 0


def test_a_redirect_is_followed_within_the_slot_it_holds(base_url: str) -> None:
    limit = InFlightLimit(10, 1)  # one slot: a second one for the redirect would never come
    session = session_with(TikTokTransport(limit))
    response = session.get(f"{base_url}/redirect", timeout=5)
    assert response.content == SMALL
    assert [r.status_code for r in response.history] == [302]
    assert limit.in_flight == 0
