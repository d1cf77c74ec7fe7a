"""Nothing secret leaves the process: every message is scrubbed on its way out, whatever produced it.

Secrets are the config's secret values (the CDK's registry, filled from the spec's `airbyte_secret`
fields and by the source) and the query string of any URL: TikTok takes the app secret as a query
parameter of `oauth2/advertiser/get/`, and transport errors quote the URL they failed on, query
included. Records are data and pass untouched (an ad's landing page URL keeps its query).
"""

from __future__ import annotations

import re
import sys
from typing import Any, TextIO

from airbyte_cdk.utils.airbyte_secrets_utils import filter_secrets

HIDDEN_QUERY = "?<query hidden>"
# `?name=value&…` up to whatever ends a URL inside a sentence, a repr or a JSON string (whose quotes
# are escaped with a backslash).
_QUERY = re.compile(r"\?[\w.\-\[\]%]+=[^\s\"'<>\\)]*")
_RECORD_LINE = '{"type":"RECORD"'


def scrub(text: str) -> str:
    """`text` with every known secret masked and every URL query string hidden."""
    return _QUERY.sub(HIDDEN_QUERY, filter_secrets(text))


def scrub_output(text: str) -> str:
    """Output as written to stdout or stderr: every line scrubbed except RECORD lines."""
    if _RECORD_LINE not in text:
        return scrub(text)
    return "".join(
        line if line.startswith(_RECORD_LINE) else scrub(line) for line in text.splitlines(keepends=True)
    )


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
