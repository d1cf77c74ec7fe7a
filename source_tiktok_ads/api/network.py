"""Transport failures that mean TikTok cannot be reached from here, named so that the user can fix them.

A refused connection, a failed DNS lookup, an untrusted TLS certificate or a broken proxy all reach
the HTTP client as a `requests.ConnectionError` whose text is urllib3's (with the URL, query string
and app secret included). They are told apart here, by type where urllib3 gives one and by the
operating system's wording otherwise. A connection reset or a response cut short is not among them:
the host was reached, and that is a blip to retry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from airbyte_cdk.models import FailureType
from urllib3.exceptions import NameResolutionError, NewConnectionError

CHECK_BASE_URL = "Check base_url (leave it empty to use TikTok's own API)"
# Where a fix names the traffic a firewall must let out ("HTTPS (port 443)"), taken from the URL.
TRAFFIC = "<traffic>"
DEFAULT_PORTS = {"https": 443, "http": 80}
_VERIFY_DETAIL = re.compile(r"certificate verify failed: ([^(')\"\]]+)")


@dataclass(frozen=True)
class NetworkFailure:
    kind: str
    fix: str
    # Transient: TikTok or the route to it may be back soon. Config: the connector's own environment
    # (proxy, CA bundle) needs a change before any attempt can succeed.
    failure_type: FailureType = FailureType.transient_error

    def advice(self, url: str | None) -> str:
        """The fix, with the traffic to allow named by `url`'s scheme and port."""
        return self.fix.replace(TRAFFIC, traffic_of(url))

    def describe(self, url: str | None) -> str:
        return f"Cannot reach {host_of_url(url)}: {self.kind}. {self.advice(url)}"


TLS_FIX = (
    "If a proxy or firewall inspects HTTPS traffic, add its CA certificate to a CA bundle and point "
    "the REQUESTS_CA_BUNDLE environment variable at that bundle; also check the machine's clock."
)
PROXY = NetworkFailure(
    "the proxy could not be reached or refused the connection",
    "Check the HTTPS_PROXY, HTTP_PROXY and NO_PROXY environment variables of the connector.",
    FailureType.config_error,
)
DNS = NetworkFailure(
    "the DNS lookup of this host failed",
    f"{CHECK_BASE_URL} and that the connector's machine can resolve internet host names.",
)
REFUSED = NetworkFailure(
    "the connection was refused",
    f"{CHECK_BASE_URL} and that a firewall allows outbound {TRAFFIC} to this host.",
)
TIMED_OUT = NetworkFailure(
    "connecting timed out",
    f"A firewall may be dropping the traffic: allow outbound {TRAFFIC} to this host.",
)
NO_ROUTE = NetworkFailure(
    "there is no network route to this host",
    f"Check the network of the connector's machine and that outbound {TRAFFIC} is allowed.",
)
_DNS_WORDS = (
    "name or service not known",
    "temporary failure in name resolution",
    "nodename nor servname",
    "getaddrinfo failed",
    "failed to resolve",
    "no address associated",
)


def host_of(request: requests.PreparedRequest | None) -> str:
    return host_of_url(request.url if request is not None else None)


def host_of_url(url: str | None) -> str:
    return (urlsplit(url).hostname if url else None) or "TikTok"


def traffic_of(url: str | None) -> str:
    """`HTTPS (port 443)` for TikTok's API, `HTTP (port 8080)` for `http://host:8080/…`."""
    parts = urlsplit(url or "")
    scheme = parts.scheme.lower() if parts.scheme.lower() in DEFAULT_PORTS else "https"
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:  # a port that is not a number: the URL itself is the problem, named elsewhere
        port = DEFAULT_PORTS[scheme]
    return f"{scheme.upper()} (port {port})"


def classify(error: BaseException) -> NetworkFailure | None:
    """What kind of "cannot reach the host" `error` is; None when it is not one (resets included)."""
    if isinstance(error, requests.exceptions.SSLError):
        return _tls_failure(str(error))
    if isinstance(error, requests.exceptions.ProxyError):
        return PROXY
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return TIMED_OUT
    if not isinstance(error, requests.exceptions.ConnectionError):
        return None
    reason = _reason(error)
    text = str(error).lower()
    if isinstance(reason, NameResolutionError) or any(words in text for words in _DNS_WORDS):
        return DNS
    if not isinstance(reason, NewConnectionError):
        return None
    if "refused" in text:
        return REFUSED
    if "no route to host" in text or "network is unreachable" in text:
        return NO_ROUTE
    if "timed out" in text:
        return TIMED_OUT
    return None


def _tls_failure(text: str) -> NetworkFailure:
    if "CERTIFICATE_VERIFY_FAILED" not in text:
        return NetworkFailure("the TLS handshake failed", TLS_FIX, FailureType.config_error)
    detail = _VERIFY_DETAIL.search(text)
    why = f" ({detail.group(1).strip()})" if detail else ""
    return NetworkFailure(
        f"its TLS certificate could not be verified{why}", TLS_FIX, FailureType.config_error
    )


def _reason(error: requests.exceptions.ConnectionError) -> BaseException | None:
    """urllib3's own error behind requests' (a `MaxRetryError`'s `reason`)."""
    wrapped = error.args[0] if error.args else None
    return getattr(wrapped, "reason", wrapped if isinstance(wrapped, BaseException) else None)
