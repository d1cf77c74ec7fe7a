"""Every use the connector makes of airbyte-cdk internals, in one place.

The CDK's public API (HttpStream, AbstractSource, the models, AirbyteTracedException) is used where
it is needed. What is not public lives here: the two CDK functions copied with a change (the read
loop of one stream, and the entry point's `run` for `read`), the private attributes read to word a
final error, the private method a page request goes through, the private session our transport is
mounted on (`mount_transport`), the print buffer stdout is written through, the CDK's registry of secrets
(`registered_secrets`), the per-stream
"runtimes" log line held back until the read ends, the run's closing error reworded with each failed
stream's own message (`FailedStreams`), the CDK's sleeps made cancellable
(`cancellable_cdk_waits`), and the CDK's log lines about answers the connector handles itself
(`HandledAnswerLines`).

`unit_tests/test_cdk_adapter.py` fingerprints the source of each CDK function copied here or whose
private behaviour is relied on (`CHECKED_AGAINST` names the release they were checked against), and
checks that every private attribute read here exists: a CDK upgrade that changes one fails there,
naming what to re-check.

At start-up, `airbyte_cdk/__init__.py` would import the declarative framework, file-based sources,
destinations and the concurrent machinery to re-export their names: most of the CDK's start-up memory,
none of it used by this connector, which imports the CDK's modules by their full paths. So this module,
imported first by the package, registers `airbyte_cdk` without running that file
(`skip_cdk_package_exports`); the first access to a name the file would have defined runs it then.
It also spares serpyco_rs a search for docstrings the protocol classes do not have
(`skip_protocol_schema_docs`).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import os
import re
import sys
import tempfile
import threading
import time
import types
from abc import ABC
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

# --- start-up: the CDK package without its eager re-exports ------------------------------------

CDK_PACKAGE = "airbyte_cdk"


def skip_cdk_package_exports() -> bool:
    """Registers `airbyte_cdk` without its package-level imports; False when it is already imported
    (or cannot be found), which leaves everything as it was."""
    if CDK_PACKAGE in sys.modules:
        return False
    spec = importlib.util.find_spec(CDK_PACKAGE)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return False
    package = importlib.util.module_from_spec(spec)
    lock = threading.RLock()
    state = {"ran": False}

    def exports(name: str) -> Any:
        """Runs the package file once, at the first name asked for that a submodule did not set."""
        submodule = sys.modules.get(f"{CDK_PACKAGE}.{name}")
        if submodule is not None:  # still being imported: not yet set on the package
            return submodule
        with lock:
            if not state["ran"]:
                state["ran"] = True
                assert spec.loader is not None
                spec.loader.exec_module(package)
        try:
            return package.__dict__[name]
        except KeyError:
            raise AttributeError(f"module {CDK_PACKAGE!r} has no attribute {name!r}") from None

    package.__getattr__ = exports  # type: ignore[method-assign]
    sys.modules[CDK_PACKAGE] = package
    return True


def package_exports_ran() -> bool:
    """Whether `airbyte_cdk/__init__.py` has run in this process."""
    package = sys.modules.get(CDK_PACKAGE)
    return isinstance(package, types.ModuleType) and "launch" in package.__dict__


# serpyco_rs, which the CDK's protocol models are serialised with, builds each serializer's JSON schema
# when it is created, and looks for the attributes' docstrings to describe them by reading the source
# of every protocol class; before Python 3.13 each read parses the whole protocol module again. That
# search was most of a process's start-up CPU, and it finds nothing: the protocol classes have no such
# docstrings, so serializers and schemas are the same without it (`unit_tests/test_cdk_adapter.py`).
SERPYCO_DOC_READERS = ("serpyco_rs._describe", "serpyco_rs._json_schema._convert")


def no_attribute_docs(cls: type) -> dict[str, str]:
    return {}


def skip_protocol_schema_docs() -> bool:
    """Makes serpyco_rs describe classes without their attributes' docstrings; False (and nothing
    changed) when the protocol serializers already exist or serpyco_rs is not laid out as expected."""
    if f"{CDK_PACKAGE}.models.airbyte_protocol_serializers" in sys.modules:
        return False
    try:
        modules = [importlib.import_module(name) for name in SERPYCO_DOC_READERS]
    except ImportError:
        return False
    if not all(hasattr(module, "get_attributes_doc") for module in modules):
        return False
    for module in modules:
        module.get_attributes_doc = no_attribute_docs
    return True


def protocol_schema_docs_skipped() -> bool:
    """Whether serpyco_rs describes classes without their attributes' docstrings in this process."""
    return all(
        getattr(sys.modules.get(name), "get_attributes_doc", None) is no_attribute_docs
        for name in SERPYCO_DOC_READERS
    )


skip_cdk_package_exports()
skip_protocol_schema_docs()

import requests
from airbyte_cdk.entrypoint import PRINT_BUFFER, AirbyteEntrypoint
from airbyte_cdk.logger import is_platform_debug_log_enabled
from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteStateMessage,
    AirbyteStreamStatus,
    ConfiguredAirbyteCatalog,
    ConfiguredAirbyteStream,
    FailureType,
    StreamDescriptor,
    TraceType,
)
from airbyte_cdk.models import Type as MessageType
from airbyte_cdk.sources import AbstractSource
from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager, HashableStreamDescriptor
from airbyte_cdk.sources.streams import Stream
from airbyte_cdk.sources.streams.http import HttpStream
from airbyte_cdk.sources.streams.http.http_client import HttpClient
from airbyte_cdk.sources.utils.schema_helpers import InternalConfig
from airbyte_cdk.utils import airbyte_secrets_utils
from airbyte_cdk.utils.constants import ENV_REQUEST_CACHE_PATH
from airbyte_cdk.utils.stream_status_utils import as_airbyte_message as stream_status_as_airbyte_message
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .api.transport import TikTokTransport
from .pipeline.encoder import RecordLines
from .scrub import scrub_every_output, use_secrets

# The airbyte-cdk release the copies and private reads below were checked against (pinned in pyproject).
CHECKED_AGAINST = "7.39.1"

# --- HTTP: a page request, and what the CDK knows when its retries run out --------------------------


@dataclass(frozen=True)
class RetriedRequest:
    """A request whose retries ran out, as the CDK's exception and HTTP client know it."""

    last_error: BaseException | None
    attempts: int | None
    stream_descriptor: StreamDescriptor | None


def retried_request(error: AirbyteTracedException, client: HttpClient) -> RetriedRequest:
    """The last error, attempt count and stream of `error`, read from private attributes; read
    defensively, so a CDK change loses the detail, never the error."""
    last = getattr(error, "_exception", None)
    attempts = getattr(client, "_request_attempt_count", {})
    request = getattr(last, "request", None)
    return RetriedRequest(
        last_error=last,
        attempts=attempts.get(request) if request is not None else None,
        stream_descriptor=getattr(error, "_stream_descriptor", None),
    )


class AdaptedHttpStream(HttpStream, ABC):
    """HttpStream whose page requests go through `fetch_page`, with a hook for when retries run out."""

    def fetch_page(
        self, request_slice: Mapping[str, Any], page_token: Mapping[str, Any] | None
    ) -> requests.Response:
        """The response for one page of one listing, after the CDK's retries."""
        return self._fetch_next_page(request_slice, {}, page_token)[1]

    def _fetch_next_page(
        self,
        stream_slice: Mapping[str, Any] | None = None,
        stream_state: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> tuple[requests.PreparedRequest, requests.Response]:
        started = time.monotonic()
        try:
            return super()._fetch_next_page(stream_slice, stream_state, next_page_token)
        except AirbyteTracedException as error:
            raise self.retries_ran_out(error, self._http_client, time.monotonic() - started) from None

    def use_transport(self, transport: TikTokTransport) -> None:
        """This stream's requests go through `transport` (see `mount_transport`)."""
        mount_transport(self._http_client, transport)

    def retries_ran_out(self, error: AirbyteTracedException, client: HttpClient, seconds: float) -> Exception:
        """The error to raise when the CDK gave up on a request after `seconds`."""
        return error


# --- The read loop ----------------------------------------------------------------------------------


class RuntimesOnce(logging.Filter):
    """Holds back the CDK's "<source> runtimes:" block, which `AbstractSource.read` logs after every
    stream, each time with every stream so far; `log_latest` logs the last one once."""

    def __init__(self, source_name: str) -> None:
        super().__init__()
        self._prefix = f"{source_name} runtimes:\n"
        self._latest: str | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args or not isinstance(record.msg, str) or not record.msg.startswith(self._prefix):
            return True
        self._latest = record.msg
        return False

    def log_latest(self, logger: logging.Logger) -> None:
        if self._latest is not None:
            logger.info(self._latest)
            self._latest = None


@contextmanager
def runtimes_logged_once(logger: logging.Logger, source_name: str) -> Iterator[None]:
    """While a read runs, the CDK's runtimes block is held back; it is logged once when the read ends."""
    runtimes = RuntimesOnce(source_name)
    logger.addFilter(runtimes)
    try:
        yield
    finally:
        logger.removeFilter(runtimes)
        runtimes.log_latest(logger)


# How `AbstractSource.read` begins the error it raises after its streams, when any failed
# (airbyte_cdk.exception_handler.generate_failed_streams_error_message).
CDK_FAILED_STREAMS_PREFIX = "During the sync, the following streams did not sync successfully: "


class FailedStreams(logging.Filter):
    """The streams that failed in a read, each with its own message, and the run's closing error made of
    them: the CDK's lists each stream's exception by its repr(), which for our errors is
    `AirbyteTracedException(None)`. As a log filter it drops the CDK's log line of that same text."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: dict[str, str] = {}

    def observe(self, message: AirbyteMessage) -> None:
        """Keeps the message of a stream's error trace (as the CDK emitted it: secrets filtered)."""
        trace = message.trace if message.type == MessageType.TRACE else None
        error = trace.error if trace is not None and trace.type == TraceType.ERROR else None
        if error is not None and error.stream_descriptor is not None:
            self.messages[error.stream_descriptor.name] = error.message

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith(CDK_FAILED_STREAMS_PREFIX))

    def closing_error(self, error: AirbyteTracedException) -> AirbyteTracedException:
        """The CDK's closing error with each stream's own message; any other error as it is."""
        if not self.messages or not (error.message or "").startswith(CDK_FAILED_STREAMS_PREFIX):
            return error
        failures = "\n".join(f"{stream}: {message}" for stream, message in self.messages.items())
        return AirbyteTracedException(
            message=CDK_FAILED_STREAMS_PREFIX + failures,
            failure_type=error.failure_type or FailureType.config_error,
        )


class AdaptedSource(AbstractSource, ABC):
    """AbstractSource whose streams that `reads_pages` are read a page a message, counted by the
    records a page holds, and whose closing error names each failed stream with its own message. Its
    `read` should run inside `runtimes_logged_once`."""

    def read(
        self,
        logger: logging.Logger,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog,
        state: list[AirbyteStateMessage] | None = None,
    ) -> Iterator[AirbyteMessage]:
        failed = FailedStreams()
        logger.addFilter(failed)
        try:
            for message in super().read(logger, config, catalog, state):
                failed.observe(message)
                yield message
        except AirbyteTracedException as error:
            closing = failed.closing_error(error)
            if closing is error:
                raise
            raise closing from None
        finally:
            logger.removeFilter(failed)

    def reads_pages(self, stream: Stream) -> bool:
        """Whether the CDK's loop over `stream`'s messages is ours (`_read_stream`)."""
        return False

    def records_read(self, stream: Stream, records: int) -> None:
        """`records` more records of `stream` were read."""

    def _read_stream(
        self,
        logger: logging.Logger,
        stream_instance: Stream,
        configured_stream: ConfiguredAirbyteStream,
        state_manager: ConnectorStateManager,
        internal_config: InternalConfig,
    ) -> Iterator[AirbyteMessage]:
        """airbyte-cdk's loop over one stream's messages, with records counted through `RecordLines`.

        The CDK counts messages; its "Read N records" line would count pages. The rest is the same:
        the stream's state is set from the saved one, the stream is marked RUNNING at its first record,
        and queued messages (logs) go out between records.
        """
        if not self.reads_pages(stream_instance):
            yield from super()._read_stream(
                logger, stream_instance, configured_stream, state_manager, internal_config
            )
            return
        if internal_config.page_size:
            logger.info(f"Setting page size for {stream_instance.name} to {internal_config.page_size}")
            stream_instance.page_size = internal_config.page_size  # type: ignore[attr-defined]
        stream_instance.log_stream_sync_configuration()
        stream_name = configured_stream.stream.name
        stream_state = state_manager.get_stream_state(stream_name, stream_instance.namespace)
        if stream_state == {"__ab_no_cursor_state_message": True}:  # the CDK's terminal full-refresh marker
            stream_state = {}
        stream_instance.state = stream_state  # type: ignore[attr-defined]
        logger.info(f"Setting state of {self.name} stream to {stream_state}")
        messages = stream_instance.read(
            configured_stream, logger, self._slice_logger, stream_state, state_manager, internal_config
        )
        records = 0
        logger.info(f"Syncing stream: {stream_name} ")
        for data_or_message in messages:
            message = self._get_message(data_or_message, stream_instance)
            if message.type == MessageType.RECORD:
                if records == 0:
                    logger.info(f"Marking stream {stream_name} as RUNNING")
                    yield stream_status_as_airbyte_message(
                        configured_stream.stream, AirbyteStreamStatus.RUNNING
                    )
                added = message.count if isinstance(message, RecordLines) else 1
                records += added
                self.records_read(stream_instance, added)
            yield from self._emit_queued_messages()
            yield message
        logger.info(f"Read {records} records from {stream_name} stream")


# --- The entry point ----------------------------------------------------------------------------------


class RecordLinesEntrypoint(AirbyteEntrypoint):
    """AirbyteEntrypoint whose `read` writes each `RecordLines` message (a page of records) as it is,
    and counts its records for the state messages' record counts."""

    @staticmethod
    def handle_record_counts(
        message: AirbyteMessage, stream_message_count: defaultdict[HashableStreamDescriptor, float]
    ) -> AirbyteMessage:
        if isinstance(message, RecordLines):
            stream_message_count[HashableStreamDescriptor(name=message.record.stream)] += message.count
            return message
        return AirbyteEntrypoint.handle_record_counts(message, stream_message_count)

    def run(self, parsed_args: argparse.Namespace) -> Iterable[str | bytes]:
        """The CDK's messages as strings, and each page of records as its UTF-8 lines (bytes)."""
        if parsed_args.command != "read" or not isinstance(self.source, AdaptedSource):
            yield from super().run(parsed_args)
            return
        # airbyte-cdk's run() for `read`, except that it serialises every message with a static
        # method we cannot override, so a page of records would come out as one empty record.
        debug = getattr(parsed_args, "debug", False) or is_platform_debug_log_enabled()
        logging.getLogger("airbyte").setLevel(logging.DEBUG if debug else logging.INFO)
        self.logger.setLevel(logging.DEBUG if debug else logging.INFO)
        source_spec = self.source.spec(self.logger)
        try:
            with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as temp_dir:
                os.environ[ENV_REQUEST_CACHE_PATH] = temp_dir
                config = self.source.configure(self.source.read_config(parsed_args.config), temp_dir)
                yield from map(self.airbyte_message_to_string, self._emit_queued_messages(self.source))
                catalog = self.source.read_catalog(parsed_args.catalog)
                state = self.source.read_state(parsed_args.state)
                self.source.writes_record_lines = True  # type: ignore[attr-defined]
                for message in self.read(source_spec, config, catalog, state):
                    yield (
                        message.lines
                        if isinstance(message, RecordLines)
                        else self.airbyte_message_to_string(message)
                    )
        finally:
            yield from map(self.airbyte_message_to_string, self._emit_queued_messages(self.source))


def registered_secrets() -> list[str]:
    """The secrets the CDK masks (its registry is a private module variable; there is no getter)."""
    return list(getattr(airbyte_secrets_utils, "__SECRETS_FROM_CONFIG", []))


use_secrets(registered_secrets)


def scrub_print_buffer() -> None:
    """Scrub every output, the CDK's print buffer included (see `scrub.scrub_every_output`)."""
    scrub_every_output(PRINT_BUFFER)


def write_record_lines(lines: bytes) -> None:
    """A page of RECORD lines straight to stdout, after everything printed before it.

    Through print() a large page would be decoded, copied into the CDK's print buffer, copied out and
    encoded again; written as bytes it is copied once, into stdout's own buffer.
    """
    with PRINT_BUFFER.lock:
        PRINT_BUFFER.flush()  # what print() holds goes out first (and stdout's text layer is flushed)
        stdout = sys.__stdout__.buffer  # type: ignore[union-attr]
        stdout.write(lines)
        stdout.write(b"\n")


def launch(entrypoint: AirbyteEntrypoint, parsed_args: argparse.Namespace) -> None:
    """airbyte_cdk.entrypoint.launch, for an entry point of ours (launch has no parameter for it)
    that may yield pages of records as bytes."""
    with PRINT_BUFFER:
        for message in entrypoint.run(parsed_args):
            if message.__class__ is bytes:
                write_record_lines(message)  # type: ignore[arg-type]
            else:
                print(f"{message}\n", end="")


# --- HTTP: the transport under an HttpClient ------------------------------------------------------


def mount_transport(http_client: HttpClient, transport: TikTokTransport) -> None:
    """Puts `transport` under one of the CDK's HttpClients, and its gate around the session's send (the
    session is private to the HttpClient: there is no public way in)."""
    session: requests.Session = http_client._session
    session.mount("https://", transport)
    session.mount("http://", transport)
    session.send = transport.gated(session.send)  # type: ignore[method-assign]


# --- Waits: the CDK's sleeps, cut short by a cancel --------------------------------------------------

# The modules whose `time.sleep` makes a request wait: the CDK's retry handlers (the sleep before a retry
# our backoff strategy scheduled), the backoff library under them (its own waits between tries), and the
# CDK's rate limiter (a full per-minute window).
CDK_SLEEPING_MODULES = (
    "airbyte_cdk.sources.streams.http.rate_limiting",
    "backoff._sync",
    "airbyte_cdk.sources.streams.call_rate",
)


class SleepThrough(types.ModuleType):
    """The `time` module, with `sleep` replaced."""

    def __init__(self, sleep: Callable[[float], None]) -> None:
        super().__init__("time")
        self.sleep = sleep

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


def cancellable_cdk_waits(wait: Callable[[float], None]) -> None:
    """Every sleep of the CDK's retries and rate limiter goes through `wait` (which may raise to end it
    early). They call `time.sleep` through their module's `time`: there is no parameter for it."""
    for name in CDK_SLEEPING_MODULES:
        module = importlib.import_module(name)
        module.time = SleepThrough(wait)  # type: ignore[attr-defined]


# --- Logs: the CDK's lines about answers the connector handles ----------------------------------------

# How airbyte-cdk words what it logs about an answer: HttpClient._handle_error_resolution dumps a failed
# request (URL, body and headers) before raising the resolution's message, HttpClient._send_with_retry
# logs a traceback when the retries run out, rate_limiting's backoff handlers log their giving up, and
# AbstractSource.read logs a stream's failure with its traceback.
CDK_FAILED_REQUEST = re.compile(r"'[A-Z]+' request to '[^']*' failed with (status code|exception) ")
CDK_RETRIES_EXHAUSTED = "Retries exhausted with backoff exception."
CDK_GAVE_UP_PREFIX = "Max retry limit reached"
CDK_STREAM_FAILED_PREFIX = "Encountered an exception while reading stream "
# AirbyteEntrypoint.check's line for a failed check, which says no more than that.
CDK_CHECK_FAILED = "Check failed"
# The logger rate_limiting's backoff handlers and AbstractSource.read log to.
CDK_LOGGER = "airbyte"


class HandledAnswerLines(logging.Filter):
    """One line per answer, at the level it deserves. The CDK's request dump and its give-up lines are
    left out: the error raised next carries the connector's own message (endpoint, advertiser, fix),
    which the stream's failure line (or the check's, logged by the source) then gives. A stream's failure whose error has a message for the
    user is that one line, without the traceback (the error's trace message keeps it). Lines that end
    with one of `demoted_endings` (an answer the stream goes on to handle, and say so) are debug lines."""

    def __init__(self, demoted_endings: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.demoted_endings = demoted_endings

    def filter(self, record: logging.LogRecord) -> bool:
        if not isinstance(record.msg, str):
            return True
        message = record.msg
        if CDK_FAILED_REQUEST.match(message) or message in (CDK_RETRIES_EXHAUSTED, CDK_CHECK_FAILED):
            return False
        if message.startswith(CDK_GAVE_UP_PREFIX):
            return False
        if self.demoted_endings and message.endswith(self.demoted_endings):
            record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        if message.startswith(CDK_STREAM_FAILED_PREFIX) and record.exc_info:
            error = record.exc_info[1]
            if isinstance(error, AirbyteTracedException) and error.message:
                record.msg = f"{record.getMessage()}: {error.message}"
                record.args = None
                record.exc_info = None
                record.exc_text = None
        return True


def quiet_handled_answers(logger: logging.Logger, demoted_endings: tuple[str, ...] = ()) -> None:
    """Install `HandledAnswerLines` (once each) on `logger`, the one an HttpClient logs to, and on the
    logger of the CDK's backoff handlers and stream failures."""
    for target in {logger, logging.getLogger(CDK_LOGGER)}:
        installed = [existing for existing in target.filters if isinstance(existing, HandledAnswerLines)]
        if not installed:
            target.addFilter(HandledAnswerLines(demoted_endings))
            continue
        # Installed before, maybe without these endings (the source installs it before any error handler).
        missing = tuple(ending for ending in demoted_endings if ending not in installed[0].demoted_endings)
        installed[0].demoted_endings += missing
