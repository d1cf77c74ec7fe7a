"""Custom audiences (`dmp/custom_audience/list/`)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ..seeding import seeded_hash, ts

if TYPE_CHECKING:
    from .library import LibraryIds

AUDIENCE_TYPES = ("Customer File Audience", "Engagement Audience", "Lookalike Audience")


def build_audience(ids: LibraryIds, a: int, n: int) -> dict[str, Any]:
    audience_id = ids.next_id("audience", 9)[-10:]
    created = ids.moment(audience_id, before_days=90)
    return {
        "audience_id": audience_id,
        "name": f"Audience {a + 1}.{n + 1}",
        "audience_type": AUDIENCE_TYPES[n % 3],
        "calculate_type": "MULTIPLE_TYPES",
        "cover_num": 1000 + seeded_hash(ids.seed, audience_id) % 900000,
        "shared": False,
        "is_creator": True,
        "is_valid": True,
        "is_expiring": n % 4 == 3,
        "create_time": ts(created),
        "expired_time": ts(created + timedelta(days=365)),
    }
