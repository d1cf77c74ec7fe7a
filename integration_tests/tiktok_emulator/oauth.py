"""TikTok's advertiser authorization: the consent page, the auth-code exchange and the authorizing user.

The consent page stands in for the advertiser approving the app: it redirects at once, the way TikTok
does after the click, to ``redirect_uri?auth_code=…&code=…&state=…``. Codes are single-use and expire;
a used, expired or unknown code is refused with 40110, as TikTok does.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from typing import Any
from urllib.parse import urlencode

from . import credentials

CONSENT_PATH = "/portal/auth"
ACCESS_TOKEN_PATH = "oauth2/access_token/"

# Sources disagree on the code's lifetime ("1 hour", "10 minutes") [?]: the shorter one.
AUTH_CODE_TTL_SECONDS = 600.0

# The redirect URLs registered for the emulator's app in the developer portal (TikTok allows up to 10).
REGISTERED_REDIRECT_URIS = frozenset(
    {"http://localhost:8000/auth_flow", "https://airbyte.example.com/auth_flow"}
)

# The permission scope ids a read-only app is granted; the numbers are illustrative [?].
GRANTED_SCOPES = [1, 2, 3, 4]

# What `user/info/` answers for the emulator's tokens. The field names follow TikTok's documentation of
# that endpoint, which could not be checked against a live answer [?].
AUTHORIZED_USER = {
    "core_user_id": "7100000000000000001",
    "display_name": "Emulated Marketer",
    "email": "marketer@example.com",
    "avatar_url": "https://p16-sign.tiktokcdn.com/emulated-avatar.jpeg",
    "create_time": 1700000000,
}


class OAuthError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ConsentRefused(Exception):
    """What TikTok shows as an error page instead of redirecting."""


class AuthCodes:
    """Auth codes handed out by the consent page, each good for one exchange within its lifetime."""

    def __init__(self, ttl_seconds: float = AUTH_CODE_TTL_SECONDS) -> None:
        self.ttl_seconds = ttl_seconds
        self._issued: dict[str, float] = {}
        self._lock = threading.Lock()

    def issue(self) -> str:
        code = "emu-secret-authcode-" + secrets.token_hex(8)
        with self._lock:
            self._issued[code] = time.monotonic()
        return code

    def redeem(self, code: str) -> None:
        with self._lock:
            issued_at = self._issued.pop(code, None)
        if issued_at is None or time.monotonic() - issued_at > self.ttl_seconds:
            raise OAuthError(40110, "Auth code is invalid or expired. Authorize the app again.")


def consent_redirect(params: dict[str, str], codes: AuthCodes) -> str:
    """The Location TikTok redirects to once the advertiser approves the app."""
    if params.get("app_id") != credentials.APP_ID:
        raise ConsentRefused("app_id is missing or unknown.")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in REGISTERED_REDIRECT_URIS:
        raise ConsentRefused("redirect_uri is not registered for this app.")
    code = codes.issue()
    query = {"auth_code": code, "code": code}
    if "state" in params:
        query["state"] = params["state"]
    return f"{redirect_uri}?{urlencode(query)}"


def exchange(
    body: bytes, content_type: str | None, codes: AuthCodes, advertiser_ids: list[str]
) -> dict[str, Any]:
    """The `data` of a successful `oauth2/access_token/` answer; raises OAuthError otherwise."""
    # TikTok documents a JSON body only; a form-encoded one is refused rather than guessed at [?].
    if not (content_type or "").startswith("application/json"):
        raise OAuthError(40002, "Content-Type must be application/json.")
    try:
        fields = json.loads(body or b"null")
    except ValueError:
        raise OAuthError(40002, "The request body is not valid JSON.") from None
    if not isinstance(fields, dict):
        raise OAuthError(40002, "The request body must be a JSON object.")
    missing = [name for name in ("app_id", "secret", "auth_code") if not fields.get(name)]
    if missing:
        raise OAuthError(40002, " ".join(f"{name}: Missing data for required field." for name in missing))
    if fields["app_id"] != credentials.APP_ID or fields["secret"] != credentials.APP_SECRET:
        # The code TikTok uses for a wrong app id/secret pair is not documented [?].
        raise OAuthError(40001, "App credentials are invalid: app_id and secret do not match.")
    codes.redeem(str(fields["auth_code"]))
    return {
        "access_token": credentials.ACCESS_TOKEN,
        "advertiser_ids": list(advertiser_ids),
        "scope": list(GRANTED_SCOPES),
    }
