from .cdk_imports import skip_cdk_package_exports

skip_cdk_package_exports()

from .source import SourceTiktokAds  # noqa: E402

__all__ = ["SourceTiktokAds"]
