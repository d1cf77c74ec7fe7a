"""How long the connector waits before it asks again, as one factor on every retry wait and throttling pause.

A sync waits the full times: TikTok sends no Retry-After, and its limits are per app. Against the bundled
emulator, a test that counts what happens after the Nth retry, or a demo, has no reason to sit through those
waits, so `RETRY_WAIT_SCALE_ENV` shrinks them all by one factor. The request rate is not scaled: it is a
config setting (`requests_per_second`), and a test of the pacing reads it as a sync does.

The read timeout is a wait too: `READ_TIMEOUT_ENV` shortens it (in seconds), so that a test of what the
connector does when TikTok answers too slowly needs an emulator slower than a second, not than two minutes.
"""

from __future__ import annotations

import os

RETRY_WAIT_SCALE_ENV = "SOURCE_TIKTOK_ADS_RETRY_WAIT_SCALE"
READ_TIMEOUT_ENV = "SOURCE_TIKTOK_ADS_READ_TIMEOUT_SECONDS"


def retry_wait_scale() -> float:
    """`RETRY_WAIT_SCALE_ENV` when set to a number in (0, 1], else 1: the environment can shorten waits, never
    lengthen them."""
    try:
        scale = float(os.environ.get(RETRY_WAIT_SCALE_ENV, ""))
    except ValueError:
        return 1.0
    return scale if 0 < scale <= 1 else 1.0


def read_timeout(default: float) -> float:
    """`READ_TIMEOUT_ENV` when set to a number of seconds in (0, `default`], else `default`."""
    try:
        seconds = float(os.environ.get(READ_TIMEOUT_ENV, ""))
    except ValueError:
        return default
    return seconds if 0 < seconds <= default else default
