"""Nothing secret leaves the process: every message is scrubbed on its way out, whatever produced it.

Secrets are the config's secret values (the CDK's registry, filled from the spec's `airbyte_secret`
fields and by the source) and the query string of any URL: TikTok takes the app secret as a query
parameter of `oauth2/advertiser/get/`, and transport errors quote the URL they failed on, query
included. Records are data and pass untouched (an ad's landing page URL keeps its query).

A line of output that is a JSON message is masked inside its string values only, never in its keys or
its punctuation: whatever a secret is, the line stays the same JSON message. A secret shorter than
MIN_SECRET_LENGTH is never masked (masking every "t" of the output is no protection and breaks it): the
config refuses one (`config.py`).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from typing import Any, TextIO

# Shorter secrets are refused by the config; no real TikTok token or app secret is this short.
MIN_SECRET_LENGTH = 8
MASK = "****"
HIDDEN_QUERY = "?<query hidden>"
# `?name=value&…` up to whatever ends a URL inside a sentence, a repr or a JSON string (whose quotes
# are escaped with a backslash).
_QUERY = re.compile(r"\?[\w.\-\[\]%]+=[^\s\"'<>\\)]*")
_RECORD_LINE = '{"type":"RECORD"'
# A JSON string literal, and the colon after it when it is an object's key.
_JSON_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"(\s*:)?')

_secret_values: Callable[[], list[str]] = list


def use_secrets(values: Callable[[], list[str]]) -> None:
    """Where the secrets to mask come from (the CDK's registry, filled from the spec's `airbyte_secret`
    fields and by the source: see `cdk_adapter`)."""
    global _secret_values
    _secret_values = values


def _maskable() -> list[str]:
    """The secrets long enough to mask, longest first (one may contain another)."""
    values = {str(value) for value in _secret_values() if len(str(value)) >= MIN_SECRET_LENGTH}
    return sorted(values, key=len, reverse=True)


def _masked(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def scrub(text: str) -> str:
    """`text` with every known secret masked and every URL query string hidden."""
    return _QUERY.sub(HIDDEN_QUERY, _masked(text, _maskable()))


def scrub_json_line(line: str) -> str:
    """A line of JSON with the string values scrubbed as `scrub` does, inside the quotes, where a secret
    appears JSON-escaped; keys and punctuation stay as they are."""
    # As written with and without non-ASCII characters escaped (json's default, orjson's).
    escaped = {
        json.dumps(secret, ensure_ascii=ascii)[1:-1] for secret in _maskable() for ascii in (True, False)
    }
    secrets = sorted(escaped, key=len, reverse=True)

    def value(match: re.Match[str]) -> str:
        if match.group(2) is not None:  # a key
            return match.group(0)
        return f'"{_QUERY.sub(HIDDEN_QUERY, _masked(match.group(1), secrets))}"'

    return _JSON_STRING.sub(value, line)


def _scrub_line(line: str) -> str:
    if line.startswith(_RECORD_LINE):
        return line
    if line.startswith("{"):
        return scrub_json_line(line)
    return scrub(line)


def scrub_output(text: str) -> str:
    """Output as written to stdout or stderr: every line scrubbed except RECORD lines, a JSON message
    inside its string values only."""
    # Split at newlines only: str.splitlines also splits at characters a JSON string may hold unescaped.
    return "\n".join(_scrub_line(line) for line in text.split("\n"))


class ScrubbedStream:
    """A text stream whose writes are scrubbed first; everything else is the wrapped stream's."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(scrub_output(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def scrub_every_output(print_buffer: Any) -> None:
    """Scrub all that the process writes as text: the CDK's print buffer (messages and log lines while
    a command runs) and stdout and stderr themselves (what is printed before or after, tracebacks
    included). Pages of records written as bytes (`cdk_adapter.write_record_lines`) are not text output."""
    if not getattr(print_buffer, "scrubbed", False):
        write = print_buffer.write
        print_buffer.write = lambda message: write(scrub_output(message))
        print_buffer.scrubbed = True
    if not isinstance(sys.stdout, ScrubbedStream):
        sys.stdout = ScrubbedStream(sys.stdout)  # type: ignore[assignment]
    if not isinstance(sys.stderr, ScrubbedStream):
        sys.stderr = ScrubbedStream(sys.stderr)  # type: ignore[assignment]
