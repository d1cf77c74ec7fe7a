"""Streams a configured catalog asks for that this source does not have (renamed or removed custom
reports, a catalog from another connector). The CDK marks them incomplete and carries on, so a sync
would end green having read nothing for them; the source reads the others, then fails with this."""

from __future__ import annotations

from collections.abc import Iterable

from airbyte_cdk.models import ConfiguredAirbyteCatalog
from airbyte_cdk.sources.streams import Stream
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .config import config_error


def missing_stream_names(catalog: ConfiguredAirbyteCatalog, streams: Iterable[Stream]) -> list[str]:
    offered = {stream.name for stream in streams}
    return [configured.stream.name for configured in catalog.streams if configured.stream.name not in offered]


def missing_streams_error(names: list[str]) -> AirbyteTracedException:
    quoted = ", ".join(f"'{name}'" for name in names)
    return config_error(
        f"The connection asks for stream(s) this source does not have: {quoted}. The other streams were "
        "read. Refresh the source schema in the connection (its Schema tab: Refresh source schema), "
        "review the changes and save; a stream that is gone is then no longer asked for."
    )
