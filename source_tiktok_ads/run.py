"""The `source-tiktok-ads` command: the process's settings, our entry point, and how a run ends."""

import argparse
import ctypes
import logging
import sys
from collections.abc import Mapping
from typing import Any

from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.models import ConnectorSpecification, FailureType
from airbyte_cdk.sources.utils.schema_helpers import split_config
from airbyte_cdk.utils.airbyte_secrets_utils import get_secrets, update_secrets
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .api.errors import Unreachable
from .cancel import CANCEL, Cancelled, end_cancelled, listen_for_cancel
from .cdk_adapter import RecordLinesEntrypoint, cancellable_cdk_waits, launch, scrub_print_buffer
from .config import parse_config
from .scrub import MIN_SECRET_LENGTH
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


class TikTokAdsEntrypoint(RecordLinesEntrypoint):
    """Airbyte's entrypoint, with config validation by our model and pages of records written whole.

    - Config: the CDK's JSON-schema pass reports an empty token as "… is not valid under any of the
      given schemas" and a too-large attribution window without naming the field; the pydantic model
      checks the same rules and its config error names the field and the fix.
    - `read` writes each `RecordLines` message (a page of records) as it is (see `cdk_adapter`).
    - Secrets: one too short to mask safely (which the config refuses) is not registered with the CDK,
      whose filter would otherwise mask that character or two everywhere in the output, the config
      error that explains it included.
    Everything else is the CDK's.
    """

    @staticmethod
    def set_up_secret_filter(config: Mapping[str, Any], connection_specification: Mapping[str, Any]) -> None:
        secrets = get_secrets(connection_specification, config)
        update_secrets([secret for secret in secrets if len(str(secret)) >= MIN_SECRET_LENGTH])

    @staticmethod
    def validate_connection(source_spec: ConnectorSpecification, config: Mapping[str, Any]) -> None:
        if not isinstance(config, Mapping):
            parse_config(config)  # raises the config error for a non-object config
        connector_config, _ = split_config(config)
        parse_config(dict(connector_config))


def tune_malloc(arenas: int = 2, mmap_threshold: int = 2 * 1024 * 1024) -> None:
    """Two settings of glibc's allocator that keep the peak RSS near the pages actually held.

    - Every thread that allocates gets its own malloc arena, which rarely returns memory: with several
      fetch workers handling multi-megabyte pages that is RSS held for nothing. Two arenas keep the
      workers' throughput (the GIL serialises them anyway).
    - A freed block larger than the mmap threshold makes glibc raise the threshold to that size, so
      later page bodies come from the heap and stay there. Fixing it returns them once freed, for a
      little more CPU in page faults (a lower threshold makes smaller buffers pay too).
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(M_ARENA_MAX, arenas)
        libc.mallopt(M_MMAP_THRESHOLD, mmap_threshold)
    except (OSError, AttributeError):  # not glibc: nothing to tune
        pass


def parse_command(argv: list[str]) -> argparse.Namespace:
    parsed_args = TikTokAdsEntrypoint.parse_args(argv)
    if parsed_args.command not in COMMANDS:
        print(USAGE, file=sys.stderr)
        sys.exit(2)
    return parsed_args


def run() -> None:
    tune_malloc()
    scrub_print_buffer()
    logger = logging.getLogger("airbyte")
    # SIGTERM (Airbyte's cancel) and Ctrl-C stop every wait of the run at once; the read unwinds, cleanup
    # code runs (the read's temporary directory is removed), and the last line says what was done.
    cancellable_cdk_waits(CANCEL.wait)
    listen_for_cancel(CANCEL, lambda cancelled: end_cancelled(CANCEL, cancelled, logger))
    parsed_args = parse_command(sys.argv[1:])
    try:
        launch(TikTokAdsEntrypoint(SourceTiktokAds()), parsed_args)
    except Cancelled as cancelled:
        end_cancelled(CANCEL, cancelled, logger)
    except AirbyteTracedException as error:
        if error.failure_type != FailureType.config_error and not isinstance(error, Unreachable):
            raise
        # A config problem (or a host that cannot be reached) is the user's to fix: the message says
        # how, a stack trace would only bury it.
        # Not the CDK's sanitising, which masks every registered secret, however short: a one-character
        # token would mask every such character of the sentence explaining it. All output is scrubbed.
        trace = error.as_airbyte_message()
        trace.trace.error.stack_trace = None
        print(f"{AirbyteEntrypoint.airbyte_message_to_string(trace)}\n", end="", flush=True)
        sys.exit(1)
