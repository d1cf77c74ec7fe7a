"""The CDK logs every retry our backoff strategy schedules as "UserDefinedBackoffException: Rate limit
exceeded. Retrying in N seconds.", whatever the failure was: a refused connection or an HTTP 500 would
read as throttling. This filter puts the error handler's own message (which names what failed) in
place of "Rate limit exceeded"; the wait is kept, rounded to a tenth of a second.
"""

from __future__ import annotations

import logging
import sys

from airbyte_cdk.sources.streams.http.exceptions import BaseBackoffException

CDK_RETRY_LOG_PREFIX = "UserDefinedBackoffException: Rate limit exceeded"
# The logger airbyte-cdk's backoff handlers log to.
CDK_RETRY_LOGGER = "airbyte"


class RetryLogWording(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not (isinstance(record.msg, str) and record.msg.startswith(CDK_RETRY_LOG_PREFIX)):
            return True
        # The CDK logs from its backoff handler, while the exception being retried is handled.
        error = sys.exc_info()[1]
        if isinstance(error, BaseBackoffException) and str(error):
            record.msg = f"{str(error).rstrip('.')}. Retrying in {rounded_wait(record.msg)}"
            record.args = None
        return True


def rounded_wait(line: str) -> str:
    """`1.9 s.` for the CDK's `… Retrying in 1.929867626685667 seconds.`"""
    wait = line.rsplit("Retrying in ", 1)[-1]
    try:
        return f"{float(wait.split()[0]):.1f} s."
    except (ValueError, IndexError):  # not the CDK's wording: kept as it is
        return wait


RETRY_LOG_WORDING = RetryLogWording()


def reword_retry_logs() -> None:
    """Install the filter (once) on the logger the CDK's retry lines go to."""
    logging.getLogger(CDK_RETRY_LOGGER).addFilter(RETRY_LOG_WORDING)
