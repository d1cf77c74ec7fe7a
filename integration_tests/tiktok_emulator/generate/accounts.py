"""Advertiser accounts: one of three account profiles (zone, currency, country) each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..seeding import make_id, seeded_hash

if TYPE_CHECKING:
    from ..dataset import DatasetSpec

# (timezone, display_timezone, currency, country, money factor, audience countries, province ids)
AccountProfile = tuple[str, str, str, str, int, tuple[str, ...], tuple[str, ...]]
ACCOUNT_PROFILES: tuple[AccountProfile, ...] = (
    ("Etc/GMT+8", "America/Los_Angeles", "USD", "US", 1, ("US", "CA", "MX", "GB"), ("5332921", "5101760")),
    ("Europe/Moscow", "Europe/Moscow", "RUB", "RU", 90, ("RU", "KZ", "BY", "AM"), ("524894", "536203")),
    ("Asia/Tokyo", "Asia/Tokyo", "JPY", "JP", 150, ("JP", "KR", "TW", "SG"), ("1850147", "1853908")),
)

# Days (at least) between an account's creation and the first day of the data range.
ACCOUNT_AGE_DAYS = 100

# The same zones as bare offsets (none of them observes daylight saving time).
OFFSET_NAMES = {"Etc/GMT+8": "UTC-08:00", "Europe/Moscow": "UTC+03:00", "Asia/Tokyo": "UTC+09:00"}


def build_advertiser(
    spec: DatasetSpec, a: int, range_start: datetime
) -> tuple[dict[str, Any], dict[str, Any], AccountProfile]:
    """The a-th advertiser (0-based): its listing fields, the fields only asked-for, and its profile."""
    seed = spec.seed
    profile = ACCOUNT_PROFILES[a % len(ACCOUNT_PROFILES)]
    tz, display_tz, currency, country = profile[:4]
    if spec.offset_timezone_names:
        tz = OFFSET_NAMES[tz]
    adv_id = make_id(0, seed, a + 1)
    # Some weeks before its data starts, and before every object it owns (campaigns, audiences, creatives
    # and stores are created at most ACCOUNT_AGE_DAYS before the data range): no delivery precedes it.
    created = range_start - timedelta(
        days=ACCOUNT_AGE_DAYS + a % 7, seconds=seeded_hash(seed, adv_id) % 86400
    )
    adv = {
        "advertiser_id": adv_id,
        "name": f"Emulated Advertiser {a + 1}",
        "company": f"Emulated Company {a + 1}",
        "status": "STATUS_ENABLE",
        "role": "ROLE_ADVERTISER",
        "rejection_reason": "",
        "timezone": tz,
        "display_timezone": display_tz,
        "currency": currency,
        "country": country,
        "industry": "291905",
        "address": f"{a + 1} Example Street",
        "contacter": "E***r",
        "email": f"{chr(ord('a') + a % 26)}***@example.com",
        "cellphone_number": f"+1555****{a % 100:02d}",
        "telephone_number": f"+1555****{(a + 50) % 100:02d}",
        "language": "en",
        "license_no": "",
        "license_url": None,
        "description": "",
        "balance": round(1000 + (seeded_hash(seed, adv_id, "balance") % 900000) / 100, 2),
        "create_time": int(created.replace(tzinfo=UTC).timestamp()),
        "owner_bc_id": make_id(9, seed, a + 1),
        "advertiser_account_type": "AUCTION",
        "brand": None,
        "promotion_area": "0",
    }
    return adv, {"company_name_editable": a % 2 == 0}, profile
