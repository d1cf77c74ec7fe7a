from __future__ import annotations

import os
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from hypothesis import settings

TOKEN = "unit-test-token-7d3f"
APP_SECRET = "unit-test-app-secret-91ab"
BASE_URL = "https://business-api.tiktok.com/open_api/v1.3/"


def raw_config(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "credentials": {
            "auth_type": "oauth2.0",
            "app_id": "7001",
            "secret": APP_SECRET,
            "access_token": TOKEN,
        },
        "start_date": "2026-10-01",
        # The advertiser-level activity query would join every mocked report endpoint's answers; the tests
        # of skipping (test_sparse_reads.py) turn it on.
        "skip_days_without_delivery": False,
    }
    config.update(overrides)
    return config


def envelope(data: Any = None, code: int = 0, message: str = "OK") -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "request_id": "2026112600000001",
        "data": {} if data is None else data,
    }


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retries wait for real in production; here they record the wait and return at once."""
    waits: list[float] = []
    monkeypatch.setattr("time.sleep", lambda seconds: waits.append(seconds))
    return waits


def freeze_report_today(monkeypatch: pytest.MonkeyPatch, today: date) -> None:
    """The report streams read up to the advertiser's today: fixed at noon UTC of `today`, so a test
    that expects windows ending on `today` holds even when the run crosses midnight."""
    from source_tiktok_ads.reports import stream

    noon = datetime.combine(today, time(12), UTC)

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return noon if tz is None else noon.astimezone(tz)

    monkeypatch.setattr(stream, "datetime", Frozen)


# CI runs the property tests on a fixed sequence of examples, so a submission's result does not depend
# on the draw; local runs keep exploring new examples.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
