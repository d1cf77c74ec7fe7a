"""HTTP plumbing: the request handler that turns GET/POST requests into emulator calls and writes answers.

API calls (`/open_api/v1.3/…`) go to `Emulator.respond`; `/_emulator/…` is the admin surface (stats,
fault plan, counter reset); `/portal/auth` is the OAuth consent page.
"""

from __future__ import annotations

import json
import socket
import struct
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from . import oauth
from .faults import FaultPlan
from .responses import NOT_FOUND, TEXT

if TYPE_CHECKING:
    from .server import Emulator

API_PREFIX = "/open_api/v1.3/"
ADMIN_PREFIX = "/_emulator/"


def make_handler(emu: Emulator) -> type[BaseHTTPRequestHandler]:
    """A handler class bound to one emulator."""
    return type("Handler", (EmulatorHandler,), {"emu": emu})


def _query_params(query: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}


class EmulatorHandler(BaseHTTPRequestHandler):
    emu: Emulator
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without this, Nagle plus delayed ACKs hold back
    # every keep-alive answer by a delayed-ACK interval.
    disable_nagle_algorithm = True
    server_version = "tiktok-emulator"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # --- GET: the API, the admin reads, the consent page ---------------------------------------------

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path.startswith(ADMIN_PREFIX):
            self._admin_get(url.path[len(ADMIN_PREFIX) :])
            return
        if url.path == oauth.CONSENT_PATH:
            self._consent(url.query)
            return
        if not url.path.startswith(API_PREFIX):
            self._send(*NOT_FOUND)
            return
        answer = self.emu.respond(
            url.path[len(API_PREFIX) :], _query_params(url.query), self.headers.get("Access-Token")
        )
        if answer.reset:
            self._reset_mid_body(answer.status, answer.content_type, answer.body)
            return
        self._send(answer.status, answer.content_type, answer.body, answer.headers)

    def _admin_get(self, name: str) -> None:
        if name == "stats":
            self._json(200, self.emu.stats())
        elif name == "faults":
            self._json(200, self.emu.faults.to_dict())
        else:
            self._send(*NOT_FOUND)

    def _consent(self, query: str) -> None:
        try:
            location = oauth.consent_redirect(_query_params(query), self.emu.auth_codes)
        except oauth.ConsentRefused as refused:
            self._send(400, TEXT, str(refused).encode())
            return
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    # --- POST: the token exchange, the admin writes ----------------------------------------------------

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if url.path == ADMIN_PREFIX + "faults":
            self._set_faults(raw)
        elif url.path == API_PREFIX + oauth.ACCESS_TOKEN_PATH:
            self._send(*self.emu.exchange_auth_code(raw, self.headers.get("Content-Type")))
        elif url.path == ADMIN_PREFIX + "reset":
            self.emu.reset_counters()
            self._json(200, {"ok": True})
        else:
            # Every read endpoint of the API is GET-only; the token exchange above is the one POST.
            self._send(405, TEXT, b"405 method not allowed")

    def _set_faults(self, raw: bytes) -> None:
        try:
            self.emu.faults = FaultPlan.from_dict(json.loads(raw or b"{}"))
        except (ValueError, TypeError) as err:
            self._json(400, {"ok": False, "error": str(err)})
            return
        self._json(200, {"ok": True, "faults": self.emu.faults.to_dict()})

    # --- writing answers ---------------------------------------------------------------------------------

    def _send(
        self, status: int, content_type: str, body: bytes, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        try:
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            # The client stopped waiting (its read timeout) before a slow answer was ready.
            self.close_connection = True

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        self._send(status, "application/json", json.dumps(payload).encode())

    def _reset_mid_body(self, status: int, content_type: str, body: bytes) -> None:
        """Announce the whole body, send half of it, then reset the connection (a proxy or a
        server dying mid-response)."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        # Linger 0: close() sends RST instead of FIN, so the client sees a reset, not a clean EOF.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()
