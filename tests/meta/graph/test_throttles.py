"""Each of Meta's throttles is waited out for its own time (meta.graph.throttles).

The per-second mutation limit (613/5044001) is waited out in seconds although every answer
carries the score window's ``reset_time_duration`` (minutes); the score limit and the business
use case limits wait for ``estimated_time_to_regain_access`` of their own entry.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from meta.domain.errors import MetaApiError
from meta.graph.client import GraphClient, MetaConfig
from meta.graph.errors import error_from_response
from meta.graph.retry import RetryPolicy, throttle_listener
from meta.graph.throttles import Throttle, classify
from meta.services.throttle_notice import StartDeadlineNotice
from sandbox.graph_emulator import GraphEmulator
from sandbox.seeding import SANDBOX_META_TOKEN

ACCOUNT = "1234567890"
# What the Graph emulator (and Meta) send on every answer: the score window rolls over in 280 s.
SCORE_WINDOW = {
    "X-Ad-Account-Usage": json.dumps(
        {
            "acc_id_util_pct": 3.0,
            "reset_time_duration": 280,
            "ads_api_access_tier": "standard_access",
        }
    ),
    "X-Business-Use-Case-Usage": json.dumps(
        {
            ACCOUNT: [
                {"type": "ads_management", "call_count": 3, "estimated_time_to_regain_access": 0}
            ]
        }
    ),
}


def envelope(code: int, subcode: int | None = None) -> dict:
    error: dict = {"message": f"(#{code}) limit", "code": code, "type": "OAuthException"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


def buc(**minutes_by_type: int) -> dict[str, str]:
    entries = [
        {"type": kind, "call_count": 100, "estimated_time_to_regain_access": minutes}
        for kind, minutes in minutes_by_type.items()
    ]
    return {"X-Business-Use-Case-Usage": json.dumps({ACCOUNT: entries})}


@pytest.mark.parametrize(
    ("code", "subcode", "kind"),
    [
        (613, 5044001, Throttle.MUTATION_RATE),
        (613, 1487632, Throttle.BUDGET_CHANGES),
        (17, 2446079, Throttle.SCORE),
        (613, 1487742, Throttle.SCORE),
        (80004, 2446079, Throttle.BUSINESS_USE_CASE),
        (80000, None, Throttle.BUSINESS_USE_CASE),
        (4, 1504022, Throttle.INSIGHTS),
        (4, None, Throttle.OTHER),
        (613, None, Throttle.OTHER),
    ],
)
def test_codes_map_to_their_throttle(code: int, subcode: int | None, kind: Throttle) -> None:
    assert classify(code, subcode) is kind


def test_the_mutation_rate_limit_ignores_the_score_window() -> None:
    error = error_from_response(400, SCORE_WINDOW, envelope(613, 5044001), account_id=ACCOUNT)
    assert error.is_throttle and error.retry_after_seconds is None
    policy = RetryPolicy(max_attempts=4, jitter=0)
    assert [policy.delay_for(error, n) for n in (1, 2, 3)] == [1.0, 2.0, 4.0]
    # The old rule (the longest figure in any header) waited 280 s here.
    assert max(policy.delay_for(error, n) or 0 for n in range(1, 10)) <= policy.max_mutation_wait


def test_a_fifth_budget_change_in_the_hour_is_not_slept_through() -> None:
    """Meta allows 4 budget changes an hour: the edit is told at once, with the hour to wait."""
    error = error_from_response(400, SCORE_WINDOW, envelope(613, 1487632), account_id=ACCOUNT)
    assert error.retry_after_seconds == 3600.0
    assert RetryPolicy(jitter=0).delay_for(error, 1) is None


def test_a_retry_after_on_the_mutation_limit_is_honoured() -> None:
    headers = {**SCORE_WINDOW, "Retry-After": "3"}
    error = error_from_response(400, headers, envelope(613, 5044001), account_id=ACCOUNT)
    assert error.retry_after_seconds == 3.0


def test_the_score_limit_waits_for_its_regain_time_then_its_reset_then_the_tier_block() -> None:
    told = error_from_response(
        400, buc(ads_management=5), envelope(17, 2446079), account_id=ACCOUNT
    )
    assert told.retry_after_seconds == 300.0
    reset_only = error_from_response(400, SCORE_WINDOW, envelope(613, 1487742), account_id=ACCOUNT)
    assert reset_only.retry_after_seconds == 280.0
    development = {"X-Ad-Account-Usage": json.dumps({"ads_api_access_tier": "development_access"})}
    silent = error_from_response(400, development, envelope(17, 2446079))
    assert silent.retry_after_seconds == 300.0
    assert error_from_response(400, {}, envelope(17, 2446079)).retry_after_seconds == 60.0


def test_business_use_case_throttles_read_their_own_use_case() -> None:
    headers = buc(ads_management=2, ads_insights=9)
    management = error_from_response(400, headers, envelope(80004, 2446079), account_id=ACCOUNT)
    insights = error_from_response(400, headers, envelope(80000, 2446079), account_id=ACCOUNT)
    assert (management.retry_after_seconds, insights.retry_after_seconds) == (120.0, 540.0)
    insights_4 = error_from_response(400, headers, envelope(4, 1504022), account_id=ACCOUNT)
    assert insights_4.retry_after_seconds == 540.0
    # x-fb-ads-insights-throttle carries percentages only: no wait of its own.
    pct = {"x-fb-ads-insights-throttle": json.dumps({"app_id_util_pct": 100, "acc_id_util_pct": 9})}
    assert error_from_response(400, pct, envelope(4, 1504039)).retry_after_seconds is None


def test_the_listener_hears_each_throttle_wait_and_the_one_too_long_to_sleep() -> None:
    heard: list[tuple[int | None, float]] = []
    short = MetaApiError(message="limit", code=613, subcode=5044001)
    long = MetaApiError(message="limit", code=80004, retry_after_seconds=3600)
    calls = iter([short, long])

    def call() -> str:
        raise next(calls)

    policy = RetryPolicy(max_attempts=5, jitter=0, max_throttle_wait=300)
    with throttle_listener(lambda err, s: heard.append((err.code, s))), pytest.raises(MetaApiError):
        policy.run(call, idempotent=True, sleep=lambda s: None)
    assert heard == [(613, 1.0), (80004, 3600)]
    policy.run(lambda: "ok", idempotent=True)  # outside the with: nobody listens, nothing breaks


def test_a_wait_past_the_start_is_told_once_a_shorter_one_not_at_all() -> None:
    now = datetime(2026, 12, 3, 19, 58, tzinfo=UTC)
    told: list[str] = []
    notice = StartDeadlineNotice(
        start=now + timedelta(minutes=2), clock=lambda: now, tell=told.append, monotonic=lambda: 0.0
    )
    notice(MetaApiError(message="x", code=613, subcode=5044001), 1.0)
    assert told == []
    notice(MetaApiError(message="x", code=80004, subcode=2446079), 300.0)
    notice(MetaApiError(message="x", code=80004, subcode=2446079), 300.0)  # within a minute
    assert len(told) == 1
    assert "5 min" in told[0] and "2 min before the start" in told[0] and "80004" in told[0]


# ---------------------------------------------------------------- against the Graph emulator


def campaign(n: int) -> dict:
    return {
        "name": f"throttle {n}",
        "objective": "OUTCOME_SALES",
        "status": "PAUSED",
        "special_ad_categories": "[]",
        "buying_type": "AUCTION",
        "daily_budget": "5000",
        "bid_strategy": "LOWEST_COST_WITHOUT_CAP",
    }


def test_the_emulators_mutation_limit_is_waited_out_in_seconds(graph: GraphEmulator) -> None:
    graph.max_mutation_qps = 2
    waited: list[float] = []

    def sleep(seconds: float) -> None:
        waited.append(seconds)
        time.sleep(seconds)  # the emulator's window runs on the real clock

    client = GraphClient(
        MetaConfig(access_token=SANDBOX_META_TOKEN, graph_url=graph.url), sleep=sleep
    )
    ids = [client.post(f"act_{ACCOUNT}/campaigns", campaign(n))["id"] for n in range(3)]
    assert len(set(ids)) == 3
    refused = [r for r in graph.requests if r.error_code == 613]
    assert refused and {r.error_subcode for r in refused} == {5044001}
    assert waited and max(waited) < 3  # seconds, though the answers carried the score window


def test_the_emulators_score_limit_answers_613_1487742_with_its_regain_time(
    graph: GraphEmulator,
) -> None:
    graph.max_score = 4
    graph.score_error_code = 613
    client = GraphClient(
        MetaConfig(access_token=SANDBOX_META_TOKEN, graph_url=graph.url, max_throttle_wait=30),
        sleep=lambda s: pytest.fail(f"slept {s}"),
    )
    client.post(f"act_{ACCOUNT}/campaigns", campaign(0))  # score 3
    with pytest.raises(MetaApiError) as caught:
        client.post(f"act_{ACCOUNT}/campaigns", campaign(1))  # 3 + 3 > 4
    error = caught.value
    assert (error.code, error.subcode) == (613, 1487742)
    assert error.retry_after_seconds == graph.score_block_seconds  # 1 min to regain access
