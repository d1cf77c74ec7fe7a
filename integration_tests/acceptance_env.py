"""The pinned world that `acceptance-test-config.yml` describes: one emulator dataset, pinned dates.

The dataset and the config's `start_date`/`end_date` are pinned, so every read returns the same records,
today or in a year. The committed config files name 127.0.0.1:18765 (`CAT_BASE_URL`): Airbyte's CAT,
run by hand against the image, needs the emulator at the address its files name. Tests never bind that
port: they serve the dataset on a free one and read copies of the config files rewritten to point at
it (`write_configs`, `pointing_at`).

    python integration_tests/acceptance_env.py serve [--port N]   # the tests' emulator, by hand
    python integration_tests/acceptance_env.py regenerate         # refresh the derived files

`regenerate` rewrites the files derived from a read (configured catalog, expected records, states);
run it after a deliberate change to the connector's output and review the diff.
"""

from __future__ import annotations

import argparse
import copy
import json
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

if __package__ in (None, "") and str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))  # run as a script: make `tiktok_emulator` importable

from tiktok_emulator import Dataset, DatasetSpec, Emulator

HOST = "127.0.0.1"
# The address the committed config files name, for CAT run by hand; tests serve on a free port instead.
CAT_PORT = 18765
CAT_BASE_URL = f"http://{HOST}:{CAT_PORT}/open_api/v1.3/"

END_DATE = date(2026, 11, 20)
DAYS = 3
START_DATE = END_DATE - timedelta(days=DAYS - 1)
DATASET_SPEC = DatasetSpec(
    advertisers=2,
    campaigns_per_advertiser=2,
    adgroups_per_campaign=1,
    ads_per_adgroup=1,
    days=DAYS,
    end_date=END_DATE,
    seed=7,
    deleted_every=5,
    topview_every=0,
    smart_plus_every=0,
    upgraded_smart_plus_campaigns=1,
    gmv_max_stores=1,
)
# A cursor no record can reach: the "abnormally large state" CAT reads with, expecting nothing back.
FUTURE_DAY = "2099-12-31"
# CAT only needs each stream seeded with some records (`extra_records` is its default), so one row per
# stream keeps the file reviewable while still pinning every stream's shape and values.
EXPECTED_RECORDS_PER_STREAM = 1

CONNECTOR_ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = CONNECTOR_ROOT / "integration_tests"
ACCEPTANCE_TEST_CONFIG = CONNECTOR_ROOT / "acceptance-test-config.yml"
SAMPLE_CONFIG = INTEGRATION / "sample_config.json"
INVALID_CONFIG = INTEGRATION / "invalid_config.json"
CONFIGURED_CATALOG = INTEGRATION / "configured_catalog.json"
EXPECTED_RECORDS = INTEGRATION / "expected_records.jsonl"
ABNORMAL_STATE = INTEGRATION / "abnormal_state.json"
SAMPLE_STATE = INTEGRATION / "sample_state.json"


@contextmanager
def emulator(port: int = 0) -> Iterator[Emulator]:
    """The pinned dataset served on `port` (a free one by default) for the duration of the block."""
    try:
        running = Emulator(Dataset.generate(DATASET_SPEC), host=HOST, port=port)
    except OSError as error:
        raise RuntimeError(
            f"Cannot start the acceptance-test emulator on {HOST}:{port} ({error}). Stop whatever listens "
            "there, or choose another port (0 picks a free one) and use the config files written for it."
        ) from error
    with running:
        yield running


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())


def load_acceptance_test_config() -> dict[str, Any]:
    return yaml.safe_load(ACCEPTANCE_TEST_CONFIG.read_text())


def single_entry(section: str) -> dict[str, Any]:
    """The one entry of a section; the acceptance tests here are written for one each."""
    tests = load_acceptance_test_config()["acceptance_tests"][section]["tests"]
    assert len(tests) == 1, f"these tests expect one `{section}` entry"
    return tests[0]


# CAT keys that the CDK's standard tests reject, but that CAT needs where they are: at `high` strictness
# CAT requires `expect_records` in every basic_read entry. The standard tests compare no records, so they
# read the file without it (test_airbyte_standards.py); test_acceptance_suites.py runs that comparison.
CAT_ONLY_KEYS = {"basic_read": ("expect_records",)}


def standard_tests_view(config: dict[str, Any]) -> dict[str, Any]:
    """acceptance-test-config.yml as the standard tests read it: the same, less `CAT_ONLY_KEYS`."""
    view = copy.deepcopy(config)
    for section, keys in CAT_ONLY_KEYS.items():
        for entry in view["acceptance_tests"].get(section, {}).get("tests", []):
            for key in keys:
                entry.pop(key, None)
    return view


def config_paths(config: dict[str, Any]) -> list[str]:
    """Every `config_path` the acceptance-test config names, once each, in the order it names them."""
    found = [
        entry["config_path"]
        for body in config["acceptance_tests"].values()
        for entry in (body or {}).get("tests") or []
        if "config_path" in entry
    ]
    return list(dict.fromkeys(found))


def write_configs(
    base_url: str, directory: Path, settings: Mapping[str, Any] | None = None
) -> dict[str, Path]:
    """Copies of every config file the acceptance-test config names, in `directory`, pointing at `base_url`,
    with `settings` (e.g. the tests' request rate) added.

    Returns each committed path (relative to the connector root) and its copy. A copy keeps its file's
    name, because the standard tests name a scenario after it (`sample_config`, `invalid_config`).
    """
    written: dict[str, Path] = {}
    for relative in config_paths(load_acceptance_test_config()):
        target = directory / Path(relative).name
        assert target not in written.values(), f"two config files are named {target.name}"
        config = {**read_json(CONNECTOR_ROOT / relative), **(settings or {}), "base_url": base_url}
        target.write_text(json.dumps(config, indent=2) + "\n")
        written[relative] = target
    return written


def pointing_at(config: dict[str, Any], directory: Path) -> dict[str, Any]:
    """The acceptance-test config with each `config_path` naming its copy in `directory` (see above)."""
    view = copy.deepcopy(config)
    for body in view["acceptance_tests"].values():
        for entry in (body or {}).get("tests") or []:
            if "config_path" in entry:
                entry["config_path"] = str(directory / Path(entry["config_path"]).name)
    return view


def with_discovered_streams(configured: dict[str, Any], discovered: dict[str, Any]) -> dict[str, Any]:
    """The configured catalog with each stream's definition replaced by the discovered one.

    CAT does the same before a read: the file chooses streams and sync modes, the connector's own
    `discover` supplies the schemas, so the committed catalog never carries stale schemas.
    """
    by_name = {stream["name"]: stream for stream in discovered["streams"]}
    missing = [
        entry["stream"]["name"] for entry in configured["streams"] if entry["stream"]["name"] not in by_name
    ]
    assert not missing, f"the configured catalog lists streams discover does not report: {missing}"
    return {
        "streams": [{**entry, "stream": by_name[entry["stream"]["name"]]} for entry in configured["streams"]]
    }


def full_refresh_only(catalog: dict[str, Any]) -> dict[str, Any]:
    """As CAT's full-refresh suite reads the configured catalog: every stream in full refresh."""
    return {
        "streams": [
            {**entry, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}
            for entry in catalog["streams"]
        ]
    }


def incremental_only(catalog: dict[str, Any]) -> dict[str, Any]:
    """As CAT's incremental suite reads the configured catalog: only its incremental streams."""
    return {"streams": [entry for entry in catalog["streams"] if entry["sync_mode"] == "incremental"]}


def primary_key_values(record: dict[str, Any], primary_key: list[list[str]]) -> tuple[str, ...]:
    return tuple(str(record.get(path[0])) for path in primary_key)


# --- regeneration -----------------------------------------------------------------------------------


def _configured_catalog(discovered: dict[str, Any]) -> dict[str, Any]:
    streams = []
    for stream in discovered["streams"]:
        incremental = "incremental" in stream["supported_sync_modes"]
        # The schema is left empty on purpose: readers take it from `discover` (see above).
        definition = {
            key: stream[key]
            for key in (
                "name",
                "supported_sync_modes",
                "source_defined_cursor",
                "default_cursor_field",
                "source_defined_primary_key",
            )
            if key in stream
        }
        entry: dict[str, Any] = {
            "stream": {**definition, "json_schema": {}},
            "sync_mode": "incremental" if incremental else "full_refresh",
            "destination_sync_mode": "append_dedup" if incremental else "overwrite",
            "primary_key": stream.get("source_defined_primary_key", []),
        }
        if incremental:
            entry["cursor_field"] = stream["default_cursor_field"]
        streams.append(entry)
    return {"streams": streams}


def _future_state(catalog: dict[str, Any], advertiser_ids: list[str]) -> list[dict[str, Any]]:
    states = []
    for entry in incremental_only(catalog)["streams"]:
        field = entry["cursor_field"][0]
        value = {
            "stat_time_day": FUTURE_DAY,
            "stat_time_hour": f"{FUTURE_DAY} 23:00:00",
            "modify_time": f"{FUTURE_DAY}T23:59:59Z",
        }[field]
        states.append(
            {
                "type": "STREAM",
                "stream": {
                    "stream_descriptor": {"name": entry["stream"]["name"]},
                    "stream_state": {
                        "states": [
                            {"partition": {"advertiser_id": advertiser_id}, "cursor": {field: value}}
                            for advertiser_id in advertiser_ids
                        ]
                    },
                },
            }
        )
    return states


def regenerate() -> None:
    from harness import run_connector  # only needed here; keeps the module light for the tests

    with emulator() as running:
        config = {**read_json(SAMPLE_CONFIG), "base_url": running.base_url}
        discovered = run_connector("discover", config).catalog
        configured = _configured_catalog(discovered)
        run = run_connector("read", config, with_discovered_streams(configured, discovered))
        assert run.returncode == 0 and not run.errors(), run.stderr[-2000:]

    advertiser_ids = sorted({str(record["advertiser_id"]) for record in run.records("advertisers")})
    expected_lines = []
    for entry in configured["streams"]:
        name, key = entry["stream"]["name"], entry["primary_key"]
        records = sorted(run.records(name), key=lambda record: primary_key_values(record, key))
        for record in records[:EXPECTED_RECORDS_PER_STREAM]:
            expected_lines.append(
                json.dumps({"stream": name, "data": record, "emitted_at": 0}, sort_keys=True)
            )

    # A realistic mid-sync state: the cursors a read of the first two days would have left behind.
    mid_day = (END_DATE - timedelta(days=1)).isoformat()
    sample_state = [
        {
            "type": "STREAM",
            "stream": {
                "stream_descriptor": {"name": name},
                "stream_state": {
                    "states": [
                        {"partition": {"advertiser_id": advertiser_id}, "cursor": {"stat_time_day": mid_day}}
                        for advertiser_id in advertiser_ids
                    ]
                },
            },
        }
        for name in ("advertisers_reports_daily", "ads_reports_daily")
    ]

    CONFIGURED_CATALOG.write_text(json.dumps(configured, indent=2) + "\n")
    EXPECTED_RECORDS.write_text("\n".join(expected_lines) + "\n")
    ABNORMAL_STATE.write_text(json.dumps(_future_state(configured, advertiser_ids), indent=2) + "\n")
    SAMPLE_STATE.write_text(json.dumps(sample_state, indent=2) + "\n")
    print(f"wrote {len(configured['streams'])} streams, {len(expected_lines)} expected records")


# --- serving by hand ----------------------------------------------------------------------------------


def serve(port: int, config_dir: Path | None) -> None:
    """Serve the tests' dataset on `port` until Ctrl-C, with config files pointing at it."""
    with ExitStack() as stack:
        running = stack.enter_context(emulator(port))
        if config_dir is None:
            config_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tiktok-acceptance-")))
        config_dir.mkdir(parents=True, exist_ok=True)
        written = write_configs(running.base_url, config_dir)
        print(f"Acceptance-test emulator (the dataset the acceptance tests read) at {running.base_url}")
        print("Config files pointing at it (the emulator's test credentials, not real ones):")
        for relative, path in written.items():
            print(f"  {path}    (= {relative} with this base_url)")
        if running.base_url == CAT_BASE_URL:
            print("The committed files in integration_tests/ name this address too, as CAT reads them.")
        print(f"Try: source-tiktok-ads check --config {written[_relative(SAMPLE_CONFIG)]}")
        print("Ctrl-C stops it.", flush=True)
        _wait_for_a_stop_signal()


def _relative(path: Path) -> str:
    return str(path.relative_to(CONNECTOR_ROOT))


def _wait_for_a_stop_signal() -> None:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python integration_tests/acceptance_env.py",
        description="The acceptance tests' pinned emulator dataset: serve it by hand, or refresh the files read from it.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serving = commands.add_parser("serve", help="serve the acceptance tests' emulator until Ctrl-C")
    serving.add_argument(
        "--port",
        type=int,
        default=CAT_PORT,
        help=f"default {CAT_PORT}, the committed files' port; 0: a free one",
    )
    serving.add_argument(
        "--config-dir", type=Path, help="where to write the config files (default: a temporary directory)"
    )
    commands.add_parser("regenerate", help="rewrite the files derived from a read of the pinned dataset")
    args = parser.parse_args(argv)
    if args.command == "serve":
        try:
            serve(args.port, args.config_dir)
        except RuntimeError as error:  # the port is taken: say so without a traceback
            print(error, file=sys.stderr)
            return 1
    else:
        regenerate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
