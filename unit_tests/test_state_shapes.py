"""Saved states of every shape source-tiktok-marketing writes, read into the connector's one shape; a
state that cannot be read is refused, naming the stream and the value."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from airbyte_cdk.models import (
    AirbyteStateBlob,
    AirbyteStateMessage,
    AirbyteStateType,
    AirbyteStreamState,
    StreamDescriptor,
)

from source_tiktok_ads.state import AdvertiserCursors
from source_tiktok_ads.state_shapes import UnreadableState, canonical_state, migrated_states, saved_cursors


def entry(advertiser_id: str, field: str, value: str) -> dict[str, Any]:
    return {"partition": {"advertiser_id": advertiser_id}, "cursor": {field: value}}


@pytest.mark.parametrize(
    ("state", "per_advertiser", "everyone"),
    [
        # Per partition, as the CDK writes it, with the cursor of advertisers without an entry.
        (
            {
                "use_global_cursor": False,
                "states": [
                    {
                        "partition": {"advertiser_id": 1, "parent_slice": {}},
                        "cursor": {"stat_time_day": "2026-11-24"},
                    }
                ],
                "state": {"stat_time_day": "2026-11-20"},
                "lookback_window": 1,
            },
            {"1": "2026-11-24"},
            "2026-11-20",
        ),
        (
            {"use_global_cursor": True, "state": {"stat_time_day": "2026-11-24"}, "lookback_window": 3},
            {},
            "2026-11-24",
        ),
        ({"stat_time_day": "2026-11-24"}, {}, "2026-11-24"),
        # A date-time for a daily cursor keeps its day.
        ({"stat_time_day": "2026-11-24T10:00:00Z"}, {}, "2026-11-24"),
        ({"__ab_no_cursor_state_message": True}, {}, None),
    ],
)
def test_every_shape_is_read(
    state: dict[str, Any], per_advertiser: dict[str, str], everyone: str | None
) -> None:
    cursors = saved_cursors("ads_reports_daily", "stat_time_day", state)
    assert cursors.per_advertiser == per_advertiser and cursors.everyone == everyone


def test_modify_time_cursors_come_in_the_format_the_stream_writes() -> None:
    cursors = saved_cursors("ads", "modify_time", {"modify_time": "2026-11-24 10:00:00Z"})
    assert cursors.everyone == "2026-11-24 10:00:00"
    assert (
        saved_cursors("ads", "modify_time", {"modify_time": "2026-11-24"}).everyone == "2026-11-24 00:00:00"
    )


def test_a_cursor_for_every_advertiser_applies_to_those_without_their_own() -> None:
    cursors = saved_cursors(
        "ads",
        "modify_time",
        {
            "states": [entry("1", "modify_time", "2026-11-24 10:00:00")],
            "state": {"modify_time": "2026-01-01 00:00:00"},
        },
    )
    assert cursors.canonical("modify_time", ["1", "2"]) == {
        "states": [
            entry("1", "modify_time", "2026-11-24 10:00:00"),
            entry("2", "modify_time", "2026-01-01 00:00:00"),
        ]
    }


@pytest.mark.parametrize(
    ("state", "named"),
    [
        ({"states": [entry("1", "stat_time_day", "not-a-date")]}, '"not-a-date"'),
        ({"stat_time_day": "15/11/2026"}, '"15/11/2026"'),
        ({"stat_time_day": 20261124}, "20261124"),
        ({"states": {"1": "2026-11-24"}}, '{"1": "2026-11-24"}'),
        ({"states": [{"cursor": {"stat_time_day": "2026-11-24"}}]}, "partition.advertiser_id"),
        ({"modify_time": "2026-11-24"}, '{"modify_time": "2026-11-24"}'),
        ({"use_global_cursor": True, "state": "2026-11-24"}, '"2026-11-24"'),
    ],
)
def test_what_cannot_be_read_is_refused_naming_the_stream_and_the_value(
    state: dict[str, Any], named: str
) -> None:
    with pytest.raises(UnreadableState) as refused:
        saved_cursors("ads_reports_daily", "stat_time_day", state)
    assert refused.value.message.startswith("The saved state of stream ads_reports_daily cannot be read: ")
    assert named in refused.value.message
    assert refused.value.failure_type.value == "config_error"


def test_the_cursors_load_every_shape() -> None:
    cursors = AdvertiserCursors("stat_time_day")
    cursors.load(
        {"states": [entry("1", "stat_time_day", "2026-11-24")], "lookback_window": 1},
        logging.getLogger("test"),
    )
    assert cursors.get("1") == "2026-11-24"
    assert canonical_state({"states": [entry("1", "stat_time_day", "2026-11-24")]}, "stat_time_day") == {
        "states": [entry("1", "stat_time_day", "2026-11-24")]
    }


def message(stream: str, blob: dict[str, Any]) -> AirbyteStateMessage:
    return AirbyteStateMessage(
        type=AirbyteStateType.STREAM,
        stream=AirbyteStreamState(
            stream_descriptor=StreamDescriptor(name=stream), stream_state=AirbyteStateBlob(blob)
        ),
    )


def test_the_run_states_are_migrated_with_a_line_naming_the_stream(caplog: pytest.LogCaptureFixture) -> None:
    asked: list[bool] = []

    def advertiser_ids() -> list[str]:
        asked.append(True)
        return ["1", "2"]

    saved = [
        message("ads_reports_daily", {"use_global_cursor": True, "state": {"stat_time_day": "2026-11-24"}}),
        message("campaigns", {"states": [entry("1", "modify_time", "2026-11-24 10:00:00")]}),
        message("advertisers", {"anything": 1}),
    ]
    fields = {"ads_reports_daily": "stat_time_day", "campaigns": "modify_time"}
    with caplog.at_level(logging.INFO):
        migrated = migrated_states(fields, saved, advertiser_ids, logging.getLogger("test"))
    assert migrated is not None and asked == [True]
    blobs = {item.stream.stream_descriptor.name: item.stream.stream_state.__dict__ for item in migrated}  # type: ignore[union-attr]
    assert blobs["ads_reports_daily"] == {
        "states": [entry("1", "stat_time_day", "2026-11-24"), entry("2", "stat_time_day", "2026-11-24")]
    }
    assert blobs["campaigns"] == {"states": [entry("1", "modify_time", "2026-11-24 10:00:00")]}
    assert blobs["advertisers"] == {"anything": 1}
    assert [record.getMessage() for record in caplog.records] == [
        "ads_reports_daily: saved state in source-tiktok-marketing's one cursor for every advertiser shape read as "
        "0 advertiser cursor(s), 2026-11-24 for every advertiser without its own."
    ]


def test_canonical_states_need_no_advertiser_lookup() -> None:
    saved = [message("campaigns", {"states": [entry("1", "modify_time", "2026-11-24 10:00:00")]})]
    assert (
        migrated_states(
            {"campaigns": "modify_time"}, saved, lambda: pytest.fail("looked up"), logging.getLogger("t")
        )
        is saved
    )
