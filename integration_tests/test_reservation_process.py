"""Reservation delivery (TopView, Reach & Frequency) below advertiser level: read from AUCTION reports
with a buying-type filter, so that ad-level rows of every buying type add up to the advertiser's total.
Whether TikTok also returns R&F rows without the filter is not documented [?]: both ways are run."""

from __future__ import annotations

from collections import Counter

import pytest
from conftest import END, END_DATE, START_DATE
from harness import configured_catalog, discovered_catalog, emulator_config, run_connector
from tiktok_emulator import Dataset, DatasetSpec, Emulator

STREAMS = ["advertisers_reports_daily", "campaigns_reports_daily", "ads_reports_daily"]


@pytest.mark.parametrize("rf_in_unfiltered_reports", [True, False])
def test_ad_rows_of_every_buying_type_add_up_to_the_advertiser_total(rf_in_unfiltered_reports: bool) -> None:
    dataset = Dataset.generate(
        DatasetSpec(
            advertisers=2,
            campaigns_per_advertiser=4,
            adgroups_per_campaign=1,
            ads_per_adgroup=2,
            days=5,
            end_date=END,
            seed=3,
            topview_every=4,
            rf_every=2,
            rf_in_unfiltered_reports=rf_in_unfiltered_reports,
        )
    )
    buying = {c["campaign_id"]: dataset.buying_type(c["campaign_id"]) for c in dataset.campaigns}
    assert set(buying.values()) == {"AUCTION", "RESERVATION_RF", "RESERVATION_TOP_VIEW"}
    with Emulator(dataset) as emulator:
        config = emulator_config(
            emulator.base_url, start_date=START_DATE, end_date=END_DATE, include_deleted=True
        )
        run = run_connector("read", config, configured_catalog(discovered_catalog(config), STREAMS))
    assert run.returncode == 0 and not run.errors(), run.stderr[-2000:]

    def spend(name: str) -> dict[tuple[str, str], float]:
        totals: dict[tuple[str, str], float] = {}
        for record in run.records(name):
            key = (record["advertiser_id"], record["stat_time_day"])
            totals[key] = round(totals.get(key, 0.0) + record["metrics"]["spend"], 3)
        return totals

    advertiser = spend("advertisers_reports_daily")
    assert advertiser and spend("campaigns_reports_daily") == advertiser == spend("ads_reports_daily")
    reported = {buying[r["campaign_id"]] for r in run.records("campaigns_reports_daily")}
    assert reported == {"AUCTION", "RESERVATION_RF", "RESERVATION_TOP_VIEW"}
    for name, key in (("campaigns_reports_daily", "campaign_id"), ("ads_reports_daily", "ad_id")):
        keys = Counter((r[key], r["stat_time_day"]) for r in run.records(name))
        assert max(keys.values()) == 1, f"{name}: a row emitted twice"
