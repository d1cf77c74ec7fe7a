"""Who the token is and what it may see: `oauth2/advertiser/get/`, `user/info/`, `advertiser/info/`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import credentials, oauth
from .entity_fields import ADVERTISER_FIELDS, ADVERTISER_OPTIONAL_FIELDS
from .errors import ApiError, bad_param
from .params import json_param, str_list

if TYPE_CHECKING:
    from .call import Call
    from .server import Emulator

# The documented advertiser/info limit could not be confirmed [?]; 100 is the value every
# connector uses, so more than that is refused.
MAX_ADVERTISER_INFO_IDS = 100


def route_oauth_advertisers(emu: Emulator, call: Call) -> dict[str, Any]:
    if emu.sandbox:
        # The sandbox has no advertiser listing; the exact error it returns is unknown [?].
        raise ApiError(40001, "oauth2/advertiser/get/ is not available in the sandbox environment.")
    missing = [name for name in ("app_id", "secret") if not call.params.get(name)]
    if missing:
        raise bad_param(" ".join(f"{name}: Missing data for required field." for name in missing))
    if call.params["app_id"] != credentials.APP_ID or call.params["secret"] != credentials.APP_SECRET:
        # TikTok's code for a wrong app id/secret pair is not documented [?]; 40001 is a guess.
        raise ApiError(40001, "App credentials are invalid: app_id and secret do not match.")
    return {
        "list": [
            {"advertiser_id": adv_id, "advertiser_name": emu.dataset.advertiser(adv_id)["name"]}
            for adv_id in call.visible
        ]
    }


def route_user_info(emu: Emulator, call: Call) -> dict[str, Any]:
    if emu.sandbox:
        # Whether the sandbox answers user/info/ is unknown [?]; refusing exercises the stricter path.
        raise ApiError(40001, "user/info/ is not available in the sandbox environment.")
    return dict(oauth.AUTHORIZED_USER)


def route_advertiser_info(emu: Emulator, call: Call) -> dict[str, Any]:
    if emu.sandbox:
        # Reported not to work in the sandbox; the exact error is unknown [?].
        raise ApiError(40001, "advertiser/info/ is not available in the sandbox environment.")
    ids = str_list(json_param(call.params, "advertiser_ids", list, required=True), "advertiser_ids")
    if not ids:
        raise bad_param("advertiser_ids: Length must be between 1 and 100.")
    if len(ids) > MAX_ADVERTISER_INFO_IDS:
        raise bad_param(f"advertiser_ids: Length must be between 1 and {MAX_ADVERTISER_INFO_IDS}.")
    fields = json_param(call.params, "fields", list)
    if fields is not None:
        fields = str_list(fields, "fields")
        allowed = set(ADVERTISER_FIELDS) | set(ADVERTISER_OPTIONAL_FIELDS)
        unknown = [f for f in fields if f not in allowed]
        if unknown:
            raise bad_param(f"fields: Invalid field(s) {unknown}.")
    for adv_id in ids:
        emu.check_advertiser(call, adv_id)
    return {"list": [emu.dataset.advertiser_info(adv_id, fields) for adv_id in dict.fromkeys(ids)]}
