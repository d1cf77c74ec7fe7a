"""End-to-end run of source-tiktok-ads: check, discover, then a full read of every stream.

Without --config it starts the bundled TikTok API emulator and points the connector at it. Output
(in --output, default demo_output/): config.json, catalog.json, records.jsonl, state.json, and a
per-stream summary on stdout.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "integration_tests"))

from harness import configured_catalog, connector_command, emulator_config, run_connector  # noqa: E402


def start_emulator(days: int) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "tiktok_emulator", "--port", "0", "--days", str(days)),
            # Upgraded Smart+ campaigns and a TikTok Shop store, so that their streams have records too.
            *("--upgraded-smart-plus-campaigns", "2", "--gmv-max-stores", "2"),
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


def read_with_summary(config_path: Path, catalog_path: Path, output: Path) -> int:
    records = Counter()
    started: dict[str, float] = {}
    finished: dict[str, float] = {}
    failures = []
    last_states: dict[str, dict] = {}
    begin = time.monotonic()
    command = [*connector_command(), "read", "--config", str(config_path), "--catalog", str(catalog_path)]
    with (output / "records.jsonl").open("w") as sink:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None
        for line in process.stdout:
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                continue
            kind = message.get("type")
            if kind == "RECORD":
                records[message["record"]["stream"]] += 1
                sink.write(json.dumps(message["record"]) + "\n")
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
    (output / "state.json").write_text(json.dumps(list(last_states.values()), indent=2))
    print(f"\n{'stream':<48} {'records':>9} {'seconds':>8}")
    for name in started:
        seconds = finished.get(name, time.monotonic()) - started[name]
        flag = "  FAILED" if name in failures else ""
        print(f"{name:<48} {records[name]:>9} {seconds:>8.2f}{flag}")
    total_seconds = time.monotonic() - begin
    print(f"{'total':<48} {sum(records.values()):>9} {total_seconds:>8.2f}")
    print(f"\nRecords: {output / 'records.jsonl'}   Final state: {output / 'state.json'}")
    return returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, help="a real config.json; default: the bundled emulator")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "demo_output")
    parser.add_argument("--days", type=int, default=30, help="days of emulated report data")
    args = parser.parse_args()
    args.output.mkdir(parents=True, exist_ok=True)

    emulator = None
    if args.config:
        config = json.loads(args.config.read_text())
    else:
        emulator, base_url = start_emulator(args.days)
        start = (datetime.now(UTC).date() - timedelta(days=args.days - 1)).isoformat()
        config = emulator_config(base_url, start_date=start)
        print(f"TikTok API emulator at {base_url}")
    try:
        config_path = args.output / "config.json"
        config_path.write_text(json.dumps(config, indent=2))
        check = run_connector("check", config)
        status = check.connection_status
        print(f"check: {status['status']} {status.get('message') or ''}".rstrip())
        if status["status"] != "SUCCEEDED":
            return 1
        discovered = run_connector("discover", config).catalog
        print(f"discover: {len(discovered['streams'])} streams")
        catalog_path = args.output / "catalog.json"
        catalog_path.write_text(json.dumps(configured_catalog(discovered), indent=2))
        return read_with_summary(config_path, catalog_path, args.output)
    finally:
        if emulator is not None:
            emulator.terminate()
            emulator.wait(timeout=10)


if __name__ == "__main__":
    raise SystemExit(main())
