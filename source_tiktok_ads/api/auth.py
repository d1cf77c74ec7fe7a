from __future__ import annotations

from airbyte_cdk.sources.streams.http.requests_native_auth.abstract_token import AbstractHeaderAuthenticator


class AccessTokenAuthenticator(AbstractHeaderAuthenticator):
    """TikTok wants the raw token in an `Access-Token` header (no "Bearer", no leading space)."""

    def __init__(self, access_token: str) -> None:
        self._access_token = access_token

    @property
    def auth_header(self) -> str:
        return "Access-Token"

    @property
    def token(self) -> str:
        return self._access_token

    def __repr__(self) -> str:  # never show the token, even in a debugger or a traceback
        return "AccessTokenAuthenticator(<hidden>)"
