"""What leaves the process is scrubbed of secrets and URL query strings; records pass untouched; the
CDK's retry log line says what failed instead of "Rate limit exceeded"."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests
from airbyte_cdk.sources.streams.http.exceptions import UserDefinedBackoffException
from airbyte_cdk.utils import airbyte_secrets_utils
from airbyte_cdk.utils.airbyte_secrets_utils import add_to_secrets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from source_tiktok_ads.api.retry_log import RetryLogWording, rounded_wait
from source_tiktok_ads.cdk_adapter import registered_secrets as cdk_secrets
from source_tiktok_ads.scrub import (
    HIDDEN_QUERY,
    MIN_SECRET_LENGTH,
    ScrubbedStream,
    scrub,
    scrub_every_output,
    scrub_output,
)

from .conftest import APP_SECRET, TOKEN

URLLIB3_TEXT = (
    "HTTPSConnectionPool(host='business-api.tiktok.com', port=443): Max retries exceeded with url: "
    f"/open_api/v1.3/oauth2/advertiser/get/?app_id=7001&secret={APP_SECRET} (Caused by SSLError(...))"
)


SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@contextmanager
def secrets_registered(values: list[str]) -> Iterator[None]:
    """The CDK's registry holds `values` only, while inside."""
    saved = cdk_secrets()
    airbyte_secrets_utils.update_secrets(values)
    try:
        yield
    finally:
        airbyte_secrets_utils.update_secrets(saved)


@pytest.fixture(autouse=True)
def registered_secrets() -> None:
    add_to_secrets(TOKEN)
    add_to_secrets(APP_SECRET)


def test_a_url_query_and_the_secrets_are_hidden_wherever_they_appear() -> None:
    text = scrub(f"{URLLIB3_TEXT} with header {{'Access-Token': '{TOKEN}'}}")
    assert APP_SECRET not in text and TOKEN not in text and "secret=" not in text
    assert f"/open_api/v1.3/oauth2/advertiser/get/{HIDDEN_QUERY} (Caused by SSLError" in text


def test_a_query_inside_a_json_message_is_hidden_up_to_the_escaped_quote() -> None:
    line = json.dumps(
        {"type": "TRACE", "trace": {"error": {"message": '"https://x/y?secret=abc&a=1" failed'}}}
    )
    assert (
        json.loads(scrub_output(line))["trace"]["error"]["message"] == f'"https://x/y{HIDDEN_QUERY}" failed'
    )


def test_sentences_with_question_marks_are_left_alone() -> None:
    assert scrub("Is base_url right? Check it.") == "Is base_url right? Check it."


def test_record_lines_are_data_and_pass_untouched() -> None:
    record = '{"type":"RECORD","record":{"stream":"ads","data":{"landing_page_url":"https://shop.example/?utm=1"}}}'
    log = '{"type":"LOG","log":{"level":"INFO","message":"GET https://x/y?secret=abc"}}'
    assert (
        scrub_output(f"{record}\n{log}\n") == f"{record}\n" + log.replace("?secret=abc", HIDDEN_QUERY) + "\n"
    )


def test_every_text_output_is_scrubbed_once_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    class Buffer:
        def __init__(self) -> None:
            self.written: list[str] = []

        def write(self, message: str) -> None:
            self.written.append(message)

    buffer, stdout, stderr = Buffer(), io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setattr(sys, "stderr", stderr)
    scrub_every_output(buffer)
    scrub_every_output(buffer)  # a second call changes nothing
    buffer.write(URLLIB3_TEXT)
    print(URLLIB3_TEXT)
    print(f"Traceback: {TOKEN}", file=sys.stderr)
    assert isinstance(sys.stdout, ScrubbedStream) and not isinstance(sys.stdout._stream, ScrubbedStream)
    for text in (*buffer.written, stdout.getvalue(), stderr.getvalue()):
        assert APP_SECRET not in text and TOKEN not in text and "secret=" not in text
    assert buffer.written == [scrub(URLLIB3_TEXT)]


def test_the_cdk_retry_line_says_what_failed_not_rate_limit() -> None:
    request = requests.Request("GET", "https://x/y").prepare()
    record = logging.LogRecord(
        "airbyte",
        logging.INFO,
        __file__,
        1,
        "UserDefinedBackoffException: Rate limit exceeded. Retrying in 2.5 seconds.",
        None,
        None,
    )
    try:
        raise UserDefinedBackoffException(
            1.5, request, None, "Cannot reach x: the connection was refused. Fix it."
        )
    except UserDefinedBackoffException:
        assert RetryLogWording().filter(record)
    assert record.getMessage() == "Cannot reach x: the connection was refused. Fix it. Retrying in 2.5 s."


# --- Masking keeps every message the same JSON ------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    return []


def _shape(value: object) -> object:
    """The message with every string value blanked: what masking must not change."""
    if isinstance(value, str):
        return ""
    if isinstance(value, list):
        return [_shape(item) for item in value]
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    return value


@SETTINGS
@given(secret=st.text(min_size=MIN_SECRET_LENGTH, max_size=16), message=json_values, compact=st.booleans())
def test_a_json_message_stays_the_same_json_with_the_secret_masked_in_its_values(
    secret: str, message: object, compact: bool
) -> None:
    envelope = {"type": "LOG", "log": {"message": f"token {secret} here", "extra": message}}
    line = json.dumps(envelope, separators=(",", ":") if compact else None, ensure_ascii=compact)
    with secrets_registered([secret]):
        scrubbed = json.loads(scrub_output(line + "\n"))
    assert _shape(scrubbed) == _shape(envelope)  # same keys, same structure, same non-string values
    assert all(secret not in text for text in _strings(scrubbed))


@SETTINGS
@given(short=st.text(min_size=1, max_size=MIN_SECRET_LENGTH - 1), message=json_values)
def test_a_secret_too_short_to_mask_changes_nothing(short: str, message: object) -> None:
    line = json.dumps(
        {"type": "LOG", "log": {"message": "type and message", "extra": message}}, separators=(",", ":")
    )
    with secrets_registered([short]):
        assert json.loads(scrub_output(line + "\n")) == json.loads(line)


def test_a_one_character_secret_leaves_the_protocol_readable() -> None:
    line = '{"type":"LOG","log":{"level":"INFO","message":"message type t"}}'
    with secrets_registered(["t", "y"]):
        assert scrub_output(line + "\n") == line + "\n"


def test_the_retry_wait_is_rounded_to_a_tenth_of_a_second() -> None:
    assert (
        rounded_wait(
            "UserDefinedBackoffException: Rate limit exceeded. Retrying in 1.929867626685667 seconds."
        )
        == "1.9 s."
    )
    assert rounded_wait("Retrying in soon") == "soon"
