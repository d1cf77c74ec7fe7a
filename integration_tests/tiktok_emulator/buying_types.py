"""How an object is bought: auction, Reach & Frequency, or TopView (a reservation of its own)."""

from __future__ import annotations

AUCTION = "AUCTION"
REACH_AND_FREQUENCY = "RESERVATION_RF"
TOP_VIEW = "RESERVATION_TOP_VIEW"
BUYING_TYPES = frozenset({AUCTION, REACH_AND_FREQUENCY, TOP_VIEW})
# What the listings return without a `buying_types` filter.
DEFAULT_BUYING_TYPES = (AUCTION, REACH_AND_FREQUENCY)
