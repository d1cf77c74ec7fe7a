"""The state model: a cursor per advertiser that never passes a slice left unread, and the one message
per stream that names, by advertiser, what was left."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from airbyte_cdk.models import FailureType

from source_tiktok_ads.api.errors import SliceRefused
from source_tiktok_ads.state import AdvertiserCursors
from source_tiktok_ads.streams.smart_plus import changed_since
from source_tiktok_ads.unread import UnreadParts

from .test_keyless_rows import RowsWithHoles
from .test_metric_healing import read_refusing

TODAY = datetime.now(UTC).date()


def test_a_held_advertisers_cursor_stays_while_the_others_move() -> None:
    cursors = AdvertiserCursors("stat_time_day")
    cursors.load(
        {"states": [{"partition": {"advertiser_id": "1"}, "cursor": {"stat_time_day": "2026-01-01"}}]},
        logging.getLogger(),
    )
    cursors.advance("1", "2026-01-30")
    cursors.hold("1")
    cursors.advance("1", "2026-03-01")
    cursors.advance("2", "2026-03-01")
    assert cursors.get("1") == "2026-01-30" and cursors.get("2") == "2026-03-01"
    assert cursors.as_state()["states"][0] == {
        "partition": {"advertiser_id": "1"},
        "cursor": {"stat_time_day": "2026-01-30"},
    }
    # A new run (state loaded again) lets it move from where it stayed.
    cursors.load(cursors.as_state(), logging.getLogger())
    cursors.advance("1", "2026-03-01")
    assert cursors.get("1") == "2026-03-01"


def refused(message: str, failure_type: FailureType = FailureType.config_error) -> SliceRefused:
    return SliceRefused(message=message, failure_type=failure_type)


def test_the_message_counts_advertisers_and_joins_adjacent_windows() -> None:
    unread = UnreadParts()
    for start, end in (
        ("2026-01-01", "2026-01-30"),
        ("2026-01-31", "2026-03-01"),
        ("2026-04-01", "2026-04-30"),
    ):
        unread.add({"advertiser_id": "7", "start_date": start, "end_date": end}, refused("s: denied."))
    unread.add({"advertiser_id": "8"}, refused("s: no time zone.", FailureType.system_error))
    failure = unread.failure("s")
    assert failure is not None
    assert failure.message == (
        "Stream s left 2 advertisers unread, in part or whole: advertiser 7 (windows 2026-01-01..2026-03-01, "
        "2026-04-01..2026-04-30): denied | advertiser 8: no time zone. Their cursors stay before what was left, "
        "so the next sync reads it."
    )
    assert failure.failure_type == FailureType.system_error
    assert UnreadParts().failure("s") is None


def test_a_window_with_keyless_rows_holds_only_its_advertiser() -> None:
    """Before: the stream failed at that window, and every later window and advertiser went unread."""
    fake = RowsWithHoles(only_advertiser="111")
    start = (TODAY - timedelta(days=40)).isoformat()
    output = read_refusing("ads_reports_daily", fake, ("111", "222"), start_date=start, num_workers=1)  # type: ignore[arg-type]

    records = [message.record.data for message in output.records]
    windows = {(record["advertiser_id"], record["stat_time_day"][:10]) for record in records}
    # Both windows of both advertisers were read; only the keyless row is missing.
    assert len({day for _, day in windows}) == 2 and {advertiser for advertiser, _ in windows} == {
        "111",
        "222",
    }
    assert len(records) == 2 * 2 * 3 - 1
    [failure] = [
        error.trace.error
        for error in output.errors
        if (error.trace.error.message or "").startswith("Stream ads_reports_daily left 1 advertiser unread")
    ]
    assert "advertiser 111 (window " in failure.message and "222" not in failure.message
    last: Any = output.state_messages[-1].state.stream.stream_state
    cursors = {entry["partition"]["advertiser_id"]: entry["cursor"]["stat_time_day"] for entry in last.states}
    assert cursors == {"222": TODAY.isoformat()}


def test_smart_plus_asks_for_changes_from_a_second_before_the_cursor() -> None:
    assert changed_since("2026-10-05T10:00:00Z") == "2026-10-05 09:59:59"
    assert changed_since("2026-01-01T00:00:00Z") == "2025-12-31 23:59:59"
