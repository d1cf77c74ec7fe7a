"""Shared fixtures: one emulator per test module, and the acceptance tests' session-wide emulator and read."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from acceptance_session import acceptance_full_read, acceptance_world  # noqa: F401  (session fixtures)
from tiktok_emulator import Dataset, DatasetSpec, Emulator

DAYS = 10
# Two days back: every advertiser's local "today" is at or after it, whatever its time zone, so the
# connector reads exactly the emulator's days.
END = datetime.now(UTC).date() - timedelta(days=2)
END_DATE = END.isoformat()
START_DATE = (END - timedelta(days=DAYS - 1)).isoformat()


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return Dataset.generate(
        DatasetSpec(
            advertisers=2,
            campaigns_per_advertiser=3,
            adgroups_per_campaign=2,
            ads_per_adgroup=2,
            days=DAYS,
            end_date=END,
            seed=7,
            topview_every=3,
            smart_plus_every=4,
        )
    )


@pytest.fixture(scope="module")
def emulator(dataset: Dataset) -> Iterator[Emulator]:
    with Emulator(dataset) as running:
        yield running
