"""Requests in flight follow the request time: more of them when TikTok answers slowly, within
num_workers; and the connector's commands run without the CDK's package-level imports."""

from __future__ import annotations

import re
import sys

from conftest import END_DATE, START_DATE
from harness import configured_catalog, discovered_catalog, emulator_config, run_connector
from tiktok_emulator import Emulator, FaultPlan

# One request per advertiser and day each: enough requests for the sizing to settle.
STREAMS = [
    "ads_reports_hourly",
    "ad_groups_reports_hourly",
    "campaigns_reports_hourly",
    "advertisers_reports_hourly",
]


def read_with_latency(emulator: Emulator, latency_ms: int, **overrides: object) -> tuple[int, str]:
    config = emulator_config(emulator.base_url, start_date=START_DATE, end_date=END_DATE, **overrides)
    catalog = configured_catalog(discovered_catalog(config), STREAMS)
    emulator.faults = FaultPlan(latency_ms=latency_ms)
    emulator.reset_counters()
    try:
        run = run_connector("read", config, catalog)
    finally:
        emulator.faults = FaultPlan()
    assert run.returncode == 0, run.stdout[-2000:]
    summary = next(
        m["log"]["message"] for m in run.of_type("LOG") if "Requests in flight" in m["log"]["message"]
    )
    return emulator.stats()["most_in_flight"], summary


def test_slow_answers_put_more_requests_in_flight_within_num_workers(emulator: Emulator) -> None:
    fast, fast_summary = read_with_latency(emulator, 0, requests_per_second=20)
    slow, slow_summary = read_with_latency(emulator, 300, requests_per_second=20)
    assert fast <= 2, fast_summary
    assert slow > fast, (fast_summary, slow_summary)
    assert slow <= 6, slow_summary  # num_workers, the upper bound
    # 20/s x 0.3 s: about 6 wanted, 6 allowed.
    assert re.search(r"limit up to 6 \(of num_workers 6\)", slow_summary), slow_summary


def test_num_workers_set_by_the_user_caps_the_requests_in_flight(emulator: Emulator) -> None:
    most, summary = read_with_latency(emulator, 300, requests_per_second=20, num_workers=3)
    assert most <= 3, summary
    assert "limit up to 3 (of num_workers 3)" in summary


# Runs the entry point and reports whether `airbyte_cdk/__init__.py` ran, whether the protocol serializers
# were built without attribute docstrings, and the peak memory.
ENTRY_POINT = [
    sys.executable,
    "-c",
    "import atexit, re, sys\n"
    "from source_tiktok_ads.cdk_adapter import package_exports_ran, protocol_schema_docs_skipped\n"
    "def report():\n"
    "    peak = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
    "    sys.stderr.write(f'EXPORTS_RAN={package_exports_ran()} DOCS_SKIPPED={protocol_schema_docs_skipped()} '\n"
    "                     f'PEAK_KB={peak}\\n')\n"
    "atexit.register(report)\n"
    "from source_tiktok_ads.run import run\n"
    "sys.argv = ['source-tiktok-ads', *sys.argv[1:]]\n"
    "run()\n",
]


def test_every_command_works_without_the_cdk_package_imports(emulator: Emulator) -> None:
    config = emulator_config(emulator.base_url, start_date=START_DATE, end_date=END_DATE)
    spec = run_connector("spec", entry_point=ENTRY_POINT)
    check = run_connector("check", config, entry_point=ENTRY_POINT)
    discover = run_connector("discover", config, entry_point=ENTRY_POINT)
    catalog = configured_catalog(discover.catalog, ["ads", "ads_reports_daily"], incremental=True)
    read = run_connector("read", config, catalog, entry_point=ENTRY_POINT)
    for run in (spec, check, discover, read):
        assert run.returncode == 0, run.stdout[-2000:]
        assert "EXPORTS_RAN=False DOCS_SKIPPED=True" in run.stderr, run.stderr[-2000:]
    assert spec.of_type("SPEC")
    assert check.of_type("CONNECTION_STATUS")[0]["connectionStatus"]["status"] == "SUCCEEDED"
    assert read.records_by_stream()["ads_reports_daily"]
    assert read.stream_states()
