"""The emulator's advertiser authorization endpoints, spoken to directly."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from tiktok_emulator import Dataset, Emulator, credentials
from tiktok_emulator.oauth import ACCESS_TOKEN_PATH, AUTHORIZED_USER, CONSENT_PATH, REGISTERED_REDIRECT_URIS


def issued_code(emulator: Emulator) -> str:
    response = requests.get(
        f"http://127.0.0.1:{emulator.port}{CONSENT_PATH}",
        params={
            "app_id": credentials.APP_ID,
            "state": "s1",
            "redirect_uri": sorted(REGISTERED_REDIRECT_URIS)[0],
        },
        allow_redirects=False,
        timeout=5,
    )
    assert response.status_code == 302
    fields = {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}
    assert fields["auth_code"] == fields["code"] and fields["state"] == "s1"
    return fields["auth_code"]


def post_exchange(emulator: Emulator, body: dict) -> dict:
    response = requests.post(
        emulator.base_url + ACCESS_TOKEN_PATH,
        data=json.dumps(body),
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert response.status_code == 200
    return response.json()


def test_a_fresh_code_gets_the_long_term_token_and_the_advertisers(
    emulator: Emulator, dataset: Dataset
) -> None:
    body = {
        "app_id": credentials.APP_ID,
        "secret": credentials.APP_SECRET,
        "auth_code": issued_code(emulator),
    }
    answer = post_exchange(emulator, body)
    assert answer["code"] == 0
    assert answer["data"]["access_token"] == credentials.ACCESS_TOKEN
    assert answer["data"]["advertiser_ids"] == [a["advertiser_id"] for a in dataset.advertisers]
    assert "refresh_token" not in answer["data"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"secret": "not-the-secret"}, 40001),
        ({"auth_code": "never-issued"}, 40110),
        ({"auth_code": ""}, 40002),
    ],
)
def test_a_bad_exchange_is_refused_in_tiktoks_envelope(emulator: Emulator, change: dict, code: int) -> None:
    body = {
        "app_id": credentials.APP_ID,
        "secret": credentials.APP_SECRET,
        "auth_code": issued_code(emulator),
    }
    answer = post_exchange(emulator, {**body, **change})
    assert answer["code"] == code and answer["data"] == {}


def test_user_info_names_the_user_behind_the_token(emulator: Emulator) -> None:
    with_token = requests.get(
        emulator.base_url + "user/info/", headers={"Access-Token": credentials.ACCESS_TOKEN}, timeout=5
    ).json()
    assert with_token["code"] == 0
    assert with_token["data"]["display_name"] == AUTHORIZED_USER["display_name"]
    assert with_token["data"]["email"] == AUTHORIZED_USER["email"]
    assert requests.get(emulator.base_url + "user/info/", timeout=5).json()["code"] == 40104
