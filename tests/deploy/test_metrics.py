"""The on-call engineer's Prometheus scrape: each metric is served and counts what happened.

A real bot (Socket Mode against the Slack emulator, Meta = the Graph API emulator) serves
``/metrics`` on ``METRICS_PORT``; a creation through Slack, a Slack 429 and an activation an
hour late move the series the alert rules in docs/operations.md use.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.runner import RunningBot, start_bot
from jobs.activation import activate_due
from meta.telemetry import metrics
from sandbox.graph_emulator import Fault, GraphEmulator
from sandbox.slack_emulator import SlackEmulator
from tests.campaign_harness import APPROVER, FakeClock, build_harness, local, soon_day
from tests.e2e.conftest import ROOT, bot_settings, new_slack
from tests.e2e.test_campaign_story import create_campaign


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        assert response.status == 200
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with new_slack() as emulator:
        yield emulator


@pytest.fixture
def bot(
    slack: SlackEmulator, graph: GraphEmulator, tmp_path: Path, monkeypatch
) -> Iterator[RunningBot]:
    monkeypatch.chdir(ROOT)
    settings = bot_settings(slack, graph, tmp_path / "adbee.db", metrics_port=0)
    running = start_bot(settings, base_dir=ROOT)
    slack.wait_for_connection(timeout=10)
    yield running
    slack.close_handler(running.handler)
    running.stop()


def test_metrics_are_off_unless_a_port_is_set(slack, graph, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    running = start_bot(bot_settings(slack, graph, tmp_path / "a.db"), base_dir=ROOT)
    try:
        assert running.metrics is None
    finally:
        slack.close_handler(running.handler)
        running.stop()


def test_a_creation_a_slack_429_and_metas_answers_are_counted(slack, graph, bot):
    assert bot.metrics is not None
    before = scrape(bot.metrics.port)
    slack.fail_next("chat.postMessage", times=1)  # Slack rate-limits the first progress post
    graph.inject(Fault(code=2, times=1, path_contains="/adsets", method="POST", http_status=503))

    create_campaign(slack)

    after = scrape(bot.metrics.port)
    created = {"outcome": "created", "step": "none"}
    assert value(after, "adbee_creations_total", **created) == (
        value(before, "adbee_creations_total", **created) + 1
    )
    ok = {"method": "POST", "code": "ok"}
    # campaign, ad set, creative, ad, and the upload (start, chunks, finish)
    assert (
        value(after, "adbee_meta_calls_total", **ok)
        >= value(before, "adbee_meta_calls_total", **ok) + 7
    )
    refused = {"method": "POST", "code": "2"}
    assert value(after, "adbee_meta_calls_total", **refused) == (
        value(before, "adbee_meta_calls_total", **refused) + 1
    )
    limited = {"method": "chat.postMessage"}
    assert value(after, "adbee_slack_rate_limited_total", **limited) == (
        value(before, "adbee_slack_rate_limited_total", **limited) + 1
    )
    # The emulator sends Meta's usage headers with account-scoped answers.
    usage = {"account": "act_1234567890", "kind": "acc_id_util_pct"}
    assert (
        "adbee_meta_ad_account_usage_percent",
        tuple(sorted(usage.items())),
    ) in after
    assert ("adbee_alert_outbox_depth", ()) in after
    assert value(after, "adbee_scheduler_last_run_timestamp_seconds", job="scan_job") > 0


def test_a_failed_creation_is_counted_with_its_step(graph, tmp_path):
    clock = FakeClock(local(soon_day(), "13:50"))
    harness = build_harness(f"sqlite:///{tmp_path / 'a.db'}", graph, clock)
    graph.inject(Fault(code=100, times=1, path_contains="/adsets", method="POST"))
    labels = ("rolled_back", "create_adset")
    before = metrics.CREATIONS.labels(*labels)._value.get()
    spec = harness.services.campaigns.validate(
        {
            "account": "iflytek-sg",
            "name": "AINOTE2 launch SG",
            "daily_budget": 50,
            "start_time": f"{soon_day():%Y-%m-%d} 20:00",
            "countries": ["SG"],
            "video": "creatives/ainote2.mp4",
            "primary_text": "Meet AINOTE 2.",
            "headline": "AINOTE 2 is here",
            "link": "https://shop.example.com/sg/ainote2",
            "call_to_action": "SHOP_NOW",
        }
    )
    with pytest.raises(Exception):  # noqa: B017 - the pipeline reports the refusal
        harness.services.campaigns.create(spec, requested_by="U1", source="test")
    assert metrics.CREATIONS.labels(*labels)._value.get() == before + 1
    harness.close()


def test_an_activation_an_hour_late_lands_in_the_lag_histogram(graph, tmp_path):
    day = soon_day()
    clock = FakeClock(local(day, "13:50"))
    harness = build_harness(f"sqlite:///{tmp_path / 'a.db'}", graph, clock)
    campaign_id = harness.create(start=local(day, "20:00"))
    harness.lifecycle.approve(campaign_id, APPROVER)
    count_before = _histogram(metrics.ACTIVATION_LAG, "_count")
    sum_before = _histogram(metrics.ACTIVATION_LAG, "_sum")
    clock.set(local(day, "21:00"))
    assert activate_due(harness.context) == 1
    assert _histogram(metrics.ACTIVATION_LAG, "_count") == count_before + 1
    assert _histogram(metrics.ACTIVATION_LAG, "_sum") - sum_before == pytest.approx(3600, abs=1)
    harness.close()


def _histogram(histogram, suffix: str) -> float:  # type: ignore[no-untyped-def]
    for family in histogram.collect():
        for sample in family.samples:
            if sample.name.endswith(suffix):
                return float(sample.value)
    return 0.0


def test_usage_headers_are_read_as_meta_sends_them():
    metrics.record_usage_headers(
        {
            "x-business-use-case-usage": '{"999": [{"type": "ads_management", "call_count": 42}]}',
            "x-ad-account-usage": '{"acc_id_util_pct": 17.5, "reset_time_duration": 0}',
        }
    )
    gauge = metrics.META_ACCOUNT_USAGE
    assert gauge.labels("act_999", "acc_id_util_pct")._value.get() == 17.5
    assert gauge.labels("act_999", "business_use_case:ads_management")._value.get() == 42
    metrics.record_usage_headers({"x-ad-account-usage": "not json"})  # ignored, no error
