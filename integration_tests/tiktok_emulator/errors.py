"""TikTok's error answers: the exception a route raises, and the messages TikTok words them with."""

from __future__ import annotations

from . import credentials

RATE_LIMIT_MESSAGE = "Due to too many requests, requests from App [{app}] are temporarily restricted."
ADVERTISER_QPS_MESSAGE = "Advertiser ({adv})'s QPS ({qps}) reaches QPS limit {cap} for current path, request is temporarily restricted."
QUERY_TOO_LARGE_MESSAGE = (
    "Your query is too large, please reduce the query size (e.g. fewer metrics or time range) "
    "and retry after a while."
)
DAILY_QUOTA_MESSAGE = (
    "Due to too many requests, requests from App [{app}] are restricted: the daily request limit (QPD) "
    "is reached. Please retry after 00:00 UTC."
)
MAINTENANCE_MESSAGE = "Service maintenance: the service is temporarily unavailable, please retry later."
# What an injected error code (`FaultPlan.code`) says.
CODE_MESSAGES = {
    40016: "Requests made too frequently.",
    40100: RATE_LIMIT_MESSAGE.format(app=credentials.APP_ID),
    40200: "Task error.",
    40201: "Task is not ready.",
    40202: "Conflict while writing or updating the entity.",
    40700: "Internal service validation error.",
    50000: "System error.",
    50001: "Service temporarily unavailable.",
    50002: "Error processing the request; please try again later.",
    51305: "Satellite service error.",
    60001: "Service maintenance: UV metric temporarily unavailable",
}


class ApiError(Exception):
    """An answer with a non-zero `code`: TikTok's HTTP status stays 200."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def bad_param(message: str) -> ApiError:
    """40002, TikTok's code for a parameter that breaks one of its rules."""
    return ApiError(40002, message)


def not_in_sandbox(sandbox: bool, path: str) -> None:
    """Endpoints that exist in production only; the exact sandbox error is unknown [?]."""
    if sandbox:
        raise ApiError(40001, f"{path} is not available in the sandbox environment.")
