"""Who authorized the token: the TikTok for Business user `check` names before the advertisers.

`user/info/` is documented to return the authorizing user's `display_name` and `email`, but no recorded
answer confirms the shape or that every app may call it [?]. The lookup is informative only, so it is
tried once (a user waiting on `check` should not wait out retries for a name), and any refusal or odd
answer is logged and the check goes on.
"""

from __future__ import annotations

import logging
from typing import Any

from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .api.client import TikTokApi
from .config import TikTokAdsConfig

USER_INFO_PATH = "user/info/"


def describe_user(data: Any) -> str | None:
    """`Name <email>` from a `user/info/` answer, or None when it names nobody."""
    if not isinstance(data, dict):
        return None
    name = str(data.get("display_name") or "").strip()
    email = str(data.get("email") or "").strip()
    if name and email:
        return f"{name} <{email}>"
    return name or (f"<{email}>" if email else None)


def log_connected_user(config: TikTokAdsConfig, logger: logging.Logger) -> None:
    """Log `Connected as <name> <email>`; never raises."""
    # The HTTP client logs a failed request at ERROR level (with a traceback); here that would put errors
    # in a check that succeeds, so it gets a logger of its own and the outcome is told below in one line.
    quiet = logger.getChild("connected_user")
    quiet.setLevel(logging.CRITICAL)
    api = TikTokApi(config.api_base_url, config.credentials.access_token, quiet, max_retries=0)
    try:
        who = describe_user(api.get(USER_INFO_PATH, {}).data)
    except AirbyteTracedException as error:
        reason = error.internal_message or error.message
        logger.info(f"TikTok did not say which user authorized this token ({USER_INFO_PATH}: {reason}).")
        return
    except Exception as error:  # an optional lookup must not fail the check, whatever goes wrong
        logger.info(
            f"TikTok did not say which user authorized this token ({USER_INFO_PATH}: {type(error).__name__})."
        )
        return
    if who is None:
        logger.info(f"TikTok's {USER_INFO_PATH} answer names no user.")
        return
    logger.info(f"Connected as {who}.")
