"""Our entry point writes pages of records whole; its output must be airbyte-cdk's own, line for line.

The same source is run behind the CDK's `launch` (one message per record, the CDK's serialiser) and
behind ours (`RecordLines`, a page per message): records, their bytes, state messages with their record
counts, stream statuses and the per-stream record count logged must all be the same.
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import END_DATE, START_DATE
from harness import (
    CDK_LAUNCH,
    ConnectorRun,
    configured_catalog,
    discovered_catalog,
    emulator_config,
    run_connector,
)
from tiktok_emulator import Emulator

STREAMS = [
    "advertisers",
    "campaigns",
    "ads",
    "ads_reports_daily",
    "ads_reports_hourly",
    "ad_group_audience_reports_daily",
    "campaigns_reports_lifetime",
]
EMITTED_AT = re.compile(r',"emitted_at":\d+}}$')


def comparable(run: ConnectorRun) -> dict[str, list]:
    assert run.returncode == 0, run.stdout[-2000:]
    lines = run.stdout.splitlines()
    return {
        # The exact bytes of every record, bar the time it was written.
        "records": [EMITTED_AT.sub("", line) for line in lines if line.startswith('{"type":"RECORD"')],
        "states": [message["state"] for message in run.of_type("STATE")],
        "statuses": [
            (
                message["trace"]["stream_status"]["stream_descriptor"]["name"],
                message["trace"]["stream_status"]["status"],
            )
            for message in run.of_type("TRACE")
            if message["trace"]["type"] == "STREAM_STATUS"
        ],
        "counts logged": [
            message["log"]["message"]
            for message in run.of_type("LOG")
            if re.fullmatch(r"Read \d+ records from \w+ stream", message["log"]["message"])
        ],
    }


@pytest.fixture(scope="module")
def config(emulator: Emulator) -> dict:
    return emulator_config(emulator.base_url, start_date=START_DATE, end_date=END_DATE)


@pytest.fixture(scope="module")
def catalog(config: dict) -> dict:
    return configured_catalog(discovered_catalog(config), STREAMS, incremental=True)


@pytest.fixture(scope="module")
def first_reads(config: dict, catalog: dict) -> tuple[dict, dict, ConnectorRun]:
    ours = run_connector("read", config, catalog)
    return comparable(run_connector("read", config, catalog, entry_point=CDK_LAUNCH)), comparable(ours), ours


@pytest.mark.slow
def test_a_full_read_writes_what_the_cdk_would(first_reads: tuple[dict, dict, ConnectorRun]) -> None:
    cdk, ours, _ = first_reads
    assert len(cdk["records"]) > 1000  # several pages, more than one per stream
    assert {json.loads(line + "}}")["record"]["stream"] for line in cdk["records"]} == set(STREAMS)
    for part in cdk:
        assert ours[part] == cdk[part], part


@pytest.mark.slow
def test_state_messages_count_the_records_of_every_page(first_reads: tuple[dict, dict, ConnectorRun]) -> None:
    _, ours, run = first_reads
    counted = sum(state["sourceStats"]["recordCount"] for state in ours["states"])
    assert counted == len(ours["records"])
    written = {}
    for record in run.of_type("RECORD"):
        written[record["record"]["stream"]] = written.get(record["record"]["stream"], 0) + 1
    for line in ours["counts logged"]:
        count, stream = re.fullmatch(r"Read (\d+) records from (\w+) stream", line).groups()
        assert int(count) == written.get(stream, 0)


@pytest.mark.slow
def test_an_incremental_read_from_saved_state_writes_what_the_cdk_would(
    config: dict, catalog: dict, first_reads: tuple[dict, dict, ConnectorRun]
) -> None:
    state = list(first_reads[2].stream_states().values())
    cdk = comparable(run_connector("read", config, catalog, state, entry_point=CDK_LAUNCH))
    ours = comparable(run_connector("read", config, catalog, state))
    assert cdk["records"]  # the look-back window reads some days again
    for part in cdk:
        assert ours[part] == cdk[part], part
