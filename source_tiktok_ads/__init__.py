# The CDK adapter first: it registers airbyte_cdk without its package-level imports before any other
# module imports the CDK.
from . import cdk_adapter  # noqa: F401
from .source import SourceTiktokAds

__all__ = ["SourceTiktokAds"]
