"""A local stand-in for TikTok's Marketing API v1.3, for end-to-end connector tests.

ds = Dataset.generate(DatasetSpec(advertisers=2, days=30, seed=1))
with Emulator(ds, faults=FaultPlan()) as emu:
    requests.get(emu.base_url + "campaign/get/", ...)
"""

from . import credentials
from .dataset import Dataset, DatasetSpec
from .faults import FaultPlan
from .server import Emulator, RecordedRequest

__all__ = ["Dataset", "DatasetSpec", "Emulator", "FaultPlan", "RecordedRequest", "credentials"]
