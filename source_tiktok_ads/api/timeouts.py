"""Telling a request TikTok did not answer in time from other failures.

Two forms: the HTTP read timeout (no answer, or a body that stopped arriving, within the client's read
timeout), and TikTok's own answer "Internal service connection timeout. Please try again." in the
envelope, whose code is not documented [?] — it is known by its words.
"""

from __future__ import annotations

import re

import requests
from urllib3.exceptions import ReadTimeoutError

from .envelope import Envelope, envelope_of

_TIMEOUT_WORDS = re.compile(r"\btime[\s-]?out\b|\btimed out\b", re.IGNORECASE)


def says_timeout(envelope: Envelope) -> bool:
    """An error answer whose message says TikTok timed out inside."""
    return envelope.problem is None and envelope.code != 0 and bool(_TIMEOUT_WORDS.search(envelope.message))


def read_timed_out(response_or_exception: requests.Response | Exception | None) -> bool:
    """The request's answer did not come, or stopped coming, within the read timeout."""
    if isinstance(response_or_exception, requests.exceptions.ReadTimeout):
        return True
    if isinstance(response_or_exception, requests.exceptions.ConnectionError):
        # A body that stalls half-way reaches us as a ConnectionError around urllib3's ReadTimeoutError.
        wrapped = response_or_exception.args[0] if response_or_exception.args else None
        return isinstance(wrapped, ReadTimeoutError)
    return False


def timed_out(response_or_exception: requests.Response | Exception | None) -> bool:
    """Either form of a timeout."""
    if isinstance(response_or_exception, requests.Response):
        return response_or_exception.ok and says_timeout(envelope_of(response_or_exception))
    return read_timed_out(response_or_exception)
