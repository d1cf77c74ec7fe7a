"""Requests follow the data on a dense account too: when every day has delivery, the read that skips
days without delivery emits exactly the records of the read that asks every day, and pays only for its
delivery-day queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import END
from sparse_support import STREAMS, assert_same, read, records_of, sparse_spec
from tiktok_emulator import Dataset, Emulator

pytestmark = pytest.mark.slow


def test_a_dense_account_loses_nothing_and_pays_little() -> None:
    dense = Dataset.generate(sparse_spec(delivery_day_percent=100, late_conversion_every=0, days=35))
    with Emulator(dense) as emulator:
        first_day = (END - timedelta(days=34)).isoformat()
        # Each run is reduced to its records' texts at once: two whole runs of this account held side by
        # side would take gigabytes.
        full = records_of(read(emulator, STREAMS, start_date=first_day, skip_days_without_delivery=False))
        full_requests = emulator.request_count()
        assert_same(records_of(read(emulator, STREAMS, start_date=first_day)), full)
        # The activity queries (the account's days and the campaigns' late conversions) of each settled
        # 30 days and advertiser, nothing else.
        assert emulator.request_count() <= full_requests + 2 * 2 * 2
