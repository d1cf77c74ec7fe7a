"""The benchmark script runs end to end and its figures add up (its speed is not judged here)."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

from source_tiktok_ads.reports.activity import BUYING_TYPE_FILTERS, activity_queries

BENCH = Path(__file__).resolve().parent.parent / "bench" / "run.py"
STREAMS = ["campaigns", "ads_reports_daily", "ads_reports_hourly"]


def test_a_small_benchmark_prints_consistent_totals_and_per_stream_rows() -> None:
    completed = subprocess.run(
        [sys.executable, str(BENCH), "--size", "small", "--streams", ",".join(STREAMS), "--per-stream"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    output = completed.stdout

    def figure(label: str) -> float:
        match = re.search(rf"^{label}\s+([\d.]+)", output, re.MULTILINE)
        assert match, f"no '{label}' line in:\n{output}"
        return float(match.group(1))

    assert figure("exit code") == 0
    records = figure("records")
    requests_made = figure("requests")
    minimum = int(re.search(r"minimum TikTok's rules allow: (\d+)", output).group(1))  # type: ignore[union-attr]
    assert records > 0
    # Fewer requests than the span rules allow would mean lost pages. The extra ones are the advertiser's
    # TopView and Reach & Frequency look-ups, which decide whether reports ask for those rows separately,
    # and the queries that tell its days with delivery (one 30-day window here, every buying type at most).
    activity = len(
        activity_queries("advertiser", (date(2026, 1, 1), date(2026, 1, 30)), tuple(BUYING_TYPE_FILTERS))
    )
    assert minimum <= requests_made <= minimum + 2 + activity
    assert figure("throttled answers") == 0

    table = output[output.index("stream ") :].splitlines()[1:]
    rows = {line.split()[0]: [float(value) for value in line.split()[1:]] for line in table}
    assert list(rows) == STREAMS  # emitted in catalog order, one row each
    assert sum(row[0] for row in rows.values()) == records
    # One advertiser and 30 days: one request per hourly window, one 30-day window daily, the
    # campaigns listing asked for twice (all, then TopView alone); plus the advertiser look-ups.
    assert [row[2] for row in rows.values()] == [2, 1, 30]
    assert minimum == 2 + sum(row[2] for row in rows.values())
