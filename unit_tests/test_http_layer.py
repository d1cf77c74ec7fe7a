"""The HTTP layer: body codes decide, transient failures are retried, fatal ones say what to do."""

from __future__ import annotations

import logging

import pytest
import requests
import requests_mock
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.error_handlers import ResponseAction
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_tiktok_ads.api.client import TikTokApi
from source_tiktok_ads.api.envelope import envelope_of
from source_tiktok_ads.api.errors import (
    AccessDenied,
    QueryTooLarge,
    TikTokBackoffStrategy,
    TikTokErrorHandler,
)
from source_tiktok_ads.api.params import encode_params

from .conftest import APP_SECRET, BASE_URL, TOKEN, envelope

LOGGER = logging.getLogger("test")


def response_for(
    body: bytes | dict, status: int = 200, url: str = BASE_URL + "campaign/get/?advertiser_id=77"
) -> requests.Response:
    with requests_mock.Mocker() as mock:
        if isinstance(body, dict):
            mock.get(url, json=body, status_code=status)
        else:
            mock.get(url, content=body, status_code=status)
        return requests.get(url, timeout=1)


@pytest.mark.parametrize(
    ("code", "action", "failure_type"),
    [
        (0, ResponseAction.SUCCESS, None),
        (40100, ResponseAction.RATE_LIMITED, FailureType.transient_error),
        (40133, ResponseAction.RATE_LIMITED, FailureType.transient_error),
        (40016, ResponseAction.RATE_LIMITED, FailureType.transient_error),
        (50000, ResponseAction.RETRY, FailureType.transient_error),
        (50002, ResponseAction.RETRY, FailureType.transient_error),
        (51305, ResponseAction.RETRY, FailureType.transient_error),
        (60001, ResponseAction.RETRY, FailureType.transient_error),
        (40104, ResponseAction.FAIL, FailureType.config_error),
        (40105, ResponseAction.FAIL, FailureType.config_error),
        (40002, ResponseAction.FAIL, FailureType.config_error),
        (40001, ResponseAction.IGNORE, None),
        (40067, ResponseAction.IGNORE, None),
        (41234, ResponseAction.FAIL, FailureType.system_error),
    ],
)
def test_body_code_decides(code: int, action: ResponseAction, failure_type: FailureType | None) -> None:
    resolution = TikTokErrorHandler(LOGGER).interpret_response(response_for(envelope(code=code, message="m")))
    assert resolution.response_action == action
    assert resolution.failure_type == failure_type


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b'{"code": 0, "data": {"list": [',
        b"<html>Bad gateway</html>",
        b"[]",
        b'{"code": 0, "message": "OK"}',
        b'{"message": "x"}',
    ],
)
def test_unusable_bodies_are_retried(body: bytes) -> None:
    resolution = TikTokErrorHandler(LOGGER).interpret_response(response_for(body))
    assert resolution.response_action == ResponseAction.RETRY
    assert "Unusable response from campaign/get/" in resolution.error_message


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried(status: int) -> None:
    resolution = TikTokErrorHandler(LOGGER).interpret_response(
        response_for(b"<html>oops</html>", status=status)
    )
    assert resolution.response_action == ResponseAction.RETRY


@pytest.mark.parametrize(
    "exception",
    [
        requests.exceptions.ConnectionError(),
        requests.exceptions.ReadTimeout(),
        requests.exceptions.ChunkedEncodingError(),
    ],
)
def test_transport_errors_are_retried(exception: Exception) -> None:
    assert TikTokErrorHandler(LOGGER).interpret_response(exception).response_action == ResponseAction.RETRY


@pytest.mark.parametrize(("status", "action"), [(500, ResponseAction.RETRY), (404, ResponseAction.FAIL)])
def test_http_status_errors_name_their_endpoint_never_the_query(status: int, action: ResponseAction) -> None:
    url = BASE_URL + f"oauth2/advertiser/get/?app_id=1&secret={APP_SECRET}"
    resolution = TikTokErrorHandler(LOGGER).interpret_response(response_for(b"oops", status=status, url=url))
    assert resolution.response_action == action
    assert resolution.error_message.startswith(f"oauth2/advertiser/get/: HTTP Status Code: {status}.")
    assert APP_SECRET not in resolution.error_message and "secret=" not in resolution.error_message


def test_a_transport_error_names_its_endpoint() -> None:
    request = requests.Request("GET", BASE_URL + "ad/get/?advertiser_id=5").prepare()
    resolution = TikTokErrorHandler(LOGGER).interpret_response(
        requests.exceptions.ChunkedEncodingError("cut", request=request)
    )
    assert resolution.error_message == "ad/get/: Connection to TikTok was cut mid-response."


def test_token_error_tells_the_user_to_reauthorize() -> None:
    resolution = TikTokErrorHandler(LOGGER).interpret_response(
        response_for(envelope(code=40105, message="Access token is incorrect or has been revoked."))
    )
    assert "Re-authorize" in resolution.error_message
    assert "credentials.access_token" in resolution.error_message
    assert "revoked" in resolution.error_message


def test_envelope_is_parsed_once_per_response() -> None:
    response = response_for(envelope({"list": []}))
    assert envelope_of(response) is envelope_of(response)


def test_backoff_grows_and_is_capped() -> None:
    strategy = TikTokBackoffStrategy(base_seconds=1, cap_seconds=8)
    for attempt, ceiling in [(1, 1), (2, 2), (3, 4), (4, 8), (9, 8)]:
        waits = [strategy.backoff_time(None, attempt) for _ in range(50)]
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
        assert len(set(waits)) > 1  # jittered


def test_params_are_json_encoded() -> None:
    encoded = encode_params(
        {"advertiser_ids": ["1", "2"], "filtering": {"a": [1]}, "page": 2, "flag": True, "none": None}
    )
    assert encoded == {"advertiser_ids": '["1","2"]', "filtering": '{"a":[1]}', "page": "2", "flag": "true"}


class TestClient:
    def api(self, max_retries: int = 3) -> TikTokApi:
        return TikTokApi(BASE_URL, TOKEN, LOGGER, max_retries=max_retries)

    def test_sends_the_raw_token_header_and_json_params(self) -> None:
        with requests_mock.Mocker() as mock:
            mock.get(BASE_URL + "advertiser/info/", json=envelope({"list": [{"advertiser_id": "1"}]}))
            result = self.api().get("advertiser/info/", {"advertiser_ids": ["1"]})
            assert result.data["list"] == [{"advertiser_id": "1"}]
            request = mock.request_history[0]
            assert request.headers["Access-Token"] == TOKEN
            assert request.qs["advertiser_ids"] == ['["1"]']

    def test_retries_transient_answers_then_succeeds(self, no_sleep: list[float]) -> None:
        with requests_mock.Mocker() as mock:
            mock.get(
                BASE_URL + "campaign/get/",
                [
                    {"json": envelope(code=40100, message="Due to too many requests")},
                    {"status_code": 502, "text": "<html>bad gateway</html>"},
                    {"content": b'{"code": 0, "data": {"li'},
                    {"json": envelope(code=50002)},
                    {"json": envelope({"list": [{"campaign_id": "9"}]})},
                ],
            )
            result = self.api(max_retries=5).get("campaign/get/", {"advertiser_id": "1"})
        assert result.data["list"] == [{"campaign_id": "9"}]
        assert mock.call_count == 5
        assert len([wait for wait in no_sleep if wait > 0]) == 4  # the backoff library also sleeps 0 s

    def test_retries_are_bounded(self, no_sleep: list[float]) -> None:
        with requests_mock.Mocker() as mock:
            mock.get(BASE_URL + "campaign/get/", json=envelope(code=50000, message="System error."))
            with pytest.raises(AirbyteTracedException) as caught:
                self.api(max_retries=2).get("campaign/get/", {"advertiser_id": "1"})
        assert mock.call_count == 3
        assert "System error" in caught.value.message or "System error" in str(caught.value.internal_message)

    def test_giving_up_on_a_server_error_names_the_endpoint_once(self, no_sleep: list[float]) -> None:
        with requests_mock.Mocker() as mock:
            mock.get(BASE_URL + "campaign/get/", status_code=500, text="<html>oops</html>")
            with pytest.raises(AirbyteTracedException) as caught:
                self.api(max_retries=2).get("campaign/get/", {"advertiser_id": "1"})
        assert caught.value.message.startswith("Gave up on campaign/get/ for advertiser 1 after 3 attempts")
        assert caught.value.message.endswith(": HTTP Status Code: 500. Error: Internal server error.")
        assert caught.value.message.count("campaign/get/") == 1

    def test_an_answer_the_client_resolves_is_one_line_without_the_cdk_request_dump(
        self, no_sleep: list[float], caplog: pytest.LogCaptureFixture
    ) -> None:
        with requests_mock.Mocker() as mock:
            mock.get(BASE_URL + "campaign/get/", json=envelope(code=40105, message="Token revoked"))
            mock.get(BASE_URL + "ad/get/", status_code=500, text="<html>oops</html>")
            with caplog.at_level(logging.INFO), pytest.raises(AirbyteTracedException) as revoked:
                self.api(max_retries=2).get("campaign/get/", {"advertiser_id": "1"})
            with caplog.at_level(logging.INFO), pytest.raises(AirbyteTracedException):
                self.api(max_retries=2).get("ad/get/", {"advertiser_id": "1"})
        assert "Re-authorize" in revoked.value.message
        lines = [record.getMessage() for record in caplog.records]
        # Only the two retry lines of ad/get/: the failure itself is the raised error's to tell.
        assert len(lines) == 2, lines
        assert all(line.startswith("ad/get/: HTTP Status Code: 500.") for line in lines)
        assert all(record.levelno == logging.INFO and not record.exc_info for record in caplog.records)

    def test_an_answer_the_stream_handles_is_a_debug_line(self, caplog: pytest.LogCaptureFixture) -> None:
        with requests_mock.Mocker() as mock:
            mock.get(BASE_URL + "ad/get/", json=envelope(code=40001, message="No permission"))
            with caplog.at_level(logging.INFO), pytest.raises(AccessDenied):
                self.api().get("ad/get/", {"advertiser_id": "55"})
            assert caplog.records == []
            with caplog.at_level(logging.DEBUG), pytest.raises(AccessDenied):
                self.api().get("ad/get/", {"advertiser_id": "55"})
        handled = [record for record in caplog.records if "handled by the stream" in record.getMessage()]
        assert [record.levelno for record in handled] == [logging.DEBUG]
        assert handled[0].getMessage().startswith("ad/get/: TikTok code 40001: No permission")

    def test_permission_error_names_advertiser_endpoint_and_fix(self) -> None:
        with requests_mock.Mocker() as mock:
            mock.get(
                BASE_URL + "ad/get/",
                json=envelope(code=40001, message="No permission to operate advertiser: 55"),
            )
            with pytest.raises(AccessDenied) as caught:
                self.api().get("ad/get/", {"advertiser_id": "55"})
        assert caught.value.advertiser_id == "55" and caught.value.path == "ad/get/"
        assert "advertiser 55" in caught.value.message and "Manage Permissions" in caught.value.message
        assert mock.call_count == 1

    def test_query_too_large_is_handed_to_the_stream(self) -> None:
        with requests_mock.Mocker() as mock:
            mock.get(
                BASE_URL + "report/integrated/get/",
                json=envelope(code=40067, message="Your query is too large"),
            )
            with pytest.raises(QueryTooLarge):
                self.api().get("report/integrated/get/", {"advertiser_id": "55"})
        assert mock.call_count == 1

    def test_app_secret_in_query_never_reaches_messages(self) -> None:
        with requests_mock.Mocker() as mock:
            mock.get(
                BASE_URL + "oauth2/advertiser/get/", json=envelope(code=40001, message="app secret invalid")
            )
            with pytest.raises(AccessDenied) as caught:
                self.api().get("oauth2/advertiser/get/", {"app_id": "1", "secret": APP_SECRET})
        assert APP_SECRET not in caught.value.message
        assert APP_SECRET not in str(caught.value.internal_message)


def big_page(rows: int = 4000) -> dict:
    items = [{"dimensions": {"ad_id": str(n)}, "metrics": {"spend": "1.000"}} for n in range(rows)]
    return {"code": 0, "message": "OK", "request_id": "r", "data": {"list": items}}


def test_large_successful_bodies_are_parsed_only_when_the_stream_reads_them() -> None:
    import orjson

    from source_tiktok_ads.api.envelope import LAZY_BODY_BYTES, UnusableBody

    body = orjson.dumps(big_page())
    assert len(body) > LAZY_BODY_BYTES
    page = envelope_of(response_for(body))
    assert page.ok and page._content is not None  # not parsed by the error handler
    assert len(page.data["list"]) == 4000 and page._content is None
    # Cut short but still ending in "}": looks fine to the handler, fails when read.
    broken = body[: len(body) // 2] + b"}"
    lazy = envelope_of(response_for(broken))
    assert (
        TikTokErrorHandler(LOGGER).interpret_response(response_for(broken)).response_action
        == ResponseAction.SUCCESS
    )
    with pytest.raises(UnusableBody):
        _ = lazy.data
    # Small or unsuccessful bodies are parsed at once, as before.
    assert envelope_of(response_for(envelope(code=40100))).code == 40100
