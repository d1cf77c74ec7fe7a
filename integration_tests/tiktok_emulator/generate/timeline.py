"""When generated ads-management objects were created and last changed, relative to the data range."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from ..seeding import seeded_hash

if TYPE_CHECKING:
    from ..dataset import DatasetSpec


@dataclass(frozen=True)
class Timeline:
    seed: int
    range_start: datetime
    # Seconds from the first day's midnight to the last day's: where in-range changes fall.
    modify_span: int

    @classmethod
    def of(cls, spec: DatasetSpec) -> Timeline:
        range_start = datetime.combine(spec.start_date, time())
        return cls(spec.seed, range_start, max(1, (spec.days - 1) * 86400))

    def modify_time(self, entity_id: str, created: datetime) -> datetime:
        # A quarter were last touched before the data range starts, the rest inside it.
        h = seeded_hash(self.seed, entity_id, "modify")
        if h % 4 == 0:
            return created + timedelta(seconds=h % (10 * 86400))
        return self.range_start + timedelta(seconds=(h >> 8) % self.modify_span)
