"""End-to-end run of source-tiktok-ads: check, discover, a full read of every stream, then an
incremental read from the state the first one left.

Without --config it starts the bundled TikTok API emulator and points the connector at it. Output
(in --output, default demo_output/): config.json (secrets masked), catalog.json (full refresh),
catalog_incremental.json, records.jsonl.gz and state.json of the full read, records_incremental.jsonl.gz
and state_incremental.json of the incremental one, and connector.log: every command's stderr and its
LOG and TRACE messages, as the connector wrote them. On stdout, the connector's plan and progress lines,
a per-stream summary and where each file went.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "integration_tests"))

from harness import (  # noqa: E402
    ConnectorRun,
    configured_catalog,
    connector_command,
    emulator_config,
    run_connector,
)

# The connector's own lines worth showing a person: what it plans, how far it is, what it did.
SHOWN_LOG_PREFIXES = ("Plan: ", "No start_date", "Progress: ", "Read done: ")
# Progress every few seconds instead of every 30: the demo's reads take under a minute.
DEMO_PROGRESS_SECONDS = "5"
# The records go compressed: a full read of the emulator is hundreds of MB of JSON lines. Level 1 keeps
# the compression well ahead of the connector.
RECORDS_COMPRESSION_LEVEL = 1
LOG_FILE = "connector.log"
SECRET_KEYS = frozenset({"secret", "access_token", "refresh_token", "client_secret"})
MASK = "****"


def masked(value: object) -> object:
    """The config with every secret value replaced by a mask, for the copy kept in the output."""
    if isinstance(value, dict):
        return {key: MASK if key in SECRET_KEYS and item else masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value


def save_config(config: dict, output: Path, private_dir: str) -> Path:
    """Write the masked copy to the output and the real config, readable by this user only, into
    `private_dir` (removed when the demo ends); return the real one's path for the connector."""
    (output / "config.json").write_text(json.dumps(masked(config), indent=2))
    private = Path(private_dir) / "config.json"
    descriptor = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(config, file)
    return private


# Below the ads of one advertiser (ten delivering), above those of one campaign.
DEMO_REPORT_CUT_IDS = 8


def start_emulator(days: int) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "tiktok_emulator", "--port", "0", "--days", str(days)),
            # Upgraded Smart+ campaigns and a TikTok Shop store, so that their streams have records too.
            *("--upgraded-smart-plus-campaigns", "2", "--gmv-max-stores", "2"),
            # A TikTok that cuts synchronous reports at a few ids instead of 20,000, so that the read
            # meets the cut and splits it away (one line per report stream at the end says so).
            *("--report-cut-ids", str(DEMO_REPORT_CUT_IDS)),
        ],
        cwd=REPO_ROOT / "integration_tests",
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("EMULATOR_URL="):
        process.kill()
        raise SystemExit(f"The emulator did not start (printed {line!r}).")
    return process, line.split("=", 1)[1]


def log_command(log: TextIO, command: list[str]) -> None:
    log.write(f"\n# {' '.join(command)}\n")
    log.flush()


def log_run(log: TextIO, command: list[str], run: ConnectorRun) -> None:
    """A finished command's stderr and its LOG and TRACE messages, into the demo's log."""
    log_command(log, command)
    log.write(run.stderr)
    for message in run.messages:
        if message.get("type") in ("LOG", "TRACE"):
            log.write(json.dumps(message) + "\n")
    log.flush()


class ReportDays:
    """Per report stream: the days its records cover, and how many are provisional."""

    def __init__(self) -> None:
        self.days: dict[str, set[str]] = defaultdict(set)
        self.provisional: Counter[str] = Counter()

    def add(self, stream: str, data: dict) -> None:
        local = data.get("stat_time_day") or data.get("stat_time_hour")
        if local and "is_provisional" in data:
            self.days[stream].add(local[:10])
            self.provisional[stream] += bool(data["is_provisional"])


def read_with_summary(
    config_path: Path,
    catalog_path: Path,
    output: Path,
    log: TextIO,
    state_path: Path | None = None,
    suffix: str = "",
) -> tuple[int, Counter, ReportDays]:
    records: Counter[str] = Counter()
    report_days = ReportDays()
    started: dict[str, float] = {}
    finished: dict[str, float] = {}
    failures = []
    last_states: dict[str, dict] = {}
    begin = time.monotonic()
    command = [*connector_command(), "read", "--config", str(config_path), "--catalog", str(catalog_path)]
    if state_path is not None:
        command += ["--state", str(state_path)]
    environment = {**os.environ, "SOURCE_TIKTOK_ADS_PROGRESS_SECONDS": DEMO_PROGRESS_SECONDS}
    records_path = output / f"records{suffix}.jsonl.gz"
    log_command(log, command)
    with gzip.open(records_path, "wt", compresslevel=RECORDS_COMPRESSION_LEVEL) as sink:
        # The connector's stderr appends to the log file directly; this process appends its LOG and TRACE
        # lines to the same file (opened for appending), so both stay in the order they were written.
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True, env=environment)
        assert process.stdout is not None
        for line in process.stdout:
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                continue
            kind = message.get("type")
            if kind in ("LOG", "TRACE"):
                log.write(line)
            if kind == "RECORD":
                records[message["record"]["stream"]] += 1
                report_days.add(message["record"]["stream"], message["record"]["data"])
                sink.write(json.dumps(message["record"]) + "\n")
            elif kind == "LOG" and message["log"]["message"].startswith(SHOWN_LOG_PREFIXES):
                print(f"  connector: {message['log']['message']}", flush=True)
            elif kind == "STATE":
                state = message["state"]
                last_states[state["stream"]["stream_descriptor"]["name"]] = state
            elif kind == "TRACE" and message["trace"]["type"] == "STREAM_STATUS":
                status = message["trace"]["stream_status"]
                name = status["stream_descriptor"]["name"]
                if status["status"] == "STARTED":
                    started[name] = time.monotonic()
                elif status["status"] in ("COMPLETE", "INCOMPLETE"):
                    finished[name] = time.monotonic()
                    if status["status"] == "INCOMPLETE":
                        failures.append(name)
            elif kind == "TRACE" and message["trace"]["type"] == "ERROR":
                print(f"error: {message['trace']['error']['message']}")
        returncode = process.wait()
    (output / f"state{suffix}.json").write_text(json.dumps(list(last_states.values()), indent=2))
    print(f"\n{'stream':<48} {'records':>9} {'seconds':>8}")
    for name in started:
        seconds = finished.get(name, time.monotonic()) - started[name]
        flag = "  FAILED" if name in failures else ""
        print(f"{name:<48} {records[name]:>9} {seconds:>8.2f}{flag}")
    total_seconds = time.monotonic() - begin
    print(f"{'total':<48} {sum(records.values()):>9} {total_seconds:>8.2f}")
    print(f"\nRecords: {records_path}   Final state: {output / f'state{suffix}.json'}")
    return returncode, records, report_days


def print_reread(records: Counter, report_days: ReportDays, before: ReportDays, config: dict) -> None:
    """What the incremental read read again: the look-back of each report stream, and the records, next to
    the rows the full read had called provisional."""
    window = config.get("attribution_window", 3)
    print(
        f"\nIncremental read: {sum(records.values())} records. Report streams re-read the look-back, the "
        f"saved cursor's day and the attribution_window ({window}) days before it, in each advertiser's "
        "time zone; their rows stay is_provisional=true until a later sync has moved past them:"
    )
    for name in sorted(report_days.days):
        days = sorted(report_days.days[name])
        print(
            f"  {name:<46} {days[0]} .. {days[-1]}  {records[name]:>7} records, "
            f"{report_days.provisional[name]} provisional (the full read had {before.provisional[name]})"
        )
    others = {name: count for name, count in records.items() if name not in report_days.days}
    if others:
        listed = ", ".join(f"{name} {count}" for name, count in sorted(others.items()))
        print(f"  other streams (entities modified since their cursor, full-refresh-only reports): {listed}")


def run_demo(config: dict, output: Path, log: TextIO, private_dir: str) -> int:
    """check, discover, a full read and an incremental read from its state; the exit code of the last."""
    config_path = save_config(config, output, private_dir)
    check = run_connector("check", config)
    log_run(log, [*connector_command(), "check"], check)
    status = check.connection_status
    print(f"check: {status['status']} {status.get('message') or ''}".rstrip())
    if status["status"] != "SUCCEEDED":
        return 1
    discover = run_connector("discover", config)
    log_run(log, [*connector_command(), "discover"], discover)
    discovered = discover.catalog
    print(f"discover: {len(discovered['streams'])} streams")
    catalog_path = output / "catalog.json"
    catalog_path.write_text(json.dumps(configured_catalog(discovered), indent=2))
    incremental_path = output / "catalog_incremental.json"
    incremental_path.write_text(json.dumps(configured_catalog(discovered, incremental=True), indent=2))
    print("\nFull refresh read of every stream:")
    returncode, _, full_days = read_with_summary(config_path, catalog_path, output, log)
    if returncode != 0:
        return returncode
    print(
        f"\nIncremental read ({incremental_path.name}) from the state of the full one ({output / 'state.json'}):"
    )
    returncode, records, report_days = read_with_summary(
        config_path, incremental_path, output, log, output / "state.json", suffix="_incremental"
    )
    print_reread(records, report_days, full_days, config)
    return returncode


def print_outputs(output: Path) -> None:
    print(f"\nEverything the demo wrote, in {output}/ (records gzip-compressed: zcat them):")
    for path in sorted(output.iterdir()):
        print(f"  {path.name:<32} {path.stat().st_size / 1_000_000:>9.2f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, help="a real config.json; default: the bundled emulator")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "demo_output")
    parser.add_argument("--days", type=int, default=30, help="days of emulated report data")
    args = parser.parse_args()
    args.output.mkdir(parents=True, exist_ok=True)
    for stale in ("records.jsonl", "records_incremental.jsonl"):  # an earlier version's uncompressed records
        (args.output / stale).unlink(missing_ok=True)

    emulator = None
    private_dir = None
    if args.config:
        config = json.loads(args.config.read_text())
    else:
        emulator, base_url = start_emulator(args.days)
        start = (datetime.now(UTC).date() - timedelta(days=args.days - 1)).isoformat()
        config = emulator_config(base_url, start_date=start)
        print(f"TikTok API emulator at {base_url}")
    try:
        private_dir = tempfile.mkdtemp(prefix="tiktok-demo-")
        # Emptied, then opened for appending and line-buffered: the connector's stderr goes to the same
        # file (see read_with_summary), and appends keep both writers' lines whole and in order.
        (args.output / LOG_FILE).write_text("")
        with (args.output / LOG_FILE).open("a", buffering=1) as log:
            return run_demo(config, args.output, log, private_dir)
    finally:
        if private_dir is not None:
            shutil.rmtree(private_dir, ignore_errors=True)
        if emulator is not None:
            emulator.terminate()
            emulator.wait(timeout=10)
        print_outputs(args.output)
        print(f"The connector's stderr and LOG/TRACE messages: {args.output / LOG_FILE}")
        if emulator is not None:
            print(
                f"\nNote: {args.output / 'config.json'} points at the demo's emulator ({config['base_url']}), "
                "which stopped with the demo: running the connector with it now fails to connect. Run the "
                "demo again, or pass your own config with --config."
            )


if __name__ == "__main__":
    raise SystemExit(main())
