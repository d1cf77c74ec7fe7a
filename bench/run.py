"""Throughput benchmark: a full read through the real `source-tiktok-ads` entry point against the emulator.

Prints records, requests (counted by the emulator), wall and CPU seconds of the connector process,
µs of CPU per record, records/s, peak RSS, and the fewest requests TikTok's span rules allow for the
catalog. A script, not a test: the figures depend on the machine.

    .venv/bin/python bench/run.py --size small
    .venv/bin/python bench/run.py --size medium --latency-ms 50
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "integration_tests"))
sys.path.insert(0, str(REPO_ROOT))

from harness import configured_catalog, connector_command, emulator_config, run_connector  # noqa: E402

from source_tiktok_ads.reports.definitions import BUILTIN_REPORTS  # noqa: E402
from source_tiktok_ads.reports.windows import MAX_DAYS_DAILY  # noqa: E402

END_DATE = date(2026, 11, 20)


@dataclass(frozen=True)
class Size:
    advertisers: int
    campaigns: int
    adgroups: int
    ads: int
    days: int
    streams: str  # "all" or "daily"


SIZES = {
    "small": Size(1, 3, 2, 2, 30, "all"),
    "medium": Size(2, 10, 5, 4, 90, "all"),
    # A year of 20 advertisers: fewer objects each, so that the emulator (one Python process on the
    # same machine) can serve it in minutes; the BASIC daily reports are the year-long backfill case.
    "large": Size(20, 3, 2, 2, 365, "daily"),
}


def process_cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system) a running process has used so far; None where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_emulator(
    size: Size, latency_ms: int, emulator_flags: list[str]
) -> tuple[subprocess.Popen[str], str]:
    command = [
        sys.executable, "-m", "tiktok_emulator", "--port", "0",
        "--advertisers", str(size.advertisers), "--campaigns", str(size.campaigns),
        "--adgroups", str(size.adgroups), "--ads", str(size.ads), "--days", str(size.days),
        "--end-date", END_DATE.isoformat(), "--latency-ms", str(latency_ms), *emulator_flags,
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=REPO_ROOT / "integration_tests", stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("EMULATOR_URL="):
        process.kill()
        raise SystemExit(f"emulator did not start: {line!r}")
    return process, line.split("=", 1)[1]


def set_faults(base_url: str, plan: dict) -> None:
    root = base_url.split("/open_api/")[0]
    request = urllib.request.Request(
        f"{root}/_emulator/faults",
        data=json.dumps(plan).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


def emulator_stats(base_url: str) -> dict:
    root = base_url.split("/open_api/")[0]
    with urllib.request.urlopen(f"{root}/_emulator/stats", timeout=10) as response:
        return json.load(response)


def advertiser_overhead(size: Size) -> int:
    """Requests any catalog costs first: one listing of the advertisers and their info calls."""
    return 1 + math.ceil(size.advertisers / 100)


def minimum_requests_by_stream(streams: list[str], size: Size) -> dict[str, int]:
    """The fewest requests TikTok's rules allow for each stream on the emulator's data, beyond
    `advertiser_overhead`: for each advertiser every report window (30 days daily, one day hourly, one
    lifetime query) and every entity listing (TopView asked for alone), each costing
    ceil(rows / 1000) pages, at least one."""
    from tiktok_emulator import Dataset, DatasetSpec

    dataset = Dataset.generate(
        DatasetSpec(
            advertisers=size.advertisers,
            campaigns_per_advertiser=size.campaigns,
            adgroups_per_campaign=size.adgroups,
            ads_per_adgroup=size.ads,
            days=size.days,
            end_date=END_DATE,
        )
    )
    start = END_DATE - timedelta(days=size.days - 1)
    reports = {definition.name: definition for definition in BUILTIN_REPORTS}
    kinds = {"campaigns": "campaign", "ad_groups": "adgroup", "ads": "ad"}
    by_stream = dict.fromkeys(streams, 0)
    for advertiser in dataset.advertisers:
        advertiser_id = advertiser["advertiser_id"]
        for name in streams:
            if name in kinds:
                for buying_types in (None, ["RESERVATION_TOP_VIEW"]):
                    count = len(
                        dataset.entities(kinds[name], advertiser_id, False, buying_types=buying_types)
                    )
                    by_stream[name] += max(1, math.ceil(count / 1000))
                continue
            if name == "advertisers":
                continue  # one call per 100 advertisers, counted above
            definition = reports[name]
            if definition.uses_query_lifetime:
                spans = [(None, None)]
            else:
                step = {"stat_time_day": MAX_DAYS_DAILY, "stat_time_hour": 1}.get(
                    definition.time_dimension, 365
                )
                spans = []
                day = start
                while day <= END_DATE:
                    last = min(END_DATE, day + timedelta(days=step - 1))
                    spans.append((day, last))
                    day = last + timedelta(days=1)
            for window_start, window_end in spans:
                rows = dataset.report_rows(
                    definition.report_type.value,
                    definition.data_level.value,
                    list(definition.dimensions),
                    window_start,
                    window_end,
                    False,
                    lifetime=definition.uses_query_lifetime,
                    advertiser_id=advertiser_id,
                    metrics=["spend"],
                )
                by_stream[name] += max(1, math.ceil(len(rows) / 1000))
    return by_stream


def select_streams(catalog: dict, size: Size) -> list[str]:
    names = [stream["name"] for stream in catalog["streams"]]
    reports = {definition.name for definition in BUILTIN_REPORTS}
    if size.streams == "daily":
        return [
            name for name in names if name in reports and name.endswith("_daily") and "audience" not in name
        ]
    return [
        name for name in names if name in reports or name in ("campaigns", "ad_groups", "ads", "advertisers")
    ]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--latency-ms", type=int, default=0, help="added to every emulator response")
    parser.add_argument(
        "--qps-cap", type=int, default=0, help="emulator answers 40100 above this many requests/s"
    )
    parser.add_argument("--latency-jitter", help="LOW-HIGH ms drawn per request (seeded), e.g. 50-300")
    parser.add_argument(
        "--jitter-at", choices=("arrival", "processing"), help="see the emulator's --jitter-at"
    )
    parser.add_argument(
        "--qps-window", choices=("sliding", "second"), help="how the emulator counts --qps-cap"
    )
    parser.add_argument("--streams", help="comma-separated stream names (default: by size)")
    parser.add_argument("--extra-config", default="{}", help="JSON merged into the connector config")
    parser.add_argument(
        "--per-stream",
        action="store_true",
        help="also print each stream's records, seconds and fewest requests (streams are read in turn)",
    )
    args = parser.parse_args()
    size = SIZES[args.size]

    flags = [
        item
        for flag, value in (
            ("--latency-jitter", args.latency_jitter),
            ("--jitter-at", args.jitter_at),
            ("--qps-window", args.qps_window),
        )
        if value
        for item in (flag, value)
    ]
    emulator, base_url = start_emulator(size, args.latency_ms, flags)
    if args.qps_cap:
        set_faults(base_url, {"latency_ms": args.latency_ms, "qps_cap": args.qps_cap})
    emulator_cpu: float | None = None
    try:
        start = (END_DATE - timedelta(days=size.days - 1)).isoformat()
        config = emulator_config(
            base_url, start_date=start, end_date=END_DATE.isoformat(), **json.loads(args.extra_config)
        )
        discovered = run_connector("discover", config).catalog
        streams = args.streams.split(",") if args.streams else select_streams(discovered, size)
        catalog = configured_catalog(discovered, streams)
        baseline = emulator_stats(base_url)["total"]
        with tempfile.TemporaryDirectory() as directory:
            config_path, catalog_path = Path(directory, "config.json"), Path(directory, "catalog.json")
            config_path.write_text(json.dumps(config))
            catalog_path.write_text(json.dumps(catalog))
            command = [
                *connector_command(),
                "read",
                "--config",
                str(config_path),
                "--catalog",
                str(catalog_path),
            ]
            emulator_cpu_before = process_cpu_seconds(emulator.pid)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            began = time.monotonic()
            process = subprocess.Popen(
                command, stdout=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"}
            )
            assert process.stdout is not None
            records = failures = throttled = 0
            in_flight_line = ""
            first_throttled_at: float | None = None
            # Per stream: records, and when its first and last record arrived.
            timeline: dict[str, list[float]] = {}
            head = b'{"type":"RECORD","record":{"stream":"'
            for line in process.stdout:
                if line.startswith(b'{"type":"RECORD"'):
                    records += 1
                    if args.per_stream and line.startswith(head):
                        name = line[len(head) : line.index(b'"', len(head))].decode()
                        seen = timeline.get(name)
                        now = time.monotonic() - began
                        if seen is None:
                            timeline[name] = [1, now, now]
                        else:
                            seen[0] += 1
                            seen[2] = now
                elif b'"status":"INCOMPLETE"' in line:
                    failures += 1
                elif b'"RATE_LIMITED"' in line:  # the CDK reports each throttled answer
                    throttled += 1
                    if first_throttled_at is None:
                        first_throttled_at = time.monotonic() - began
                elif b"Requests in flight:" in line:
                    in_flight_line = json.loads(line)["log"]["message"]
            returncode = process.wait()
            wall = time.monotonic() - began
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            emulator_cpu_after = process_cpu_seconds(emulator.pid)
            if emulator_cpu_before is not None and emulator_cpu_after is not None:
                emulator_cpu = emulator_cpu_after - emulator_cpu_before
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        stats = emulator_stats(base_url)
        requests_made = stats["total"] - baseline
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)

    print(
        f"size={args.size} advertisers={size.advertisers} days={size.days} streams={len(streams)} latency_ms={args.latency_ms}"
    )
    print(f"exit code            {returncode}  (streams failed: {failures})")
    print(f"records              {records}")
    fewest = minimum_requests_by_stream(streams, size)
    minimum = advertiser_overhead(size) + sum(fewest.values())
    print(
        f"requests             {requests_made}  (minimum TikTok's rules allow: {minimum}, ratio {requests_made / minimum:.3f})"
    )
    first = f"  (first after {first_throttled_at:.1f} s)" if first_throttled_at is not None else ""
    print(f"throttled answers    {throttled}{first}")
    print(
        f"in flight            {stats.get('most_in_flight', '?')} at most (emulator); {in_flight_line or '-'}"
    )
    print(
        f"wall s               {wall:.2f}  (requests / requests_per_second: {requests_made / 10:.1f} at 10/s)"
    )
    print(f"cpu s                {cpu:.2f}")
    print(f"us cpu / record      {cpu / max(records, 1) * 1e6:.1f}")
    if emulator_cpu:
        # The emulator does the same work for the same catalog in every run: this ratio compares runs
        # on a machine whose speed drifts (shared VMs vary by 10-20% from one run to the next).
        print(f"emulator cpu s       {emulator_cpu:.2f}  (connector / emulator cpu {cpu / emulator_cpu:.3f})")
    print(f"records / s          {records / wall:.0f}")
    print(f"peak RSS MiB         {after.ru_maxrss / 1024:.0f}  (largest child process so far)")
    if args.per_stream:
        print_per_stream(timeline, fewest)
    return returncode


def print_per_stream(timeline: dict[str, list[float]], fewest: dict[str, int]) -> None:
    """Each stream's share of the wall time against the fewest requests its own data allows.

    Streams are emitted one after another, so a stream's seconds run from the previous stream's last
    record to its own last one. Requests made while an earlier stream was emitted count here too."""
    print(f"{'stream':<48} {'records':>9} {'s':>7} {'min req':>8} {'s / (min req / 10)':>19}")
    previous_end = 0.0
    for name, (count, _first, last) in timeline.items():
        seconds = last - previous_end
        previous_end = last
        least = fewest.get(name, 0)
        ratio = seconds / max(least / 10, 0.1)
        print(f"{name:<48} {int(count):>9} {seconds:>7.1f} {least:>8} {ratio:>19.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
