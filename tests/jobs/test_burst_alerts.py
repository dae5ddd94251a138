"""Many campaigns due at one start: one summary message per channel, the detail in each card.

The outbox part runs the real activation job against the Graph emulator; the Slack part posts
through the real notifier and client into the Slack emulator, under Slack's rate tiers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.bootstrap import build_slack_client as slack_client
from bot.settings import Settings
from bot.slack.campaign_messages import CampaignMessages, SlackNotifier
from handlers.blocks.alerts import build_burst_summary
from jobs.activation import activate_due
from meta.services.alerts import BurstAlert
from meta.services.summary import summarize
from sandbox.graph_emulator import Fault, GraphEmulator
from sandbox.slack_emulator import SlackEmulator
from tests.campaign_harness import APPROVER, FakeClock, Harness, build_harness, local, soon_day

DAY = soon_day()
CAMPAIGNS, ALERTS = "C_CAMPAIGNS", "C_ALERTS"


@pytest.fixture
def bot(tmp_path: Path, graph: GraphEmulator) -> Iterator[Harness]:
    graph.ad_review_seconds = 0
    harness = build_harness(
        f"sqlite:///{tmp_path / 'adbee.db'}", graph, FakeClock(local(DAY, "10:00"))
    )
    yield harness
    harness.close()


def approved(bot: Harness, count: int) -> list[int]:
    ids = []
    for n in range(count):
        campaign_id = bot.create(start=local(DAY, "20:00"), name=f"Burst {n}")
        bot.lifecycle.approve(campaign_id, APPROVER)
        ids.append(campaign_id)
    return ids


def test_a_burst_of_live_and_failed_alerts_is_one_summary(bot: Harness, graph: GraphEmulator):
    ids = approved(bot, 5)
    broken = bot.services.store.get(ids[1])
    assert broken is not None
    graph.inject(Fault(code=200, path_contains=f"/{broken.meta_campaign_id}", method="POST"))

    assert activate_due(bot.context, now=bot.clock.set(local(DAY, "20:00"))) == 4

    [burst] = bot.notifier.bursts  # one summary for the five alerts
    assert len(burst) == 5
    assert sorted(bot.notifier.kinds()) == ["activation_failed", *["live"] * 4]
    assert bot.outbox.flush(bot.notifier) == (0, 0)  # nothing left, nothing twice


def test_a_burst_waits_out_a_slack_outage_as_one(bot: Harness):
    approved(bot, 3)
    bot.notifier.fail_next(1)
    activate_due(bot.context, now=bot.clock.set(local(DAY, "20:00")))
    assert bot.notifier.bursts == [] and {a.status for a in bot.alerts()} == {"pending"}
    assert bot.outbox.flush(bot.notifier) == (3, 0)
    assert len(bot.notifier.bursts) == 1


def test_two_alerts_are_still_sent_one_by_one(bot: Harness):
    approved(bot, 2)
    activate_due(bot.context, now=bot.clock.set(local(DAY, "20:00")))
    assert bot.notifier.bursts == [] and bot.notifier.kinds() == ["live", "live"]


def test_the_summary_says_how_many_went_live_and_names_the_failed(bot: Harness):
    ids = approved(bot, 3)
    summaries = [summarize(bot.services.store.get(i), bot.services.accounts) for i in ids]
    alerts = [
        ("live", summaries[0], None),
        ("activation_failed", summaries[1], "Requires ads_management permission (code 200)"),
        ("live_late", summaries[2], "late by 5 minutes (it was due 20:00)."),
    ]
    payload = build_burst_summary(alerts, now=bot.clock())
    start = summaries[0].start_text
    assert payload["text"] == (
        f"2 campaigns went live at {start}; 1 of them late; 1 failed: Burst 1 (#{ids[1]})"
    )
    text = payload["blocks"][0]["text"]["text"]
    assert f"• Failed: *Burst 1* (AdBee #{ids[1]}) — Requires ads_management" in text
    assert f"• Late: *Burst 2* (AdBee #{ids[2]}) — late by 5 minutes" in text
    failed_only = build_burst_summary([("activation_failed", summaries[0], None)], now=bot.clock())
    assert failed_only["text"].startswith("1 campaign failed to go live at")


def test_slack_gets_one_summary_and_the_failed_campaigns_thread_the_detail(bot: Harness):
    ids = approved(bot, 4)
    with SlackEmulator() as slack:  # Slack's rate tiers on
        slack.add_channel(CAMPAIGNS, "campaigns")
        slack.add_channel(ALERTS, "campaign-alerts")
        settings = Settings(_env_file=None, slack_api_url=slack.api_url)  # type: ignore[call-arg]
        client = slack_client(settings, slack.bot_token)
        alerts = []
        for n, campaign_id in enumerate(ids):
            card = client.chat_postMessage(channel=CAMPAIGNS, text=f"card {n}")
            summary = summarize(bot.services.store.get(campaign_id), bot.services.accounts)
            summary = dataclasses.replace(summary, slack_channel=CAMPAIGNS, slack_ts=card["ts"])
            kind = "activation_failed" if n == 2 else "live"
            detail = "Requires ads_management permission (code 200)" if n == 2 else None
            alerts.append(BurstAlert(kind, summary, detail, key=f"{campaign_id}:{kind}"))
        notifier = SlackNotifier(
            client,
            channel=ALERTS,
            messages=CampaignMessages(client),
            clock=lambda: datetime.now(UTC),
        )
        notifier.send_burst(alerts, key="burst:1-4:4")

        [summary_message] = slack.messages(ALERTS)
        assert summary_message["text"].startswith("3 campaigns went live at")
        assert f"1 failed: Burst 2 (#{ids[2]})" in summary_message["text"]
        cards = {m["ts"]: m for m in slack.messages(CAMPAIGNS)}
        for n, alert in enumerate(alerts):  # every card re-rendered from its campaign
            assert cards[alert.summary.slack_ts]["text"] != f"card {n}"
            replies = slack.thread(CAMPAIGNS, alert.summary.slack_ts)[1:]
            if alert.kind == "activation_failed":
                [reply] = replies
                assert "could not be activated" in reply["text"]
                assert "ads_management" in reply["text"]
            else:
                assert replies == []
        assert slack.rate_limited == []


def test_a_start_delayed_by_metas_wait_is_said_in_the_campaigns_thread_only(bot: Harness):
    [campaign_id] = approved(bot, 1)
    with SlackEmulator() as slack:  # Slack's rate tiers on
        slack.add_channel(CAMPAIGNS, "campaigns")
        slack.add_channel(ALERTS, "campaign-alerts")
        settings = Settings(_env_file=None, slack_api_url=slack.api_url)  # type: ignore[call-arg]
        client = slack_client(settings, slack.bot_token)
        card = client.chat_postMessage(channel=CAMPAIGNS, text="card")
        summary = summarize(bot.services.store.get(campaign_id), bot.services.accounts)
        summary = dataclasses.replace(summary, slack_channel=CAMPAIGNS, slack_ts=card["ts"])
        notifier = SlackNotifier(
            client, channel=ALERTS, messages=CampaignMessages(client), clock=bot.clock
        )
        detail = "Meta asked AdBee to wait 5 minutes before switching it on (…)"
        notifier.send(kind="start_delayed", summary=summary, detail=detail, key=f"{campaign_id}:d")

        [reply] = slack.thread(CAMPAIGNS, card["ts"])[1:]
        assert "will start late: Meta asked AdBee to wait" in reply["text"]
        assert "wait 5 minutes" in reply["text"]
        assert slack.messages(ALERTS) == []  # the campaign's news, not the alerts channel's
