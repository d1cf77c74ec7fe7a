"""Network failures on one TikTok endpoint, made real inside the connector process.

A TLS, DNS or proxy failure is about a host, not a path, so the emulator cannot produce one for a
single endpoint. Instead the connector process is started with a patch of requests' transport that
sends the chosen endpoint's requests, path, query string and app secret unchanged, where
they fail for real: to a TLS server whose certificate nobody trusts, to a host name that does not
resolve, or through a proxy that refuses connections. urllib3 raises and words the errors itself.
Resets and HTTP 500 bodies come from the emulator's own fault plan.
"""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

UNRESOLVABLE_HOST = "tiktok-emulator.invalid"
KINDS = ("tls", "dns", "proxy")

_PATCH = """
import requests.adapters
from urllib.parse import urlsplit, urlunsplit
_send = requests.adapters.HTTPAdapter.send
def _faulty_send(self, request, **kwargs):
    # The request itself is redirected (the client retries this same object), so that the error
    # names the host it failed on, as it would for real.
    parts = urlsplit(request.url)
    if parts.path.endswith({path!r}):
        if {kind!r} == "tls":
            request.url = urlunsplit(("https", "127.0.0.1:{tls_port}", parts.path, parts.query, ""))
        elif {kind!r} == "dns":
            request.url = urlunsplit((parts.scheme, "{host}:{closed_port}", parts.path, parts.query, ""))
        else:
            proxy = "http://127.0.0.1:{closed_port}"
            kwargs["proxies"] = {{"http": proxy, "https": proxy}}
    return _send(self, request, **kwargs)
requests.adapters.HTTPAdapter.send = _faulty_send
"""


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def network_fault_patch(kind: str, path: str, tls_port: int) -> str:
    """Code for `fault_support.patched_command`: `path`'s requests fail with a `kind` failure."""
    assert kind in KINDS, kind
    return _PATCH.format(
        kind=kind, path=path, tls_port=tls_port, host=UNRESOLVABLE_HOST, closed_port=closed_port()
    )


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "untrusted-test-ca")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@contextmanager
def untrusted_tls_server(directory: Path) -> Iterator[int]:
    """A local TLS server with a self-signed certificate: every client handshake fails verification."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*_self_signed(directory))
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            try:
                with context.wrap_socket(connection, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                pass  # the client refused our certificate: the point
            finally:
                connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
