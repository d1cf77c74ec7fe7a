"""Metrics TikTok refuses are dropped for the advertiser that refused them instead of failing the stream.

TikTok answers 40002 for a whole report request when it refuses a single metric at that report type,
level and granularity (or for that advertiser), and its accepted lists change more often than any
catalog. When the message names metrics the request asked for, those are dropped for the stream and
that advertiser for the rest of the run (every window of it), the window is asked for again, and the
user is told once per stream and advertiser which metrics were dropped and why. A 40002 that names none
of them leaves the window unread (see `unread`).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.error_handlers import ErrorResolution, ResponseAction

from ..api.envelope import envelope_of
from ..api.errors import (
    HANDLED_BY_STREAM,
    PARAMETER_CODE,
    SliceRefused,
    TikTokErrorHandler,
    describe,
    request_context,
    request_of,
)
from ..api.timeouts import timed_out
from .timeout_shrink import shrinkable_by_date, timed_out_query


class ParameterRejected(Exception):
    """40002 on a report request: TikTok refused a parameter; maybe metrics the stream can drop."""

    def __init__(self, path: str, advertiser_id: str | None, message: str, detail: str) -> None:
        self.path = path
        self.advertiser_id = advertiser_id
        self.reason = message
        self.detail = detail
        super().__init__(message)

    @property
    def user_message(self) -> str:
        about = f" for advertiser {self.advertiser_id}" if self.advertiser_id else ""
        return f"TikTok rejected a parameter of {self.path}{about}: {self.reason}"


class ReportErrorHandler(TikTokErrorHandler):
    """The shared policy, except that a 40002 is handed to the report stream, which may heal it, and a
    window of several days that timed out is handed back to be read in halves (`timeout_shrink`)."""

    def __init__(self, logger: logging.Logger, on_timeout: Callable[[str], None] | None = None) -> None:
        super().__init__(logger, on_timeout=on_timeout)

    def interpret_response(
        self, response_or_exception: requests.Response | Exception | None = None
    ) -> ErrorResolution:
        if timed_out(response_or_exception):
            request = request_of(response_or_exception)
            resolution = super().interpret_response(response_or_exception)  # tells the budget's pace
            if request is not None and shrinkable_by_date(request):
                raise timed_out_query(request, resolution.error_message or "timed out")
            return resolution
        if isinstance(response_or_exception, requests.Response) and response_or_exception.ok:
            envelope = envelope_of(response_or_exception)
            if envelope.problem is None and envelope.code == PARAMETER_CODE:
                return ErrorResolution(
                    ResponseAction.IGNORE, None, f"{describe(envelope)}{HANDLED_BY_STREAM}"
                )
        return super().interpret_response(response_or_exception)


def raise_if_rejected(response: requests.Response) -> None:
    """Raise ParameterRejected for a 40002 answer; anything else is left to the shared envelope check."""
    envelope = envelope_of(response)
    if envelope.problem is None and envelope.code == PARAMETER_CODE:
        path, advertiser_id = request_context(response.request)
        raise ParameterRejected(path, advertiser_id, envelope.message, describe(envelope))


def named_metrics(message: str, asked: Iterable[str]) -> list[str]:
    """The asked-for metrics TikTok's message names, matched as whole words.

    Seen forms: "Invalid metric fields: ['a']", "Invalid metric field(s): a, b.", "metrics: a is not
    supported when data_level is X.", "a is only supported when …". A name followed by a colon is the
    name of a request parameter ("advertiser_id: Missing data …"), not a refused metric.
    """
    return [
        name
        for name in asked
        if re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])(?!\s*:)", message)
    ]


class MetricHealing:
    """The metrics one stream asks for, per advertiser, minus those TikTok refused for that advertiser;
    safe across workers.

    What TikTok accepts depends on the advertiser (its account type, its features), so a refusal is kept
    to the advertiser it came for. Whichever of its windows learns it first, every window of that
    advertiser ends up asked without the metric, and no other advertiser loses it: the records are the
    same whatever the number of workers."""

    def __init__(self, stream_name: str, metrics: Iterable[str]) -> None:
        self._stream_name = stream_name
        self._requested = tuple(metrics)
        # advertiser -> metric -> TikTok's reason
        self._dropped: dict[str, dict[str, str]] = {}
        self._unannounced: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    @property
    def max_rounds(self) -> int:
        """Requests one window may need: TikTok may name only the first refused metric per answer."""
        return len(self._requested) + 1

    def metrics(self, advertiser_id: str) -> tuple[str, ...]:
        with self._lock:
            dropped = self._dropped.get(advertiser_id, {})
            return tuple(name for name in self._requested if name not in dropped)

    @property
    def dropped(self) -> Mapping[str, Mapping[str, str]]:
        """Per advertiser, the metrics dropped and TikTok's reason."""
        with self._lock:
            return {advertiser_id: dict(names) for advertiser_id, names in self._dropped.items()}

    def drop(self, rejection: ParameterRejected, asked: Iterable[str], advertiser_id: str) -> list[str]:
        """Drop, for this advertiser, the asked-for metrics the rejection names; an empty list means it
        names none."""
        names = named_metrics(rejection.reason, asked)
        with self._lock:
            dropped = self._dropped.setdefault(advertiser_id, {})
            for name in names:
                if name not in dropped:
                    dropped[name] = rejection.reason
                    self._unannounced.setdefault(advertiser_id, {})[name] = rejection.reason
        return names

    def announce(self, logger: logging.Logger) -> None:
        """One warning per advertiser for the metrics dropped since the last one, with TikTok's reasons."""
        with self._lock:
            pending, self._unannounced = self._unannounced, {}
        for advertiser_id, names in sorted(pending.items()):
            reasons = "; ".join(f'"{reason}"' for reason in dict.fromkeys(names.values()))
            logger.warning(
                f"{self._stream_name}: TikTok refused metric(s) {', '.join(names)} for advertiser {advertiser_id} "
                f"({reasons}). They are dropped for that advertiser for the rest of this run and are null in its "
                "records; its other metrics, and every metric of the other advertisers, are read as usual."
            )


def rejection_error(rejection: ParameterRejected) -> SliceRefused:
    """The slice's failure for a 40002 that cannot be healed: the user's parameter is wrong."""
    return SliceRefused(
        message=rejection.user_message,
        internal_message=rejection.detail,
        failure_type=FailureType.config_error,
    )


def dropped_summary(streams: Iterable[Any]) -> str | None:
    """One line naming every metric dropped in the run, by stream and advertiser (None when none was)."""
    parts = []
    for stream in streams:
        healing = getattr(stream, "metric_healing", None)
        if healing is None:
            continue
        for advertiser_id, names in sorted(healing.dropped.items()):
            if names:
                parts.append(f"{stream.name}: {', '.join(names)} (advertiser {advertiser_id})")
    if not parts:
        return None
    return (
        f"Metrics TikTok refused, left out of this run and null in those advertisers' records: {'; '.join(parts)}. "
        "For a custom report, remove them from its metrics to silence this."
    )
