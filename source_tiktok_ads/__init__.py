from .source import SourceTiktokAds

__all__ = ["SourceTiktokAds"]
