import sys

from airbyte_cdk.entrypoint import launch

from .source import SourceTiktokAds


def run() -> None:
    launch(SourceTiktokAds(), sys.argv[1:])
