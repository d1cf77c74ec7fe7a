"""What the Airbyte platform does with a spec's declarative OAuth block, redone here so tests can run it.

The platform (`DeclarativeOAuthFlow` and `DeclarativeOAuthSpecHandler` in airbyte-platform) renders the
`oauth_connector_input_specification` templates with Jinja (Jinjava) and these variables:

- every key of the block itself (`consent_url`, `client_id_key`, …), as text;
- the names `client_id_key`, `client_secret_key`, `auth_code_key`, `redirect_uri_key`, `scope_key`,
  `state_key`, defaulting to `client_id`, `client_secret`, `code`, `redirect_uri`, `scope`, `state`;
- for each of those, `<x>_value` (the value itself) and `<x>_param` (`name=value`; the redirect URI and
  scope URL-encoded there), and the value under its own name too (with `client_id_key: app_id`,
  `{{ app_id }}` is the client id).

`urlencode` is Jinjava's filter, which is Java's `URLEncoder` (letters, digits and `.-*_` kept, space
as `+`, everything else `%XX`; Airbyte's docs show `%20` for a space, which no redirect URI has). With `access_token_params` the exchange sends them as a JSON body unless the
declared `Content-Type` says form-encoded; the declared headers replace the default ones. The code and
state come back in the redirect's query under `auth_code_key` and `state_key`. The answer's fields named
by `extract_output` (dotted paths; the key kept is the last part) must all be there, or the flow fails;
they are then written into the config at `complete_oauth_output_specification`'s
`path_in_connector_config`, and the server-side inputs at `complete_oauth_server_output_specification`'s.

Two deliberate differences: an unknown variable is an error here (Jinjava would render it empty, which
would hide a typo in the spec), and only the filters the platform documents for OAuth are offered.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlsplit

import jinja2

KEY_DEFAULTS = {
    "client_id_key": "client_id",
    "client_secret_key": "client_secret",
    "auth_code_key": "code",
    "redirect_uri_key": "redirect_uri",
    "scope_key": "scope",
    "state_key": "state",
}
# Java's URLEncoder leaves these bytes as they are.
_URL_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-*_")
# Characters java.net.URI refuses in a URL (the platform parses every rendered URL with it).
_NOT_IN_A_URI = re.compile(r'[\s"<>\\^`{|}]')


class OAuthFlowError(Exception):
    """Where the platform would stop the flow with an error."""


def java_url_encode(text: str) -> str:
    out = []
    for byte in text.encode("utf-8"):
        if byte in _URL_SAFE:
            out.append(chr(byte))
        elif byte == 0x20:
            out.append("+")
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    env.filters = {
        "urlencode": lambda value: java_url_encode(str(value)),
        "urldecode": lambda value: unquote_plus(str(value)),
        "b64encode": lambda value: base64.b64encode(str(value).encode()).decode(),
        "b64decode": lambda value: base64.b64decode(str(value)).decode(),
    }
    return env


def render(template: str, values: Mapping[str, str]) -> str:
    try:
        return _environment().from_string(template).render(values)
    except jinja2.TemplateError as error:
        raise OAuthFlowError(f"cannot render {template!r}: {error}") from None


def template_values(
    spec: Mapping[str, Any],
    client_id: str,
    redirect_uri: str,
    state: str | None = None,
    client_secret: str | None = None,
    auth_code: str | None = None,
) -> dict[str, str]:
    """The variables a template of `spec` (an `oauth_connector_input_specification`) is rendered with."""
    values: dict[str, Any] = {key: spec.get(key, default) for key, default in KEY_DEFAULTS.items()}
    for key, value in spec.items():
        values.setdefault(key, value if isinstance(value, str) else "")
    supplied = {
        "client_id_key": client_id,
        "client_secret_key": client_secret,
        "auth_code_key": auth_code,
        "redirect_uri_key": redirect_uri,
        "state_key": state,
        "scope_key": spec.get("scope"),
    }
    for key_name, value in supplied.items():
        values[values[key_name]] = value
    for key_name in KEY_DEFAULTS:
        stem = key_name.removesuffix("_key")
        name = values[key_name]
        value = values.get(name)
        encoded = java_url_encode(value) if value is not None and stem in ("redirect_uri", "scope") else value
        values[f"{stem}_value"] = value
        if value is not None:
            values[f"{stem}_param"] = f"{name}={encoded}"
    return {key: value for key, value in values.items() if value is not None}


def _checked_url(url: str) -> str:
    if _NOT_IN_A_URI.search(url):
        raise OAuthFlowError(f"not a valid URL: {url!r}")
    return url


def consent_url(spec: Mapping[str, Any], client_id: str, redirect_uri: str, state: str) -> str:
    values = template_values(spec, client_id, redirect_uri, state=state)
    return _checked_url(render(spec["consent_url"], values))


@dataclass(frozen=True)
class TokenRequest:
    url: str
    headers: dict[str, str]
    body: bytes


def token_request(
    spec: Mapping[str, Any],
    client_id: str,
    client_secret: str,
    auth_code: str,
    redirect_uri: str,
    state: str,
) -> TokenRequest:
    """The POST the platform sends to exchange `auth_code` for a token."""
    values = template_values(spec, client_id, redirect_uri, state, client_secret, auth_code)
    params = {
        render(k, values): render(v, values) for k, v in (spec.get("access_token_params") or {}).items()
    }
    declared = spec.get("access_token_headers") or {}
    headers = {render(k, values): render(v, values) for k, v in declared.items()}
    if not params:
        raise OAuthFlowError("without access_token_params the platform sends plain OAuth 2.0 fields")
    form = headers.get("Content-Type") == "application/x-www-form-urlencoded"
    content_type = "application/x-www-form-urlencoded" if form else "application/json"
    headers = headers or {"Content-Type": content_type, "Accept": "application/json"}
    if form:
        body = "&".join(f"{k}={java_url_encode(v)}" for k, v in params.items())
    else:
        body = json.dumps(params, separators=(",", ":"))
    return TokenRequest(_checked_url(render(spec["access_token_url"], values)), headers, body.encode())


def redirect_code_and_state(spec: Mapping[str, Any], location: str) -> tuple[str, str]:
    """The auth code and state the platform reads from the provider's redirect to it."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    code_key = spec.get("auth_code_key", KEY_DEFAULTS["auth_code_key"])
    state_key = spec.get("state_key", KEY_DEFAULTS["state_key"])
    for key in (code_key, state_key):
        if key not in query:
            raise OAuthFlowError(f"'{key}' is not in the redirect; keys present: {sorted(query)}")
    return query[code_key], query[state_key]


def extract_output(spec: Mapping[str, Any], answer: Any) -> dict[str, Any]:
    """The answer's fields the spec keeps, by their last path part."""
    kept = {}
    for path in spec.get("extract_output") or ["refresh_token"]:
        value: Any = answer
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            raise OAuthFlowError(f"Missing '{path.split('.')[-1]}' field in the OAuth output: {answer}")
        kept[path.split(".")[-1]] = value
    return kept


def config_patch(
    oauth_config: Mapping[str, Any], outputs: Mapping[str, Any], server_inputs: Mapping[str, str]
) -> dict[str, Any]:
    """What the flow writes into the connector config (`oauth_config`: `oauth_config_specification`)."""
    patch: dict[str, Any] = {}
    for section, values in (
        ("complete_oauth_output_specification", outputs),
        ("complete_oauth_server_output_specification", server_inputs),
    ):
        for key, schema in oauth_config.get(section, {}).get("properties", {}).items():
            if key in values:
                *parents, leaf = schema["path_in_connector_config"]
                node = patch
                for parent in parents:
                    node = node.setdefault(parent, {})
                node[leaf] = values[key]
    return patch
