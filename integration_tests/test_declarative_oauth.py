"""The spec's OAuth block run the way the Airbyte platform runs it, against the emulator's TikTok OAuth.

`declarative_oauth` renders the declared templates as the platform does; the URLs it produces name
TikTok's hosts, and these tests send them to the emulator instead (same path and query).
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
import requests
from airbyte_cdk.models import AirbyteMessage, AirbyteMessageSerializer, Status, Type
from declarative_oauth import (
    OAuthFlowError,
    config_patch,
    consent_url,
    extract_output,
    java_url_encode,
    redirect_code_and_state,
    render,
    template_values,
    token_request,
)
from harness import emulator_config
from tiktok_emulator import Emulator, credentials
from tiktok_emulator.oauth import REGISTERED_REDIRECT_URIS

from source_tiktok_ads import SourceTiktokAds

SAMPLE_APP_ID = "7123456789012345678"
REDIRECT_URI = "https://airbyte.example.com/auth_flow"
STATE = "Xy7kQ2pLm9"
TIKTOK_ORIGIN = "https://business-api.tiktok.com"
LOGGER = logging.getLogger("airbyte")


@pytest.fixture(scope="module")
def oauth_config() -> dict[str, Any]:
    """`oauth_config_specification` exactly as `spec` prints it."""
    spec = SourceTiktokAds().spec(LOGGER)
    printed = orjson.loads(
        orjson.dumps(AirbyteMessageSerializer.dump(AirbyteMessage(type=Type.SPEC, spec=spec)))
    )
    return printed["spec"]["advanced_auth"]["oauth_config_specification"]


@pytest.fixture(scope="module")
def flow(oauth_config: dict[str, Any]) -> dict[str, Any]:
    return oauth_config["oauth_connector_input_specification"]


def on_emulator(url: str, emulator: Emulator) -> str:
    assert url.startswith(TIKTOK_ORIGIN + "/")
    return f"http://127.0.0.1:{emulator.port}" + url[len(TIKTOK_ORIGIN) :]


def approve(flow: dict[str, Any], emulator: Emulator, state: str = STATE) -> str:
    """The advertiser approves on the consent page; returns the auth code the platform reads back."""
    redirect_uri = sorted(REGISTERED_REDIRECT_URIS)[0]
    url = consent_url(flow, credentials.APP_ID, redirect_uri, state)
    response = requests.get(on_emulator(url, emulator), allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(redirect_uri + "?")
    code, returned_state = redirect_code_and_state(flow, location)
    assert returned_state == state
    return code


def exchange(flow: dict[str, Any], emulator: Emulator, code: str) -> dict[str, Any]:
    request = token_request(
        flow, credentials.APP_ID, credentials.APP_SECRET, code, sorted(REGISTERED_REDIRECT_URIS)[0], STATE
    )
    response = requests.post(
        on_emulator(request.url, emulator), data=request.body, headers=request.headers, timeout=5
    )
    assert response.status_code == 200
    return response.json()


def test_consent_url_is_tiktoks_advertiser_authorization_link(flow: dict[str, Any]) -> None:
    url = consent_url(flow, SAMPLE_APP_ID, REDIRECT_URI, STATE)
    assert url == (
        "https://business-api.tiktok.com/portal/auth?app_id=7123456789012345678&state=Xy7kQ2pLm9"
        "&redirect_uri=https%3A%2F%2Fairbyte.example.com%2Fauth_flow"
    )
    query = parse_qs(urlsplit(url).query)
    assert query == {"app_id": [SAMPLE_APP_ID], "state": [STATE], "redirect_uri": [REDIRECT_URI]}


def test_token_request_is_tiktoks_json_exchange(flow: dict[str, Any]) -> None:
    request = token_request(flow, SAMPLE_APP_ID, "the-app-secret", "the-auth-code", REDIRECT_URI, STATE)
    assert request.url == "https://business-api.tiktok.com/open_api/v1.3/oauth2/access_token/"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.body) == {
        "app_id": SAMPLE_APP_ID,
        "secret": "the-app-secret",
        "auth_code": "the-auth-code",
    }


def test_the_whole_flow_fills_in_a_config_that_passes_check(
    oauth_config: dict[str, Any], flow: dict[str, Any], emulator: Emulator
) -> None:
    answer = exchange(flow, emulator, approve(flow, emulator))
    assert answer["code"] == 0
    outputs = extract_output(flow, answer)
    server_inputs = {"app_id": credentials.APP_ID, "secret": credentials.APP_SECRET}
    patch = config_patch(oauth_config, outputs, server_inputs)
    assert patch == {
        "credentials": {
            "access_token": credentials.ACCESS_TOKEN,
            "app_id": credentials.APP_ID,
            "secret": credentials.APP_SECRET,
        }
    }
    # The config the platform saves: the option chosen in the form plus what the flow wrote.
    config = emulator_config(emulator.base_url)
    config["credentials"] = {"auth_type": "oauth2.0", **patch["credentials"]}
    status = SourceTiktokAds().check(LOGGER, config)
    assert status.status == Status.SUCCEEDED, status.message


def test_a_used_code_is_refused_and_the_flow_stops(flow: dict[str, Any], emulator: Emulator) -> None:
    code = approve(flow, emulator)
    assert exchange(flow, emulator, code)["code"] == 0
    again = exchange(flow, emulator, code)
    assert again["code"] == 40110
    with pytest.raises(OAuthFlowError, match="access_token"):
        extract_output(flow, again)


def test_an_expired_code_is_refused(
    flow: dict[str, Any], emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = approve(flow, emulator)
    monkeypatch.setattr(emulator.auth_codes, "ttl_seconds", -1.0)
    assert exchange(flow, emulator, code)["code"] == 40110


def test_a_form_encoded_exchange_would_be_refused(flow: dict[str, Any], emulator: Emulator) -> None:
    """The spec must make the platform send JSON: the same fields form-encoded do not get a token."""
    form_flow = {**flow, "access_token_headers": {"Content-Type": "application/x-www-form-urlencoded"}}
    assert exchange(form_flow, emulator, approve(flow, emulator))["code"] == 40002


def test_consent_refuses_a_redirect_url_not_registered_for_the_app(
    flow: dict[str, Any], emulator: Emulator
) -> None:
    url = consent_url(flow, credentials.APP_ID, "https://elsewhere.example.com/auth_flow", STATE)
    response = requests.get(on_emulator(url, emulator), allow_redirects=False, timeout=5)
    assert response.status_code == 400 and "redirect_uri" in response.text


def test_renderer_follows_the_platforms_variables_and_encoding() -> None:
    flow = {"consent_url": "x", "client_id_key": "app_id"}
    values = template_values(flow, "42", "http://h/a b", state="s")
    assert values["app_id"] == values["client_id_value"] == "42"
    assert values["client_id_param"] == "app_id=42"
    assert values["redirect_uri_param"] == "redirect_uri=http%3A%2F%2Fh%2Fa+b"
    assert java_url_encode("a~b*c.d-e_f") == "a%7Eb*c.d-e_f"
    with pytest.raises(OAuthFlowError):
        render("{{ client_id_vaule }}", values)
