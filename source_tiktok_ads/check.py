"""The connection check: is the token good, which advertisers does it reach, and can we read them?

Every failure is one sentence saying what is wrong and what to do; nothing here prints a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .advertisers import AdvertiserDirectory
from .api.client import TikTokApi
from .api.errors import AccessDenied, TikTokApiError
from .config import TikTokAdsConfig
from .connected_user import log_connected_user
from .reports.definitions import ReportDefinition
from .reports.gmv_max import GmvMaxReportDefinition
from .reports.gmv_max_custom import gmv_max_probe
from .reports.stream import REPORT_PATH, report_query

ENTITY_PROBE_PATH = "campaign/get/"


class CheckFailed(Exception):
    """A check failure whose message is meant for the user as is."""


def check_connection(
    config: TikTokAdsConfig,
    api: TikTokApi,
    logger: logging.Logger,
    custom_reports: Iterable[ReportDefinition] = (),
) -> None:
    """Return quietly when a sync can start; raise CheckFailed with the fix otherwise."""
    try:
        log_connected_user(config, logger)
        if config.credentials.is_sandbox:
            _check_sandbox(config, api, logger)
            advertiser_ids = config.configured_advertiser_ids
        else:
            advertiser_ids = _check_production(config, api, logger)
        for definition in custom_reports:
            if isinstance(definition, GmvMaxReportDefinition):
                _probe_gmv_max_report(definition, advertiser_ids[0], api, logger)
            else:
                _probe_custom_report(definition, advertiser_ids[0], config, api, logger)
    except CheckFailed:
        raise
    except AirbyteTracedException as error:  # token rejected, retries exhausted, …: already user-facing
        raise CheckFailed(error.message or str(error)) from None


def _check_sandbox(config: TikTokAdsConfig, api: TikTokApi, logger: logging.Logger) -> None:
    for advertiser_id in config.configured_advertiser_ids:
        try:
            api.get(ENTITY_PROBE_PATH, {"advertiser_id": advertiser_id, "page_size": 1})
        except AccessDenied as denied:
            raise CheckFailed(
                f"The sandbox token cannot read advertiser {advertiser_id}: {denied.message}"
            ) from None
    logger.info(
        f"Connected to the TikTok sandbox for advertiser(s) {', '.join(config.configured_advertiser_ids)}."
    )


def _check_production(config: TikTokAdsConfig, api: TikTokApi, logger: logging.Logger) -> list[str]:
    directory = AdvertiserDirectory(config, api, logger)
    accessible = directory.accessible()  # a refusal names the app credentials (`AppCredentialsRefused`)
    if not accessible:
        raise CheckFailed(
            "The access token is valid but reaches no advertiser. Authorize the app for at least one advertiser "
            "(open the app's advertiser authorization link and approve it), then use the new token."
        )
    accessible_ids = {item["advertiser_id"] for item in accessible}
    missing = [
        advertiser_id
        for advertiser_id in config.configured_advertiser_ids
        if advertiser_id not in accessible_ids
    ]
    if missing:
        raise CheckFailed(
            f"The access token cannot access advertiser(s) {', '.join(missing)}. Add this user to each of them in "
            "TikTok Business Center → Accounts → Manage Permissions, then re-authorize the app and use the new "
            f"token. Advertisers this token can access: {', '.join(sorted(accessible_ids))}."
        )
    selected = directory.selected_ids()
    try:
        details = directory.fetch_info(selected)
    except AccessDenied as denied:
        raise CheckFailed(denied.message) from None
    except TikTokApiError as error:
        raise CheckFailed(error.message or str(error)) from None
    names = ", ".join(
        f"{info.get('name')} ({info.get('advertiser_id')}, {info.get('currency')})" for info in details
    )
    logger.info(f"Connected to {len(details)} TikTok advertiser(s): {names}.")
    return selected


def _probe_custom_report(
    definition: ReportDefinition,
    advertiser_id: str,
    config: TikTokAdsConfig,
    api: TikTokApi,
    logger: logging.Logger,
) -> None:
    """One tiny live request (one day, one row) catches what the catalog cannot know."""
    day = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    window = None if definition.uses_query_lifetime else (day, day)
    params = {
        **report_query(definition, advertiser_id, window, config.include_deleted),
        "page": 1,
        "page_size": 1,
    }
    try:
        api.get(REPORT_PATH, params)
    except TikTokApiError as error:
        raise CheckFailed(
            f"Custom report '{definition.name}' was refused by TikTok: {error.message}"
        ) from None
    except AirbyteTracedException as error:
        raise CheckFailed(
            f"Custom report '{definition.name}' was refused by TikTok: {error.message}"
        ) from None
    logger.info(f"Custom report '{definition.name}': TikTok accepted a one-day probe request.")


def _probe_gmv_max_report(
    definition: GmvMaxReportDefinition, advertiser_id: str, api: TikTokApi, logger: logging.Logger
) -> None:
    refusal = gmv_max_probe(definition, advertiser_id, api)
    if refusal:
        raise CheckFailed(f"GMV Max custom report '{definition.name}' was refused by TikTok: {refusal}")
    logger.info(f"GMV Max custom report '{definition.name}': probed with a one-day request.")
