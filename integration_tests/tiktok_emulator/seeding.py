"""The seeded building blocks every generated object is made of: hashes, ids and time formats."""

from __future__ import annotations

import hashlib
from datetime import datetime

TS_FORMAT = "%Y-%m-%d %H:%M:%S"


def seeded_hash(*parts: object) -> int:
    """A stable 64-bit number for the parts: the same seed and keys give the same data on every run."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def make_id(kind_digit: int, seed: int, index: int) -> str:
    # 19 digits: "7", a kind digit, 5 digits of seed, 12 digits of index. Stable across runs.
    return f"7{kind_digit}{seed % 100000:05d}{index:012d}"


def ts(dt: datetime) -> str:
    return dt.strftime(TS_FORMAT)


def iso(dt: datetime) -> str:
    # Creative assets carry ISO 8601 UTC timestamps, unlike ads-management objects.
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def every(step: int, n: int) -> bool:
    """Whether the n-th object (1-based) is one of every ``step``-th (never when ``step`` is 0)."""
    return step > 0 and n % step == 0
