"""`cdk_adapter` against the installed airbyte-cdk: the functions it copied or relies on have not
changed, the private attributes it reads exist, and the runtimes block is logged once per read."""

from __future__ import annotations

import hashlib
import importlib.metadata
import inspect
import logging
import subprocess
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import backoff._sync
import pytest
import requests
import requests_mock
from airbyte_cdk.entrypoint import PRINT_BUFFER, AirbyteEntrypoint, launch
from airbyte_cdk.exception_handler import generate_failed_streams_error_message
from airbyte_cdk.models import FailureType, StreamDescriptor
from airbyte_cdk.sources import AbstractSource
from airbyte_cdk.sources.streams.call_rate import APIBudget, LimiterMixin
from airbyte_cdk.sources.streams.http import HttpStream
from airbyte_cdk.sources.streams.http.error_handlers import (
    BackoffStrategy,
    ErrorHandler,
    ErrorResolution,
    ResponseAction,
)
from airbyte_cdk.sources.streams.http.http_client import HttpClient
from airbyte_cdk.sources.streams.http.rate_limiting import user_defined_backoff_handler
from airbyte_cdk.utils.event_timing import EventTimer
from airbyte_cdk.utils.print_buffer import PrintBuffer
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_tiktok_ads import cdk_adapter
from source_tiktok_ads.cdk_adapter import (
    CDK_FAILED_STREAMS_PREFIX,
    CDK_STREAM_FAILED_PREFIX,
    CHECKED_AGAINST,
    FailedStreams,
    HandledAnswerLines,
    RuntimesOnce,
    quiet_handled_answers,
)

from .conftest import raw_config
from .test_progress import read_with_progress

# Each CDK function the adapter copied or whose private behaviour the connector relies on: the
# fingerprint of its source in the release `CHECKED_AGAINST`, and what to re-check when it changes.
FINGERPRINTS: dict[str, tuple[Callable[..., Any], str, str]] = {
    "AbstractSource._read_stream": (
        AbstractSource._read_stream,
        "e0197a47214f50b74221d66c597dee25ac751b0dc5f48a7878a2301ebd7436ea",
        "copied as AdaptedSource._read_stream: port the change to the copy",
    ),
    "AbstractSource.read": (
        AbstractSource.read,
        "b499bc5ae82a8b9c4db8e25b1c354d4eb945ab1d23528a79904682353d214dd0",
        "calls _read_stream per stream, logs timer.report() after each and a stream's failure with "
        "logger.exception: check that runtimes_logged_once (RuntimesOnce), reports.keyless_rows.QuietFailures "
        "and HandledAnswerLines (CDK_STREAM_FAILED_PREFIX) still match",
    ),
    "HttpClient._handle_error_resolution": (
        HttpClient._handle_error_resolution,
        "e08a1bc99baebd66a7106980378a9aa92855a4a4a6bc77962e707656ceccc107",
        "logs a FAIL answer as a request dump before raising the resolution's message, and an IGNORE "
        "answer with the resolution's message: check CDK_FAILED_REQUEST and the demoted endings of "
        "HandledAnswerLines",
    ),
    "HttpClient._send_with_retry": (
        HttpClient._send_with_retry,
        "c60a40855cdbf82c16dfc46e534b0b92883ef6f85552286aec5baa557ee0c635",
        "logs CDK_RETRIES_EXHAUSTED with a traceback when retries run out, then raises: HandledAnswerLines "
        "leaves the line out",
    ),
    "AirbyteEntrypoint.check": (
        AirbyteEntrypoint.check,
        "8a3e4c868eb4a762cb35c702dd71188848a1610a084768c555c98fc637be57cb",
        "logs CDK_CHECK_FAILED for a failed check; HandledAnswerLines leaves it out, the source logs the reason",
    ),
    "EventTimer.report": (
        EventTimer.report,
        "20321d55383fc39981c006b3808b916b5bc54408cd2220f0cad56e6565b5d8b0",
        "RuntimesOnce recognises the block by its first line '<source> runtimes:'",
    ),
    "AirbyteEntrypoint.run": (
        AirbyteEntrypoint.run,
        "1a805ae949824330e0175a29bf8fb0421d6b8d60dcb11ee6be5748f6c1b7b484",
        "its `read` branch is copied in RecordLinesEntrypoint.run: port the change to the copy",
    ),
    "AirbyteEntrypoint.handle_record_counts": (
        AirbyteEntrypoint.handle_record_counts,
        "808d1e025b2ce7c088ea3bc21195717ba6cdd93fd32c5a0395a5ff9728ff1dc0",
        "RecordLinesEntrypoint.handle_record_counts counts a page's records and defers the rest to it",
    ),
    "launch": (
        launch,
        "72c55de6b9ed857b902e8e7db1eb49297ac4d2970d1da2fc94cd6c2c4ac14c68",
        "cdk_adapter.launch does its job for our entry point: port the change",
    ),
    "HttpStream._fetch_next_page": (
        HttpStream._fetch_next_page,
        "8030df7fe3b58a9bc1ad2a71e520a469e72ef4546b9e5041ac52537b61c12269",
        "every page request goes through it (AdaptedHttpStream): check its signature and return value",
    ),
    "HttpClient._send": (
        HttpClient._send,
        "fe0d3b2f7bd2c652e65ea1aeee41abc12bc368cc802f5c28e1fac656bb182d7e",
        "counts attempts in _request_attempt_count, which retried_request reads for the give-up message",
    ),
    "AirbyteTracedException.__init__": (
        AirbyteTracedException.__init__,
        "e2ec893c053d0ef1ca4235d923b7c8dd4983696011de3edc80b23b2bf54b49a5",
        "retried_request reads _exception and _stream_descriptor",
    ),
    "PrintBuffer.write": (
        PrintBuffer.write,
        "66884760eb79863b898a443b97c1d5f14f5f9ce9adb647325bf48d51888ca93f",
        "scrub_every_output wraps it",
    ),
    "PrintBuffer.flush": (
        PrintBuffer.flush,
        "53528ba0262b7b7bf2950fe1411f0041625f49d79d00e53d3c86307a11d5e47c",
        "write_record_lines flushes it under its lock before writing bytes to stdout",
    ),
    "HttpClient._request_session": (
        HttpClient._request_session,
        "20685918f002be809850601c107690724241b4e7f0cc9d6c6f7b3af81949534a",
        "makes the session mount_transport mounts the transport on and gates: check it is still kept in "
        "_session and that its send still waits for the rate budget",
    ),
    "LimiterMixin.send": (
        LimiterMixin.send,
        "39b3ced58350833b6e4dfe347440cb1cecbed2c5d6bfa19c909087b73aea0daf",
        "waits for the rate budget, then sends: mount_transport's gate wraps it, so the in-flight slot is "
        "held from before the budget wait until the body is read",
    ),
    "user_defined_backoff_handler": (
        user_defined_backoff_handler,
        "e585b90aafebe86994e84615ada11d9e29395eb5a206de9de00a08ded913d413",
        "api/retry_log rewords its 'UserDefinedBackoffException: Rate limit exceeded' line and "
        "HandledAnswerLines leaves out its CDK_GAVE_UP_PREFIX line; its wait is a call of its module's "
        "time.sleep, which cancellable_cdk_waits replaces",
    ),
    "generate_failed_streams_error_message": (
        generate_failed_streams_error_message,
        "d99f205e62c1ffdc40db65f7a04b9d661ca4c1750a72ba5bc1ca875473b14138",
        "FailedStreams recognises the closing error (and its log line) by CDK_FAILED_STREAMS_PREFIX",
    ),
    "APIBudget._do_acquire": (
        APIBudget._do_acquire,
        "7919d40056124f7ed542d945c8a35ffa56d034b07999a2927248f63b74948aad",
        "waits for a full rate window with its module's time.sleep, which cancellable_cdk_waits replaces",
    ),
    "backoff._sync.retry_exception": (
        backoff._sync.retry_exception,
        "fc1bc167733af77c440f3795b220eb4cf1ff9c524fd3f97eeff84c924d64fbfc",
        "waits between tries with its module's time.sleep, which cancellable_cdk_waits replaces",
    ),
}


def fingerprint(function: Callable[..., Any]) -> str:
    """sha256 of the source, dedented, without trailing spaces or blank lines."""
    lines = textwrap.dedent(inspect.getsource(function)).splitlines()
    normalised = "\n".join(line.rstrip() for line in lines if line.strip())
    return hashlib.sha256(normalised.encode()).hexdigest()


def test_the_installed_cdk_is_the_release_the_adapter_was_checked_against() -> None:
    assert importlib.metadata.version("airbyte-cdk") == CHECKED_AGAINST


@pytest.mark.parametrize("name", sorted(FINGERPRINTS))
def test_cdk_functions_copied_or_relied_on_are_unchanged(name: str) -> None:
    function, expected, recheck = FINGERPRINTS[name]
    assert fingerprint(function) == expected, (
        f"airbyte-cdk's {name} changed since {CHECKED_AGAINST}: {recheck} (source_tiktok_ads/cdk_adapter.py), "
        "then update its fingerprint here."
    )


class Page(HttpStream):
    url_base = "https://example.invalid/"
    primary_key = None

    def path(self, **kwargs: Any) -> str:
        return "page"

    def next_page_token(self, response: requests.Response) -> None:
        return None

    def parse_response(self, response: requests.Response, **kwargs: Any) -> list[Any]:
        return []


def test_every_private_attribute_the_adapter_reads_exists() -> None:
    client = HttpClient("test", logging.getLogger("test"))
    assert isinstance(client._request_attempt_count, dict)
    assert isinstance(client._session, requests.Session)
    error = AirbyteTracedException(message="x")
    assert error._exception is None and error._stream_descriptor is None
    assert isinstance(Page()._http_client, HttpClient)
    for name in ("_read_stream", "_emit_queued_messages", "_get_message", "_slice_logger"):
        assert hasattr(AbstractSource, name), name
    assert callable(AirbyteEntrypoint._emit_queued_messages)
    assert callable(HttpStream._fetch_next_page)
    assert hasattr(PRINT_BUFFER, "lock") and callable(PRINT_BUFFER.flush)


def test_retried_request_reads_what_the_cdk_knows() -> None:
    request = requests.Request("GET", "https://example.invalid/").prepare()
    client = HttpClient("test", logging.getLogger("test"))
    client._request_attempt_count[request] = 3
    last = requests.RequestException("boom", request=request)
    retried = cdk_adapter.retried_request(AirbyteTracedException(message="x", exception=last), client)
    assert retried.last_error is last and retried.attempts == 3 and retried.stream_descriptor is None


def test_runtimes_once_holds_every_block_and_logs_the_last(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test_runtimes_once")
    runtimes = RuntimesOnce("SourceTiktokAds")
    logger.addFilter(runtimes)
    with caplog.at_level(logging.INFO, logger=logger.name):
        for streams in (["a"], ["a", "b"]):
            logger.info("SourceTiktokAds runtimes:\n" + "\n".join(streams))
            logger.info("Finished syncing a")
        logger.removeFilter(runtimes)
        runtimes.log_latest(logger)
    assert [record.getMessage() for record in caplog.records] == [
        "Finished syncing a",
        "Finished syncing a",
        "SourceTiktokAds runtimes:\na\nb",
    ]


def test_a_multi_stream_read_logs_the_runtimes_block_once_at_the_end() -> None:
    output, _ = read_with_progress(raw_config(start_date="2026-01-01", end_date="2026-01-03"), interval=30)
    messages = [log.log.message for log in output.logs]
    blocks = [message for message in messages if message.startswith("SourceTiktokAds runtimes:\n")]
    assert len(blocks) == 1
    # The one block times every stream of the read, and comes after the last stream finished.
    assert all(
        f"Syncing stream {name}" in blocks[0]
        for name in ("ads_reports_daily", "ads_reports_lifetime", "campaigns")
    )
    assert messages.index(blocks[0]) > messages.index("Finished syncing campaigns")


def test_the_closing_error_names_each_failed_stream_with_its_own_message() -> None:
    failed = FailedStreams()
    for stream, text in (
        ("ads", "Stream ads could not read 1 advertiser(s): denied"),
        ("campaigns", "Gave up"),
    ):
        error = AirbyteTracedException(message=text, failure_type=FailureType.config_error)
        failed.observe(error.as_sanitized_airbyte_message(stream_descriptor=StreamDescriptor(name=stream)))
    failed.observe(AirbyteTracedException(message="not a stream's").as_airbyte_message())
    cdk_error = AirbyteTracedException(
        message=generate_failed_streams_error_message(
            {"ads": [AirbyteTracedException(internal_message=None)]}
        ),
        failure_type=FailureType.config_error,
    )
    closing = failed.closing_error(cdk_error)
    assert closing.message == (
        f"{CDK_FAILED_STREAMS_PREFIX}ads: Stream ads could not read 1 advertiser(s): denied\ncampaigns: Gave up"
    )
    assert closing.failure_type == FailureType.config_error
    other = AirbyteTracedException(message="Cannot reach host")
    assert failed.closing_error(other) is other


def test_the_cdk_line_of_the_closing_error_is_left_out_of_the_log() -> None:
    failed = FailedStreams()
    line = logging.LogRecord("airbyte", logging.INFO, "", 0, CDK_FAILED_STREAMS_PREFIX + "ads: x", None, None)
    other = logging.LogRecord("airbyte", logging.INFO, "", 0, "Finished syncing ads", None, None)
    assert not failed.filter(line) and failed.filter(other)


# --- HandledAnswerLines: the CDK's lines about answers the connector handles ---------------------------


class Always(ErrorHandler):
    """Resolves every answer the same way, with the connector's kind of message."""

    def __init__(self, action: ResponseAction, message: str) -> None:
        self.resolution = ErrorResolution(action, FailureType.system_error, message)

    @property
    def max_retries(self) -> int:
        return 1

    @property
    def max_time(self) -> int:
        return 60

    def interpret_response(self, response_or_exception: Any = None) -> ErrorResolution:
        return self.resolution


class OneSecond(BackoffStrategy):
    def backoff_time(self, response_or_exception: Any, attempt_count: int) -> float:
        return 1.0


def cdk_lines(action: ResponseAction, message: str, *, quiet: bool) -> tuple[list[logging.LogRecord], str]:
    """What the CDK's HttpClient logs (on its logger and the backoff handlers') for one request whose
    answer `Always` resolves, and the message of the error it raises."""
    logger = logging.getLogger(f"test_handled_answers_{action.name}_{quiet}")
    logger.setLevel(logging.INFO)
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep(logging.DEBUG)
    cdk_logger = logging.getLogger(cdk_adapter.CDK_LOGGER)
    saved_filters = list(cdk_logger.filters)
    for target in (logger, cdk_logger):
        target.addHandler(keep)
    if quiet:
        quiet_handled_answers(logger, ("; handled by the stream.",))
    else:  # the CDK's own lines: without any filter the connector installs
        cdk_logger.filters = [f for f in cdk_logger.filters if not isinstance(f, HandledAnswerLines)]
    client = HttpClient("test", logger, error_handler=Always(action, message), backoff_strategy=OneSecond())
    try:
        with requests_mock.Mocker() as mock:
            mock.get(
                "https://example.invalid/ad/get/", json={"code": 40105, "message": "m"}, headers={"H": "v"}
            )
            try:
                client.send_request("GET", "https://example.invalid/ad/get/?secret=s3cr3t-value", {})
                raised = ""
            except AirbyteTracedException as error:
                raised = error.message or ""
    finally:
        for target in (logger, cdk_logger):
            target.removeHandler(keep)
        cdk_logger.filters = saved_filters
    return records, raised


@pytest.mark.parametrize("action", [ResponseAction.FAIL, ResponseAction.RETRY])
def test_the_cdk_lines_about_a_resolved_answer_are_left_out_and_the_error_keeps_its_message(
    action: ResponseAction, no_sleep: list[float]
) -> None:
    message = "ad/get/: TikTok code 40105: m"
    # Without the filter, the CDK dumps the request (FAIL) or logs its giving up with a traceback (RETRY):
    # the lines the filter is made for are what this CDK logs.
    cdk, raised = cdk_lines(action, message, quiet=False)
    cdk_text = [record.getMessage() for record in cdk if record.levelno >= logging.ERROR]
    if action == ResponseAction.FAIL:
        assert any(cdk_adapter.CDK_FAILED_REQUEST.match(line) for line in cdk_text), cdk_text
        assert raised == message
    else:
        assert cdk_adapter.CDK_RETRIES_EXHAUSTED in cdk_text, cdk_text
        assert any(line.startswith(cdk_adapter.CDK_GAVE_UP_PREFIX) for line in cdk_text), cdk_text
    quiet, raised_quietly = cdk_lines(action, message, quiet=True)
    assert [record for record in quiet if record.levelno >= logging.ERROR] == []
    assert raised_quietly == raised


def test_an_answer_the_stream_handles_is_a_debug_line(no_sleep: list[float]) -> None:
    handled = "ad/get/: TikTok code 40001: m; handled by the stream."
    cdk, _ = cdk_lines(ResponseAction.IGNORE, handled, quiet=False)
    assert [(record.levelno, record.getMessage()) for record in cdk] == [(logging.INFO, handled)]
    quiet, _ = cdk_lines(ResponseAction.IGNORE, handled, quiet=True)
    assert quiet == []  # a debug line, and the logger is at INFO
    line = logging.LogRecord(
        "airbyte.x", logging.INFO, "", 0, "x: TikTok code 40001; handled by the stream.", None, None
    )
    debug = logging.getLogger("airbyte.x")
    debug.setLevel(logging.DEBUG)
    try:
        assert HandledAnswerLines(("; handled by the stream.",)).filter(line)
    finally:
        debug.setLevel(logging.NOTSET)
    assert line.levelno == logging.DEBUG and line.levelname == "DEBUG"


def test_a_stream_failure_with_a_message_for_the_user_is_one_line() -> None:
    def failure(error: Exception) -> logging.LogRecord:
        try:
            raise error
        except Exception:
            info = sys.exc_info()
        return logging.LogRecord(
            "airbyte", logging.ERROR, "", 0, f"{CDK_STREAM_FAILED_PREFIX}ads", None, info
        )

    told = failure(AirbyteTracedException(message="Gave up on ad/get/ after 9 attempts: HTTP 500"))
    assert HandledAnswerLines().filter(told)
    assert (
        told.getMessage() == f"{CDK_STREAM_FAILED_PREFIX}ads: Gave up on ad/get/ after 9 attempts: HTTP 500"
    )
    assert told.exc_info is None and told.levelno == logging.ERROR
    # A bug keeps its traceback: nobody has put it in words yet.
    bug = failure(KeyError("list"))
    assert HandledAnswerLines().filter(bug) and bug.exc_info is not None


def test_endings_given_after_the_filter_was_installed_are_demoted_too() -> None:
    logger = logging.getLogger("test_endings_added_later")
    logger.setLevel(logging.INFO)
    quiet_handled_answers(logger)
    quiet_handled_answers(logger, ("; handled by the stream.",))
    quiet_handled_answers(logger, ("; handled by the stream.",))
    [installed] = [each for each in logger.filters if isinstance(each, HandledAnswerLines)]
    assert installed.demoted_endings == ("; handled by the stream.",)
    line = logging.LogRecord(logger.name, logging.INFO, "", 0, "x; handled by the stream.", None, None)
    assert not installed.filter(line)  # a debug line, and the logger is not at DEBUG


def test_protocol_serializers_without_attribute_docs_load_and_dump_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The start-up shortcut changes nothing the serializers do."""
    import serpyco_rs._utils
    from airbyte_cdk.models import AirbyteMessage
    from airbyte_cdk.models import airbyte_protocol_serializers as serializers
    from serpyco_rs import Serializer

    def build() -> Serializer:
        return Serializer(
            AirbyteMessage, omit_none=True, custom_type_resolver=serializers.custom_type_resolver
        )

    for name in cdk_adapter.SERPYCO_DOC_READERS:
        monkeypatch.setattr(sys.modules[name], "get_attributes_doc", cdk_adapter.no_attribute_docs)
    without_docs = build()
    for name in cdk_adapter.SERPYCO_DOC_READERS:
        monkeypatch.setattr(sys.modules[name], "get_attributes_doc", serpyco_rs._utils.get_attributes_doc)
    with_docs = build()

    messages = [
        {"type": "RECORD", "record": {"stream": "ads", "data": {"ad_id": "1", "n": 2.5}, "emitted_at": 1}},
        {
            "type": "STATE",
            "state": {
                "type": "STREAM",
                "stream": {
                    "stream_descriptor": {"name": "ads_reports_daily"},
                    "stream_state": {"states": [{"partition": {"advertiser_id": "1"}, "cursor": {"d": "x"}}]},
                },
                "sourceStats": {"recordCount": 3.0},
            },
        },
        {"type": "TRACE", "trace": {"type": "ERROR", "emitted_at": 1.0, "error": {"message": "m"}}},
        {"type": "LOG", "log": {"level": "WARN", "message": "w"}},
    ]
    for message in messages:
        assert without_docs.dump(without_docs.load(message)) == with_docs.dump(with_docs.load(message))
    # The protocol's classes carry no attribute docstrings: the schema itself is the same. A CDK release
    # that adds some fails here, to weigh the descriptions against the start-up time again.
    assert without_docs.get_json_schema() == with_docs.get_json_schema()


def test_a_connector_process_builds_the_protocol_serializers_without_attribute_docs() -> None:
    probe = (
        "import sys\n"
        "from source_tiktok_ads import cdk_adapter\n"
        "import airbyte_cdk.models.airbyte_protocol_serializers\n"
        "print(cdk_adapter.protocol_schema_docs_skipped())\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "True", done.stderr[-2000:]
