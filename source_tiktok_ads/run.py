import ctypes
import sys
from collections.abc import Mapping
from typing import Any

from airbyte_cdk.entrypoint import PRINT_BUFFER, AirbyteEntrypoint
from airbyte_cdk.models import ConnectorSpecification, FailureType
from airbyte_cdk.sources.utils.schema_helpers import split_config
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .config import parse_config
from .source import SourceTiktokAds

M_ARENA_MAX = -8  # glibc's mallopt parameter number


class TikTokAdsEntrypoint(AirbyteEntrypoint):
    """Airbyte's entrypoint, with config validation by our model.

    The CDK's JSON-schema pass reports an empty token as "… is not valid under any of the given schemas"
    and a too-large attribution window without naming the field; the pydantic model checks the same rules
    and its config error names the field and the fix. Everything else is the CDK's.
    """

    @staticmethod
    def validate_connection(source_spec: ConnectorSpecification, config: Mapping[str, Any]) -> None:
        if not isinstance(config, Mapping):
            parse_config(config)  # raises the config error for a non-object config
        connector_config, _ = split_config(config)
        parse_config(dict(connector_config))


def limit_malloc_arenas(arenas: int = 2) -> None:
    """glibc gives every thread that allocates its own malloc arena and rarely returns their memory:
    with several fetch workers handling multi-megabyte pages that cost ~70 MiB of RSS on the small
    benchmark for nothing. Two arenas keep the workers' throughput (the GIL serialises them anyway)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(M_ARENA_MAX, arenas)
    except (OSError, AttributeError):  # not glibc: nothing to tune
        pass


def run() -> None:
    limit_malloc_arenas()
    # airbyte_cdk.entrypoint.launch, with our entrypoint class (launch has no parameter for it).
    entrypoint = TikTokAdsEntrypoint(SourceTiktokAds())
    parsed_args = entrypoint.parse_args(sys.argv[1:])
    try:
        with PRINT_BUFFER:
            for message in entrypoint.run(parsed_args):
                print(f"{message}\n", end="")
    except AirbyteTracedException as error:
        if error.failure_type != FailureType.config_error:
            raise
        # A config problem is the user's to fix: the message says how, a stack trace would only bury it.
        trace = error.as_sanitized_airbyte_message()
        trace.trace.error.stack_trace = None
        print(f"{AirbyteEntrypoint.airbyte_message_to_string(trace)}\n", end="", flush=True)
        sys.exit(1)
