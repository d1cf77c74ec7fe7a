import argparse
import ctypes
import logging
import os
import signal
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from airbyte_cdk.entrypoint import PRINT_BUFFER, AirbyteEntrypoint
from airbyte_cdk.logger import is_platform_debug_log_enabled
from airbyte_cdk.models import AirbyteMessage, ConnectorSpecification, FailureType
from airbyte_cdk.sources.connector_state_manager import HashableStreamDescriptor
from airbyte_cdk.sources.utils.schema_helpers import split_config
from airbyte_cdk.utils.constants import ENV_REQUEST_CACHE_PATH
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .api.errors import Unreachable
from .config import parse_config
from .record_lines import RecordLines
from .scrub import scrub_every_output
from .source import SourceTiktokAds

# glibc's mallopt parameter numbers
M_ARENA_MAX = -8
M_MMAP_THRESHOLD = -3
COMMANDS = ("spec", "check", "discover", "read")
USAGE = (
    "usage: source-tiktok-ads {spec,check,discover,read} [--config CONFIG] [--catalog CATALOG] "
    "[--state STATE]\n"
    "No command given. For example: source-tiktok-ads check --config config.json "
    "(source-tiktok-ads <command> --help describes each command)."
)


class TikTokAdsEntrypoint(AirbyteEntrypoint):
    """Airbyte's entrypoint, with config validation by our model and pages of records written whole.

    - Config: the CDK's JSON-schema pass reports an empty token as "… is not valid under any of the
      given schemas" and a too-large attribution window without naming the field; the pydantic model
      checks the same rules and its config error names the field and the fix.
    - `read` writes each `RecordLines` message (a page of records, see `record_lines`) as it is, and
      counts its records for the state messages' record counts.
    Everything else is the CDK's.
    """

    @staticmethod
    def validate_connection(source_spec: ConnectorSpecification, config: Mapping[str, Any]) -> None:
        if not isinstance(config, Mapping):
            parse_config(config)  # raises the config error for a non-object config
        connector_config, _ = split_config(config)
        parse_config(dict(connector_config))

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
        if parsed_args.command != "read" or not isinstance(self.source, SourceTiktokAds):
            yield from super().run(parsed_args)
            return
        # airbyte-cdk 7.39's run() for `read`, except that it serialises every message with a static
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
                self.source.writes_record_lines = True
                for message in self.read(source_spec, config, catalog, state):
                    yield (
                        message.lines
                        if isinstance(message, RecordLines)
                        else self.airbyte_message_to_string(message)
                    )
        finally:
            yield from map(self.airbyte_message_to_string, self._emit_queued_messages(self.source))


def tune_malloc(arenas: int = 2, mmap_threshold: int = 2 * 1024 * 1024) -> None:
    """Two settings of glibc's allocator that keep the peak RSS near the pages actually held.

    - Every thread that allocates gets its own malloc arena, which rarely returns memory: with several
      fetch workers handling multi-megabyte pages that cost ~70 MiB of RSS on the small benchmark for
      nothing. Two arenas keep the workers' throughput (the GIL serialises them anyway).
    - A freed block larger than the mmap threshold makes glibc raise the threshold to that size, so
      later page bodies (1-4 MB) come from the heap and stay there. Fixing it at 2 MiB returns them
      once freed: the medium benchmark's peak fell by 40-70 MiB in paired runs, for about 4%
      more CPU in page faults (at 1 MiB, smaller buffers pay too: 15%).
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(M_ARENA_MAX, arenas)
        libc.mallopt(M_MMAP_THRESHOLD, mmap_threshold)
    except (OSError, AttributeError):  # not glibc: nothing to tune
        pass


def write_record_lines(lines: bytes) -> None:
    """A page of RECORD lines straight to stdout, after everything printed before it.

    Through print() a 4 MB page would be decoded, copied into the CDK's print buffer, copied out and
    encoded again; written as bytes it is copied once, into stdout's own buffer.
    """
    with PRINT_BUFFER.lock:
        PRINT_BUFFER.flush()  # what print() holds goes out first (and stdout's text layer is flushed)
        stdout = sys.__stdout__.buffer  # type: ignore[union-attr]
        stdout.write(lines)
        stdout.write(b"\n")


def exit_on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM (how Airbyte cancels a sync) ends the run like Ctrl-C does: cleanup code runs, so the
    temporary directory of a read is removed, and the exit status says which signal."""
    raise SystemExit(128 + signum)


def run() -> None:
    tune_malloc()
    scrub_every_output(PRINT_BUFFER)
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    # airbyte_cdk.entrypoint.launch, with our entrypoint class (launch has no parameter for it).
    parsed_args = TikTokAdsEntrypoint.parse_args(sys.argv[1:])
    if parsed_args.command not in COMMANDS:
        print(USAGE, file=sys.stderr)
        sys.exit(2)
    entrypoint = TikTokAdsEntrypoint(SourceTiktokAds())
    try:
        with PRINT_BUFFER:
            for message in entrypoint.run(parsed_args):
                if message.__class__ is bytes:
                    write_record_lines(message)
                else:
                    print(f"{message}\n", end="")
    except AirbyteTracedException as error:
        if error.failure_type != FailureType.config_error and not isinstance(error, Unreachable):
            raise
        # A config problem (or a host that cannot be reached) is the user's to fix: the message says
        # how, a stack trace would only bury it.
        trace = error.as_sanitized_airbyte_message()
        trace.trace.error.stack_trace = None
        print(f"{AirbyteEntrypoint.airbyte_message_to_string(trace)}\n", end="", flush=True)
        sys.exit(1)
