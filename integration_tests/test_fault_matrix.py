"""The fault matrix: one medium multi-stream read against the emulator under every fault TikTok (or the
network) produces, alone and combined, each checked against a clean read of the same data.

- Transient faults: exactly the clean run's records (same (stream, primary key) set, every record equal
  in full, no duplicate) and the same final state, and the fault really happened (more requests).
- Permanent faults: a red sync with an error that names the cause; what was emitted is correct; the
  other streams and advertisers finish; and a second run from the state emitted so far, without the
  fault, completes the data: the union of run 1 and run 2 is the clean run, no (stream, primary key) missing.
- Secrets: no run's stdout or stderr carries the token, the app secret or a `secret=` URL parameter.

Retries sleep for real (the CDK adds 1 s to every backoff), so faults hit every 5th to 17th request of
a ~35-request read. Two cases patch the connector process for test speed, never the connector itself:
the request timeout (1 s instead of 120 s, so a 1.5 s spike times out) and the backoff schedule (the
endpoint-down case, which would otherwise back off for ~2.5 minutes before giving up).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import fault_support as fs
import pytest
from harness import ConnectorRun, configured_catalog, discovered_catalog
from tiktok_emulator import Dataset, Emulator, FaultPlan, credentials

from source_tiktok_ads.api.errors import DEFAULT_MAX_RETRIES

pytestmark = pytest.mark.slow

REPORT_PATH = "report/integrated/get/"


PARALLEL_RUNS = 4
CLEAN = "clean"
REVOKED = "token revoked after 30 requests"
DENIED = "second advertiser denied report/integrated/get/"
CHURN = "7 rows inserted ahead of the offset per page"
ENDPOINT_DOWN = "report endpoint down (50002 on every request)"


@dataclass(frozen=True)
class Case:
    plan: FaultPlan
    config: dict[str, Any] = field(default_factory=dict)
    patches: tuple[str, ...] = ()
    # The fault makes the connector send requests a clean run does not (retries, split windows).
    extra_requests: bool = True
    # A smaller catalog than the matrix's (the run is not resumed).
    catalog: dict[str, Any] | None = None
    # Rough cost, to start the slow scenarios first.
    weight: int = 1


TRANSIENT: dict[str, Case] = {
    "40100 every 5th request": Case(FaultPlan(rate_limit_every=5), weight=3),
    # The connector's own budget would keep it under TikTok's cap; set above it, TikTok throttles.
    "app QPS cap 10 (40100)": Case(FaultPlan(qps_cap=10), {"requests_per_second": 50}),
    "advertiser QPS cap 3 per path (40133)": Case(FaultPlan(advertiser_qps_cap=3), weight=3),
    "HTTP 500, JSON body, every 10th": Case(
        FaultPlan(http_error_every=10, http_error_status=500, http_error_body="json")
    ),
    "HTTP 502, HTML body, every 10th": Case(
        FaultPlan(http_error_every=10, http_error_status=502, http_error_body="html")
    ),
    "HTTP 504, empty body, every 10th": Case(
        FaultPlan(http_error_every=10, http_error_status=504, http_error_body="empty")
    ),
    "code 50000 every 10th": Case(FaultPlan(code_every=10, code=50000)),
    "code 50002 every 10th": Case(FaultPlan(code_every=10, code=50002)),
    "code 60001 every 10th": Case(FaultPlan(code_every=10, code=60001)),
    "truncated JSON every 10th": Case(FaultPlan(truncated_every=10)),
    "JSON array instead of an object every 10th": Case(FaultPlan(not_object_every=10)),
    "code 0 without data every 10th": Case(FaultPlan(missing_data_every=10)),
    "2 s latency spike every 10th": Case(FaultPlan(spike_every=10, spike_ms=2000), extra_requests=False),
    "read timeout every 10th (1 s timeout, 1.5 s spike)": Case(
        FaultPlan(spike_every=10, spike_ms=1500), patches=(fs.SHORT_READ_TIMEOUT,)
    ),
    "connection reset mid-body every 10th": Case(FaultPlan(reset_every=10)),
    # Audience windows (700-1200 rows) are split until they fit; an hourly day (<= 250 rows) always fits.
    "40067 query too large above 400 rows": Case(FaultPlan(query_too_large_rows=400)),
    "combined: 40100, HTTP 502 HTML, truncated, reset": Case(
        FaultPlan(
            rate_limit_every=7,
            http_error_every=11,
            http_error_status=502,
            http_error_body="html",
            truncated_every=13,
            reset_every=17,
        ),
        weight=5,
    ),
    "combined: 40133, 60001, not-object, no data, spikes, 40067": Case(
        FaultPlan(
            advertiser_qps_cap=4,
            code_every=9,
            code=60001,
            not_object_every=13,
            missing_data_every=17,
            spike_every=10,
            spike_ms=1000,
            query_too_large_rows=400,
        ),
        weight=5,
    ),
}


@dataclass
class Outcome:
    run: ConnectorRun
    seconds: float
    requests: int
    pairs: list[tuple[fs.RecordKey, str]]
    # Whether the connector sent the app secret (as TikTok wants it, in a query parameter) in this run.
    sent_app_secret: bool
    # Whether some listing needed a second page.
    paged: bool
    report_requests: int

    # What `fs.secret_hits` found in the run's whole stdout and stderr (the run keeps only their ends).
    secret_hits: list[str]

    def records(self) -> dict[fs.RecordKey, dict[str, Any]]:
        return {key: json.loads(text) for key, text in self.pairs}

    @property
    def streams(self) -> set[str]:
        return {key[0] for key, _ in self.pairs}

    @property
    def error_text(self) -> str:
        return " | ".join(error["message"] for error in self.run.errors())

    def failed_streams(self) -> set[str]:
        return {
            error["stream_descriptor"]["name"]
            for error in self.run.errors()
            if error.get("stream_descriptor")
        }

    def states(self) -> dict[str, Any]:
        return {name: state["stream"]["stream_state"] for name, state in self.run.stream_states().items()}


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return fs.fault_dataset()


@pytest.fixture(scope="module")
def discovered(emulator: Emulator) -> dict[str, Any]:
    return discovered_catalog(fs.read_config(emulator.base_url))


@pytest.fixture(scope="module")
def catalog(discovered: dict[str, Any]) -> dict[str, Any]:
    return fs.read_catalog(discovered)


@pytest.fixture(scope="module")
def keys(catalog: dict[str, Any]) -> dict[str, list[str]]:
    return fs.primary_keys(catalog)


class Runner:
    """Runs each scenario once per module, each against its own emulator, so that scenarios can run side
    by side: most of a faulty run is spent sleeping in backoff, not computing."""

    def __init__(self, dataset: Dataset, catalog: dict[str, Any], keys: dict[str, list[str]]) -> None:
        self.dataset = dataset
        self.catalog = catalog
        self.keys = keys
        self.outcomes: dict[str, Outcome] = {}
        self._lock = threading.Lock()

    def run(
        self,
        name: str,
        plan: FaultPlan,
        config: dict[str, Any] | None = None,
        patches: tuple[str, ...] = (),
        catalog: dict[str, Any] | None = None,
        state: list[dict[str, Any]] | None = None,
    ) -> Outcome:
        with self._lock:
            if name in self.outcomes:
                return self.outcomes[name]
        with Emulator(self.dataset, faults=plan) as emulator:
            timed = fs.read(
                fs.read_config(emulator.base_url, **(config or {})),
                catalog or self.catalog,
                state=state,
                command=fs.patched_command(*patches) if patches else None,
            )
            requests = list(emulator.requests)
        # Only the records' canonical text is kept: the matrix holds every scenario's outcome at once.
        outcome = Outcome(
            timed.run.without_records(),
            timed.seconds,
            len(requests),
            fs.keyed(timed.run, self.keys),
            any(request.params.get("secret") == credentials.APP_SECRET for request in requests),
            any(request.params.get("page") == "2" for request in requests),
            sum(request.path == REPORT_PATH for request in requests),
            fs.secret_hits([timed.run.stdout, timed.run.stderr]),
        )
        del timed
        with self._lock:
            self.outcomes[name] = outcome
        return outcome

    def scenario(self, name: str, case: Case) -> Outcome:
        """The case's run and, when it failed, the run that resumes from its state without the fault."""
        first = self.run(name, case.plan, case.config, case.patches, case.catalog)
        if first.run.returncode != 0 and case.catalog is None:
            self.run(f"{name} (resumed)", FaultPlan(), state=list(first.run.stream_states().values()))
        return first


@pytest.fixture(scope="module")
def permanent(dataset: Dataset, discovered: dict[str, Any]) -> dict[str, Case]:
    return {
        # After the entity streams' requests (the last is among the first 21-26 of the 41), so that slices
        # finished before the revocation are in the state whatever order the workers fetched in.
        REVOKED: Case(FaultPlan(revoke_after=30)),
        # The token keeps the second advertiser's campaigns and ads (read first) but loses its reports.
        DENIED: Case(FaultPlan(deny=frozenset({(dataset.advertisers[1]["advertiser_id"], REPORT_PATH)}))),
        CHURN: Case(FaultPlan(rows_inserted_per_page=7)),
        ENDPOINT_DOWN: Case(
            FaultPlan(code_every=1, code=50002, only_paths=frozenset({REPORT_PATH})),
            patches=(fs.FAST_BACKOFF,),
            catalog=configured_catalog(discovered, ["campaigns", "advertisers_reports_lifetime"]),
        ),
    }


@pytest.fixture(scope="module")
def runner(
    dataset: Dataset, catalog: dict[str, Any], keys: dict[str, list[str]], permanent: dict[str, Case]
) -> Runner:
    """Every scenario of the matrix, run four at a time (2 cores: the runs mostly wait)."""
    runner = Runner(dataset, catalog, keys)
    runner.run(CLEAN, FaultPlan())
    with ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
        # The slowest first, so the pool does not end on a long tail.
        scenarios = sorted({**TRANSIENT, **permanent}.items(), key=lambda item: -item[1].weight)
        for future in [pool.submit(runner.scenario, name, case) for name, case in scenarios]:
            future.result()
    return runner


@pytest.fixture(scope="module")
def clean(runner: Runner) -> Outcome:
    outcome = runner.outcomes[CLEAN]
    assert outcome.run.returncode == 0, outcome.run.stdout[-3000:]
    assert not fs.duplicates(outcome.pairs)
    assert outcome.streams == set(fs.STREAMS), "every stream of the matrix has records"
    return outcome


@pytest.fixture(scope="module")
def clean_records(clean: Outcome) -> dict[fs.RecordKey, str]:
    return dict(clean.pairs)


def test_the_clean_read_pages_through_a_multi_page_listing(clean: Outcome) -> None:
    """Faults must be able to land between two pages of one listing, or half the matrix means little."""
    assert clean.paged, "no listing of the matrix dataset needs a second page"


@pytest.mark.parametrize("name", list(TRANSIENT))
def test_transient_fault_delivers_exactly_the_clean_records(
    runner: Runner, clean: Outcome, clean_records: dict[fs.RecordKey, str], name: str
) -> None:
    outcome = runner.outcomes[name]
    assert outcome.run.returncode == 0, f"{name}: {outcome.error_text or outcome.run.stdout[-2000:]}"
    assert not outcome.run.errors(), outcome.error_text
    fs.assert_exactly(outcome.pairs, clean_records, name)
    assert outcome.states() == clean.states(), f"{name}: final state differs from the clean run"
    if TRANSIENT[name].extra_requests:
        assert outcome.requests > clean.requests, f"{name}: the fault never hit a request"


def assert_correct_so_far(outcome: Outcome, clean_records: dict[fs.RecordKey, str], label: str) -> None:
    """A failed run may stop early, but what it emitted is right: no duplicate, nothing unknown or changed."""
    assert not fs.duplicates(outcome.pairs), f"{label}: duplicates"
    for key, record in outcome.pairs:
        assert key in clean_records, f"{label}: unexpected record {key}"
        assert record == clean_records[key], f"{label}: record {key} differs from the clean run"


def assert_resumes(runner: Runner, name: str, clean_records: dict[fs.RecordKey, str]) -> None:
    """The run from the failed run's state, without the fault: together they deliver the clean run."""
    first, second = runner.outcomes[name], runner.outcomes[f"{name} (resumed)"]
    assert second.run.returncode == 0, second.error_text or second.run.stdout[-2000:]
    assert_correct_so_far(second, clean_records, f"{name} (resumed)")
    union = {key for key, _ in first.pairs} | {key for key, _ in second.pairs}
    missing = sorted(set(clean_records) - union, key=repr)
    assert not missing, f"{name}: {len(missing)} records missing after resuming, e.g. {missing[:3]}"
    # The state saved before the failure was used: each stream it holds was read again only in part.
    saved = [stream for stream, state in first.states().items() if state.get("states")]
    assert saved, f"{name}: the failed run saved no cursor"
    clean_counts = Counter(key[0] for key in clean_records)
    second_counts = Counter(key[0] for key, _ in second.pairs)
    for stream in saved:
        assert second_counts[stream] < clean_counts[stream], f"{name}: {stream} was read again whole"


def test_token_revoked_mid_sync_fails_clearly_and_resumes_from_state(
    runner: Runner, clean: Outcome, clean_records: dict[fs.RecordKey, str]
) -> None:
    first = runner.outcomes[REVOKED]
    assert first.run.returncode != 0
    assert "rejected the access token" in first.error_text and "Re-authorize" in first.error_text
    assert "40105" in first.error_text
    assert 0 < len(first.pairs) < len(clean.pairs), "some streams were read before the revocation"
    assert_correct_so_far(first, clean_records, REVOKED)
    assert_resumes(runner, REVOKED, clean_records)


def test_one_advertiser_losing_report_permission_fails_only_its_reports(
    runner: Runner, dataset: Dataset, clean: Outcome, clean_records: dict[fs.RecordKey, str]
) -> None:
    denied = dataset.advertisers[1]["advertiser_id"]
    first = runner.outcomes[DENIED]
    assert first.run.returncode != 0
    report_streams = {name for name in fs.STREAMS if "reports" in name}
    assert first.failed_streams() == report_streams
    assert denied in first.error_text and REPORT_PATH in first.error_text
    assert "Manage Permissions" in first.error_text
    assert_correct_so_far(first, clean_records, DENIED)
    # Everything else finished: the entity streams whole, and every report row of the other advertiser.
    delivered = first.records()
    expected = {
        key
        for key, record in clean.records().items()
        if key[0] not in report_streams or record["advertiser_id"] != denied
    }
    assert expected <= set(delivered)
    assert all(
        record["advertiser_id"] != denied for key, record in delivered.items() if key[0] in report_streams
    )
    assert_resumes(runner, DENIED, clean_records)


def test_rows_added_while_paging_never_loop_duplicate_or_silently_drop_rows(
    runner: Runner, dataset: Dataset, clean_records: dict[fs.RecordKey, str]
) -> None:
    """TikTok pages by offset, and rows created mid-read push rows already served onto the next page:
    `total_number` grows between pages and page 2 repeats the end of page 1. Decided outcome: no loop and
    no duplicate, ever. Rows that existed all along are all delivered, or the sync is red: a listing whose
    count keeps changing is re-read once, and if it still changes (this fault never stops) its stream
    fails naming the advertiser, the other streams finish, and the next run reads that window whole.
    Rows created during the read are not expected in this sync (the next one reads them)."""
    first = runner.outcomes[CHURN]
    assert first.paged
    assert first.seconds < 60, "paging ended (no loop)"
    assert_correct_so_far(first, clean_records, CHURN)
    if first.run.returncode == 0:
        fs.assert_exactly(first.pairs, clean_records, CHURN)
        return
    assert first.failed_streams() == {fs.MULTI_PAGE_STREAM}, first.error_text
    assert dataset.advertisers[0]["advertiser_id"] in first.error_text
    others = {key for key in clean_records if key[0] != fs.MULTI_PAGE_STREAM}
    assert others <= {key for key, _ in first.pairs}
    assert_resumes(runner, CHURN, clean_records)


def test_a_permanently_failing_endpoint_gives_up_in_bounded_time_and_says_after_how_many_attempts(
    runner: Runner, clean_records: dict[fs.RecordKey, str]
) -> None:
    outcome = runner.outcomes[ENDPOINT_DOWN]
    attempts = DEFAULT_MAX_RETRIES + 1
    assert outcome.run.returncode != 0
    assert outcome.seconds < 60
    assert outcome.failed_streams() == {"advertisers_reports_lifetime"}
    assert f"after {attempts} attempts" in outcome.error_text, outcome.error_text
    assert "50002" in outcome.error_text and REPORT_PATH in outcome.error_text
    assert "for advertiser " in outcome.error_text
    # Each advertiser's lifetime request was tried exactly that many times, then abandoned.
    assert outcome.report_requests == attempts * 2
    # The other stream finished.
    assert {key for key in clean_records if key[0] == "campaigns"} == {key for key, _ in outcome.pairs}


def test_no_run_of_the_matrix_leaks_a_secret(runner: Runner) -> None:
    """Every run of the matrix (faults, failures, resumptions) used the emulator's recognisable token
    and app secret; none of their stdout or stderr shows either, nor a `secret=` URL parameter."""
    assert len(runner.outcomes) >= 1 + len(TRANSIENT) + 4
    assert [hit for outcome in runner.outcomes.values() for hit in outcome.secret_hits] == []
    # The app secret travels as a query parameter of oauth2/advertiser/get/: it was in play, never shown.
    assert all(outcome.sent_app_secret for outcome in runner.outcomes.values())
