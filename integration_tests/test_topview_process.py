"""TopView delivery: TikTok leaves it out of reports below advertiser level unless asked for by buying
type. With it, ad-level spend adds up to the advertiser's, as in TikTok Ads Manager."""

from __future__ import annotations

from conftest import END_DATE, START_DATE
from harness import configured_catalog, discovered_catalog, emulator_config, run_connector
from tiktok_emulator import Dataset, Emulator

STREAMS = ["advertisers_reports_daily", "campaigns_reports_daily", "ads_reports_daily"]


def test_report_spend_reconciles_with_topview_campaigns(emulator: Emulator, dataset: Dataset) -> None:
    assert any(dataset.is_top_view(campaign["campaign_id"]) for campaign in dataset.campaigns)
    config = emulator_config(
        emulator.base_url, start_date=START_DATE, end_date=END_DATE, include_deleted=True
    )
    run = run_connector("read", config, configured_catalog(discovered_catalog(config), STREAMS))
    assert run.returncode == 0, run.stdout[-2000:]
    totals = {name: round(sum(r["metrics"]["spend"] for r in run.records(name)), 2) for name in STREAMS}
    assert (
        totals["ads_reports_daily"]
        == totals["campaigns_reports_daily"]
        == totals["advertisers_reports_daily"]
        > 0
    )
    topview_ids = {c["campaign_id"] for c in dataset.campaigns if dataset.is_top_view(c["campaign_id"])}
    assert {r["campaign_id"] for r in run.records("campaigns_reports_daily")} & topview_ids
