import sys
from collections.abc import Mapping
from typing import Any

from airbyte_cdk.entrypoint import PRINT_BUFFER, AirbyteEntrypoint
from airbyte_cdk.models import ConnectorSpecification
from airbyte_cdk.sources.utils.schema_helpers import split_config

from .config import parse_config
from .source import SourceTiktokAds


class TikTokAdsEntrypoint(AirbyteEntrypoint):
    """Airbyte's entrypoint, with config validation by our model.

    The CDK's JSON-schema pass reports an empty token as "… is not valid under any of the given schemas"
    and a too-large attribution window without naming the field; the pydantic model checks the same rules
    and its config error names the field and the fix. Everything else is the CDK's.
    """

    @staticmethod
    def validate_connection(source_spec: ConnectorSpecification, config: Mapping[str, Any]) -> None:
        connector_config, _ = split_config(config)
        parse_config(dict(connector_config))


def run() -> None:
    # airbyte_cdk.entrypoint.launch, with our entrypoint class (launch has no parameter for it).
    entrypoint = TikTokAdsEntrypoint(SourceTiktokAds())
    parsed_args = entrypoint.parse_args(sys.argv[1:])
    with PRINT_BUFFER:
        for message in entrypoint.run(parsed_args):
            print(f"{message}\n", end="")
