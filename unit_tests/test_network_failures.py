"""Network failures, raised for real by requests against local sockets, are named with their host, kind
and fix; resets are not among them; the first requests of a run give up on an unreachable host early."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator

import pytest
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.error_handlers import ResponseAction

from source_tiktok_ads.api import network
from source_tiktok_ads.api.client import FIRST_CONTACT_NETWORK_RETRIES, TikTokApi
from source_tiktok_ads.api.errors import TikTokErrorHandler, Unreachable

from .conftest import APP_SECRET

QUERY = f"?app_id=7001&secret={APP_SECRET}"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def error_of(url: str, **kwargs: object) -> requests.RequestException:
    with pytest.raises(requests.RequestException) as caught:
        requests.get(url, timeout=5, **kwargs)
    return caught.value


@pytest.fixture
def not_tls_server() -> Iterator[int]:
    """A listener that answers a TLS hello with plain text: the handshake fails (not a verification)."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(1024)
            connection.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()


def test_a_refused_connection() -> None:
    error = error_of(f"http://127.0.0.1:{closed_port()}/open_api/v1.3/oauth2/advertiser/get/{QUERY}")
    assert network.classify(error) is network.REFUSED
    assert network.host_of(error.request) == "127.0.0.1"


def test_a_failed_dns_lookup() -> None:
    error = error_of(f"http://tiktok-emulator.invalid/open_api/v1.3/advertiser/info/{QUERY}")
    assert network.classify(error) is network.DNS


def test_a_proxy_that_refuses() -> None:
    proxy = f"http://127.0.0.1:{closed_port()}"
    error = error_of("http://business-api.tiktok.com/x", proxies={"http": proxy, "https": proxy})
    assert network.classify(error) is network.PROXY
    assert network.PROXY.failure_type == FailureType.config_error


def test_a_failed_tls_handshake(not_tls_server: int) -> None:
    error = error_of(f"https://127.0.0.1:{not_tls_server}/x")
    failure = network.classify(error)
    assert failure is not None and "TLS" in failure.kind and "REQUESTS_CA_BUNDLE" in failure.fix
    assert failure.failure_type == FailureType.config_error


def test_an_untrusted_certificate_says_why_and_names_the_ca_bundle() -> None:
    text = (
        "HTTPSConnectionPool(host='business-api.tiktok.com', port=443): Max retries exceeded with url: "
        "/x (Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate "
        "verify failed: self-signed certificate in certificate chain (_ssl.c:1006)')))"
    )
    failure = network.classify(requests.exceptions.SSLError(text))
    assert failure is not None
    assert (
        failure.kind
        == "its TLS certificate could not be verified (self-signed certificate in certificate chain)"
    )
    assert "REQUESTS_CA_BUNDLE" in failure.describe("https://business-api.tiktok.com/open_api/v1.3/x")


@pytest.mark.parametrize(
    "error",
    [
        requests.exceptions.ChunkedEncodingError("Connection broken: ConnectionResetError(104)"),
        requests.exceptions.ConnectionError("('Connection aborted.', RemoteDisconnected('closed'))"),
        requests.exceptions.ReadTimeout("read timed out"),
    ],
)
def test_a_reset_or_a_slow_answer_is_a_blip_not_an_unreachable_host(error: Exception) -> None:
    assert network.classify(error) is None


def test_the_handler_retries_with_a_message_naming_endpoint_host_kind_and_fix_never_the_query() -> None:
    port = closed_port()
    error = error_of(f"http://127.0.0.1:{port}/open_api/v1.3/oauth2/advertiser/get/{QUERY}")
    resolution = TikTokErrorHandler(logging.getLogger("test")).interpret_response(error)
    assert resolution.response_action == ResponseAction.RETRY
    message = resolution.error_message or ""
    assert message.startswith(
        "oauth2/advertiser/get/: Cannot reach 127.0.0.1: the connection was refused. Check base_url"
    )
    # The advice names the traffic the URL needs, not TikTok's HTTPS on 443.
    assert f"allows outbound HTTP (port {port}) to this host" in message
    assert "443" not in message
    assert APP_SECRET not in message and "secret=" not in message


@pytest.mark.parametrize(
    ("url", "traffic"),
    [
        ("https://business-api.tiktok.com/open_api/v1.3/", "HTTPS (port 443)"),
        ("http://proxy.internal/open_api/v1.3/", "HTTP (port 80)"),
        ("http://127.0.0.1:8080/open_api/v1.3/", "HTTP (port 8080)"),
        ("HTTPS://gateway.example:8443/x", "HTTPS (port 8443)"),
        (None, "HTTPS (port 443)"),
    ],
)
def test_network_advice_names_the_scheme_and_port_of_the_url(url: str | None, traffic: str) -> None:
    for failure in (network.REFUSED, network.TIMED_OUT, network.NO_ROUTE):
        assert f"outbound {traffic}" in failure.describe(url)
        assert network.TRAFFIC not in failure.describe(url)


def test_the_handler_gives_up_on_one_request_after_its_network_retries() -> None:
    handler = TikTokErrorHandler(logging.getLogger("test"), network_retries=2)
    error = error_of(f"http://127.0.0.1:{closed_port()}/open_api/v1.3/advertiser/info/")
    for _ in range(2):
        assert handler.interpret_response(error).response_action == ResponseAction.RETRY
    with pytest.raises(Unreachable) as caught:
        handler.interpret_response(error)
    assert "after 3 attempts" in caught.value.message and "advertiser/info/" in caught.value.message


def test_a_first_contact_request_fails_early_and_a_later_one_keeps_the_full_budget(
    no_sleep: list[float],
) -> None:
    api = TikTokApi(f"http://127.0.0.1:{closed_port()}/open_api/v1.3/", "token", logging.getLogger("test"))
    with pytest.raises(Unreachable) as caught:
        api.get("oauth2/advertiser/get/", {"app_id": "7001", "secret": APP_SECRET}, first_contact=True)
    assert f"after {FIRST_CONTACT_NETWORK_RETRIES + 1} attempts" in caught.value.message
    assert len([wait for wait in no_sleep if wait]) == FIRST_CONTACT_NETWORK_RETRIES
    no_sleep.clear()
    with pytest.raises(Exception) as later:
        api.get("campaign/get/", {"advertiser_id": "1"})
    assert not isinstance(later.value, Unreachable)
    assert "after 9 attempts" in str(later.value) and "Cannot reach 127.0.0.1" in str(later.value)
