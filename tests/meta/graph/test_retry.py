"""The shared retry rules and Graph error parsing (used by the uploader and the Graph client)."""

from __future__ import annotations

import email.utils
import json
import time

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from meta.domain.errors import MetaApiError, MetaTransportError
from meta.graph.errors import error_from_response, parse_graph_response
from meta.graph.retry import RetryPolicy, redact_secrets, throttle_wait_seconds

NO_JITTER = RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=5.0, jitter=0)


# ------------------------------------------------------------------------------ headers


def test_buc_header_in_minutes_longest_entry_wins() -> None:
    usage = {
        "111": [{"type": "ads_management", "estimated_time_to_regain_access": 3}],
        "222": [
            {"type": "ads_insights", "estimated_time_to_regain_access": 0},
            {"type": "custom_audience", "estimated_time_to_regain_access": 5},
        ],
    }
    headers = {"x-business-use-case-usage": json.dumps(usage)}  # any header case
    assert throttle_wait_seconds(headers) == 300.0
    assert throttle_wait_seconds(headers, account_id="act_111") == 180.0
    assert throttle_wait_seconds(headers, account_id="act_999") == 300.0  # unknown: all entries


def test_ad_account_usage_and_retry_after() -> None:
    assert throttle_wait_seconds({"X-Ad-Account-Usage": '{"reset_time_duration": 100}'}) == 100.0
    assert throttle_wait_seconds({"Retry-After": "12"}) == 12.0
    soon = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= (throttle_wait_seconds({"Retry-After": soon}) or 0) <= 31
    both = {"Retry-After": "5", "X-Ad-Account-Usage": '{"reset_time_duration": 40}'}
    assert throttle_wait_seconds(both) == 40.0


@pytest.mark.parametrize(
    "headers",
    [
        {},
        None,
        {"X-Business-Use-Case-Usage": "not json"},
        {"X-Business-Use-Case-Usage": '{"1": [{"estimated_time_to_regain_access": 0}]}'},
        {"X-Ad-Account-Usage": '{"acc_id_util_pct": 9.67}'},
        {"X-App-Usage": '{"call_count": 100}'},
        {"Retry-After": "soon-ish"},
    ],
)
def test_no_usable_wait(headers) -> None:
    assert throttle_wait_seconds(headers) is None


# ------------------------------------------------------------------------------ envelope


def test_full_error_envelope() -> None:
    body = {
        "error": {
            "message": "Invalid parameter",
            "type": "FacebookApiException",
            "code": 100,
            "error_subcode": 3858081,
            "is_transient": False,
            "error_user_title": "Missing beneficiary",
            "error_user_msg": "Add the DSA beneficiary.",
            "error_data": json.dumps({"blame_field_specs": [["dsa_beneficiary"], ["a", "b"]]}),
            "fbtrace_id": "AbC",
        }
    }
    err = error_from_response(400, {}, json.dumps(body).encode())
    assert (err.code, err.subcode, err.http_status, err.fbtrace_id) == (100, 3858081, 400, "AbC")
    assert err.blame_fields == ["dsa_beneficiary", "a.b"]
    assert err.user_text() == "Missing beneficiary: Add the DSA beneficiary. (code 100/3858081)"
    assert not err.is_transient and err.retry_after_seconds is None


def test_throttle_envelope_carries_the_wait() -> None:
    body = {"error": {"message": "(#17) User request limit reached", "code": 17}}
    headers = {"X-Business-Use-Case-Usage": '{"5": [{"estimated_time_to_regain_access": 1}]}'}
    err = error_from_response(400, headers, body)  # already-parsed JSON, as the SDK gives it
    assert err.is_throttle and err.retry_after_seconds == 60.0


def test_error_data_as_object_and_transient_flag() -> None:
    body = {
        "error": {
            "message": "x",
            "code": 100,
            "error_subcode": 1363037,
            "is_transient": True,
            "error_data": {"start_offset": "10", "end_offset": "20"},
        }
    }
    err = error_from_response(400, {"x-fb-trace-id": "T"}, json.dumps(body))
    assert err.error_data == {"start_offset": "10", "end_offset": "20"}
    assert err.is_transient and err.fbtrace_id == "T"


@pytest.mark.parametrize(
    ("status", "body", "message", "transient"),
    [
        (413, b"", "Meta refused the upload as too large (HTTP 413)", False),
        (
            413,
            b"<html>Request Entity Too Large</html>",
            "Meta refused the upload as too large (HTTP 413)",
            False,
        ),
        (502, b"", "Meta's servers answered HTTP 502 without details (a temporary outage?)", True),
        (404, b"", "Meta answered HTTP 404 with an empty body", False),
    ],
)
def test_bodies_without_an_envelope(status, body, message, transient) -> None:
    err = error_from_response(status, {}, body)
    assert (err.message, err.http_status, err.is_transient, err.code) == (
        message,
        status,
        transient,
        None,
    )


def test_html_body_is_summarised() -> None:
    err = error_from_response(503, {"Content-Type": "text/html"}, b"<html>\n  <b>Down</b></html>")
    assert err.message == (
        "Meta answered HTTP 503 with a non-JSON body (text/html): '<html> <b>Down</b></html>'"
    )
    assert err.is_transient


def test_parse_graph_response_follows_the_sdk_rules() -> None:
    assert parse_graph_response(200, {}, b'{"id": "1"}') == {"id": "1"}
    assert parse_graph_response(200, {}, b"") == {}
    with pytest.raises(MetaApiError, match="success=false"):
        parse_graph_response(200, {}, b'{"success": false}')
    with pytest.raises(MetaApiError) as caught:  # error object inside an HTTP 200
        parse_graph_response(200, {}, b'{"error": {"message": "boom", "code": 1}}')
    assert caught.value.is_transient
    with pytest.raises(MetaApiError, match="non-JSON"):
        parse_graph_response(200, {}, b"<html>proxy login</html>")


# ------------------------------------------------------------------------------ RetryPolicy.run


class Script:
    """Calls that fail with the given exceptions in order, then return 'ok'."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


def transient() -> MetaApiError:
    return MetaApiError(message="Service temporarily unavailable", code=2, http_status=503)


def test_backoff_grows_and_is_capped() -> None:
    sleeps: list[float] = []
    fn = Script(transient(), transient(), transient())
    assert NO_JITTER.run(fn, idempotent=False, sleep=sleeps.append) == "ok"
    assert sleeps == [1.0, 2.0, 4.0]
    assert [NO_JITTER.backoff(n) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_jitter_stays_within_its_fraction() -> None:
    low = RetryPolicy(jitter=0.2, rng=lambda: 0.0)
    high = RetryPolicy(jitter=0.2, rng=lambda: 1.0)
    assert low.backoff(2) == pytest.approx(1.6) and high.backoff(2) == pytest.approx(2.4)


def test_gives_up_after_max_attempts_with_the_last_error() -> None:
    sleeps: list[float] = []
    fn = Script(*(transient() for _ in range(10)))
    with pytest.raises(MetaApiError):
        NO_JITTER.run(fn, idempotent=True, sleep=sleeps.append)
    assert fn.calls == 4 and len(sleeps) == 3


def test_non_transient_errors_are_not_retried() -> None:
    fn = Script(MetaApiError(message="bad", code=100))
    with pytest.raises(MetaApiError):
        NO_JITTER.run(fn, idempotent=True, sleep=lambda s: pytest.fail("slept"))
    assert fn.calls == 1


def test_throttle_uses_metas_wait_and_default() -> None:
    sleeps: list[float] = []
    told = MetaApiError(message="limit", code=80004, retry_after_seconds=90)
    silent = MetaApiError(message="limit", code=613)
    assert NO_JITTER.run(Script(told, silent), idempotent=False, sleep=sleeps.append) == "ok"
    assert sleeps == [90, 60.0]


def test_throttle_beyond_the_cap_is_raised() -> None:
    err = MetaApiError(message="limit", code=17, retry_after_seconds=3600)
    with pytest.raises(MetaApiError) as caught:
        NO_JITTER.run(Script(err), idempotent=True, sleep=lambda s: pytest.fail("slept"))
    assert caught.value.retry_after_seconds == 3600


def test_transport_error_on_a_write_is_not_retried() -> None:
    url_error = requests.exceptions.ConnectionError(
        "Connection aborted. url: /v26.0/act_1/ads?access_token=SECRET&appsecret_proof=P"
    )
    fn = Script(url_error)
    with pytest.raises(MetaTransportError) as caught:
        NO_JITTER.run(fn, idempotent=False, describe="POST act_1/ads", sleep=lambda s: None)
    assert fn.calls == 1
    assert caught.value.message.startswith("Lost the connection to Meta during POST act_1/ads")
    assert (
        "SECRET" not in caught.value.message and "access_token=<redacted>" in caught.value.message
    )
    assert caught.value.__cause__ is None  # the raw exception (URL with token) is not chained


def test_transport_error_on_an_idempotent_call_is_retried() -> None:
    sleeps: list[float] = []
    seen: list[tuple[str, float]] = []
    fn = Script(requests.exceptions.ReadTimeout("slow"), ConnectionResetError("reset"))
    result = NO_JITTER.run(
        fn,
        idempotent=True,
        sleep=sleeps.append,
        on_retry=lambda e, d: seen.append((type(e).__name__, d)),
    )
    assert result == "ok" and sleeps == [1.0, 2.0]
    assert seen == [("ReadTimeout", 1.0), ("ConnectionResetError", 2.0)]


def test_a_request_that_never_left_is_retried_even_for_a_write() -> None:
    refused = requests.exceptions.ConnectionError(
        MaxRetryError(None, "/x", NewConnectionError(None, "refused"))  # type: ignore[arg-type]
    )
    sleeps: list[float] = []
    assert NO_JITTER.run(Script(refused), idempotent=False, sleep=sleeps.append) == "ok"
    assert sleeps == [1.0]


def test_other_exceptions_pass_through() -> None:
    with pytest.raises(KeyError):
        NO_JITTER.run(Script(KeyError("x")), idempotent=True, sleep=lambda s: None)


def test_redact_secrets() -> None:
    assert redact_secrets("a?access_token=EAAB&appsecret_proof=ff&x=1") == (
        "a?access_token=<redacted>&appsecret_proof=<redacted>&x=1"
    )
