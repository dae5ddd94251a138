"""After go-live: approval reminders and pacing/health alerts, through the real bot and emulators.

The jobs run with an injected time (``now=``) and are run twice, as a second poll or a second
replica would: each scenario must alert once. The Graph emulator plays the delivery scenarios
(``InsightsScenario``, a disabled account, a reached spend cap); the bot and the emulator share
a clock set to 23:30 in Singapore, so "today" is nearly a whole day on both sides.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.bootstrap import build_job_context
from bot.runner import RunningBot, start_bot
from handlers.ids import CampaignAction
from jobs.monitoring import digest_job, pacing_job, reminders_job
from meta.domain.access import StaticAccessPolicy
from meta.domain.accounts import AccountRegistry
from sandbox.graph_emulator import GraphEmulator, InsightsScenario
from sandbox.slack_emulator import SlackEmulator
from tests.conftest import new_graph
from tests.e2e.conftest import ALERTS, APPROVER, CAMPAIGNS, ROOT, bot_settings
from tests.e2e.test_campaign_story import create_campaign

# 2026-12-01 23:30 in Singapore, as the start of a clock that then runs with real time.
FAKE_START = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)


def thread_replies(slack: SlackEmulator, card: dict) -> list[dict]:
    return slack.thread(CAMPAIGNS, card["ts"])[1:]


def alerted_once(
    slack: SlackEmulator, card: dict, words: str, *, channel_words: str | None = None
) -> dict:
    """The alert in the alerts channel (``channel_words`` there, and ``words``) and in the card's
    thread, each once; returns the channel's post.

    Waited for, not read at once: the check queues the alert and flushes the outbox, but the
    bot's own flush job may have claimed it a moment before and still be sending it.
    """

    def both() -> tuple[list[dict], list[dict]] | None:
        posted = [
            m
            for m in slack.messages(ALERTS)
            if words in m["text"] and (channel_words or words) in m["text"]
        ]
        in_thread = [m for m in thread_replies(slack, card) if words in m["text"]]
        return (posted, in_thread) if posted and in_thread else None

    posted, in_thread = slack.wait_until(both, timeout=15)
    assert (len(posted), len(in_thread)) == (1, 1)
    return posted[0]


# ---------------------------------------------------------------------------------- reminders


def test_a_campaign_waiting_too_long_reminds_its_approvers_once(slack, bot: RunningBot) -> None:
    card = create_campaign(slack)
    row = bot.services.store.list_campaigns()[0]
    context = bot.scheduling.context

    assert reminders_job(context, now=row.created_at + timedelta(hours=3, minutes=59)) == 0
    later = row.created_at + timedelta(hours=4, minutes=1)
    assert reminders_job(context, now=later) == 1
    assert reminders_job(context, now=later + timedelta(hours=5)) == 0  # once, not every poll
    context.outbox.flush(context.notifier)

    reminders = [m for m in thread_replies(slack, card) if "still waiting" in m["text"]]
    assert len(reminders) == 1
    assert "<!subteam^S_APPROVERS>" in reminders[0]["text"]  # APPROVER_IDS names the group
    assert not [m for m in slack.messages(ALERTS) if "still waiting" in m["text"]]


def test_an_approved_campaign_is_not_reminded(slack, bot: RunningBot) -> None:
    create_campaign(slack)
    row = bot.services.store.list_campaigns()[0]
    slack.slash_command(
        user=APPROVER, channel=CAMPAIGNS, command="/campaign", text=f"activate {row.id}"
    )
    slack.wait_until(lambda: bot.services.store.get(row.id).status == "active", timeout=15)
    assert reminders_job(bot.scheduling.context, now=row.created_at + timedelta(hours=5)) == 0


# ---------------------------------------------------------------------------------- pacing


class ShiftedClock:
    """Real time moved to FAKE_START: both the bot and the Graph emulator read it."""

    def __init__(self) -> None:
        self.offset = FAKE_START.timestamp() - time.time()

    def epoch(self) -> float:
        return time.time() + self.offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.epoch(), UTC)

    def advance(self, delta: timedelta) -> None:
        self.offset += delta.total_seconds()


@pytest.fixture
def clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture
def shifted_graph(accounts: AccountRegistry, clock: ShiftedClock) -> Iterator[GraphEmulator]:
    with new_graph(accounts, clock=clock.epoch) as emulator:
        yield emulator


@pytest.fixture
def live_bot(
    slack: SlackEmulator,
    shifted_graph: GraphEmulator,
    clock: ShiftedClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[RunningBot]:
    monkeypatch.chdir(ROOT)
    settings = bot_settings(
        slack, shifted_graph, tmp_path / "adbee.db", pacing_no_purchase_spend="20"
    )
    running = start_bot(settings, base_dir=ROOT, clock=clock.now)
    slack.wait_for_connection(timeout=10)
    yield running
    slack.close_handler(running.handler)
    running.stop()


def go_live(slack: SlackEmulator, bot: RunningBot) -> tuple[dict, object]:
    card = create_campaign(slack)
    row = bot.services.store.list_campaigns()[0]
    slack.slash_command(
        user=APPROVER, channel=CAMPAIGNS, command="/campaign", text=f"activate {row.id}"
    )
    slack.wait_until(lambda: bot.services.store.get(row.id).status == "active", timeout=15)
    return card, bot.services.store.get(row.id)


def alerts_of(bot: RunningBot) -> list[str]:
    return sorted(a.kind for a in bot.services.store.alerts() if a.kind.startswith("pacing_"))


def run_twice(bot: RunningBot, now: datetime) -> list[int]:
    context = bot.scheduling.context
    return [pacing_job(context, now=now), pacing_job(context, now=now + timedelta(minutes=15))]


def test_no_delivery_alerts_once_after_the_configured_hours(
    slack, shifted_graph: GraphEmulator, live_bot: RunningBot
) -> None:
    card, row = go_live(slack, live_bot)
    shifted_graph.set_insights_scenario(row.meta_campaign_id, InsightsScenario.NO_DELIVERY)
    activated = row.activated_at
    assert run_twice(live_bot, activated + timedelta(hours=2)) == [0, 0]
    assert run_twice(live_bot, activated + timedelta(hours=3, minutes=1)) == [1, 0]
    assert alerts_of(live_bot) == ["pacing_no_delivery"]

    posted = alerted_once(slack, card, "not delivering")
    actions = [e for b in posted["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [e["action_id"] for e in actions] == [
        CampaignAction.PAUSE,
        CampaignAction.OPEN_ADS_MANAGER,
        CampaignAction.REPORT,
    ]
    assert row.meta_campaign_id in actions[1]["url"]
    # Slack opens the link itself and still sends the click: the bot acks it in time.
    slack.click_button(APPROVER, ALERTS, posted["ts"], CampaignAction.OPEN_ADS_MANAGER)
    assert slack.problems == []

    # Report, clicked in the alerts channel, posts /campaign report's table and chart in the
    # campaign's thread (not in the alerts channel).
    slack.click_button(APPROVER, ALERTS, posted["ts"], CampaignAction.REPORT)
    thread = slack.wait_until(
        lambda: (t := thread_replies(slack, card)) and any(m.get("files") for m in t) and t,
        timeout=15,
    )
    table = next(m for m in thread if "Report for" in m.get("text", ""))
    body = str(table["blocks"])
    assert f"#{row.id}" in body and "```Day" in body and "Total" in body
    assert "amounts in SGD" in body
    assert next(m for m in thread if m.get("files"))["files"][0]["name"].endswith(".png")
    assert not any("Report for" in m["text"] for m in slack.messages(ALERTS))
    assert slack.problems == []


@pytest.mark.parametrize(
    ("scenario", "kind", "words"),
    [
        (InsightsScenario.UNDERSPEND, "pacing_underspend", "spending slowly"),
        (InsightsScenario.OVERSPEND, "pacing_overspend", "more than its budget allows"),
        (InsightsScenario.SPEND_WITHOUT_PURCHASE, "pacing_no_purchase", "without a purchase"),
    ],
)
def test_each_spend_scenario_alerts_once(
    slack, shifted_graph: GraphEmulator, live_bot: RunningBot, clock: ShiftedClock,
    scenario: InsightsScenario, kind: str, words: str,
) -> None:  # fmt: skip
    card, row = go_live(slack, live_bot)
    shifted_graph.set_insights_scenario(row.meta_campaign_id, scenario)
    clock.advance(timedelta(days=1))  # live since 23:30 yesterday: today is a full day of delivery
    assert run_twice(live_bot, clock.now()) == [1, 0]
    assert alerts_of(live_bot) == [kind]
    alerted_once(slack, card, words)


def test_a_normal_day_alerts_nothing(
    slack, shifted_graph: GraphEmulator, live_bot: RunningBot, clock: ShiftedClock
) -> None:
    go_live(slack, live_bot)
    clock.advance(timedelta(days=1))
    assert run_twice(live_bot, clock.now()) == [0, 0]
    assert alerts_of(live_bot) == []


@pytest.mark.parametrize("block", ["disabled", "spend_cap"])
def test_an_account_that_cannot_deliver_alerts_once(
    slack, shifted_graph: GraphEmulator, live_bot: RunningBot, clock: ShiftedClock, block: str
) -> None:
    card, row = go_live(slack, live_bot)
    clock.advance(timedelta(days=1))
    if block == "disabled":
        shifted_graph.disable_account(row.ad_account_id, disable_reason=3, account_status=2)
        words = "disabled (risk payment)"
    else:
        shifted_graph.reach_spend_cap(row.ad_account_id)
        words = "reached its spend cap"
    assert run_twice(live_bot, clock.now()) == [1, 0]
    assert alerts_of(live_bot) == ["pacing_account_blocked"]
    alerted_once(slack, card, words, channel_words="ad account is blocked")


# ---------------------------------------------------------------------------------- digest


def digests_posted(slack: SlackEmulator) -> list[dict]:
    return [m for m in slack.messages(CAMPAIGNS) if m.get("text", "").startswith("Yesterday in")]


def test_the_digest_posts_once_at_its_local_time_with_a_chart(
    slack, live_bot: RunningBot, clock: ShiftedClock
) -> None:
    go_live(slack, live_bot)  # live from 23:30 on 1 Dec, Singapore time
    context = live_bot.scheduling.context
    clock.advance(timedelta(days=1, hours=9, minutes=29))  # 3 Dec, 08:59 in Singapore
    assert digest_job(context, now=clock.now()) == 0  # not yet: DIGEST_TIME is 09:00
    clock.advance(timedelta(minutes=1))
    assert digest_job(context, now=clock.now()) == 1
    assert digest_job(context, now=clock.now() + timedelta(minutes=30)) == 0
    # Another replica (or this bot after a restart) at the same time: the outbox has the key.
    other = build_job_context(
        live_bot.services, context.notifier, policy=StaticAccessPolicy(frozenset())
    )
    assert digest_job(other, now=clock.now()) == 0

    posted = slack.wait_until(lambda: digests_posted(slack), timeout=10)
    assert len(posted) == 1
    body = str(posted[0]["blocks"])
    assert "Yesterday in iFLYTEK" in body and "Wed 02 Dec 2026" in body
    assert "Best: *AINOTE2 launch SG*" in body and "SGD" in body
    assert "attribution 7-day click, 1-day view" in body
    files = slack.wait_until(
        lambda: [m for m in slack.messages(CAMPAIGNS) if m.get("files")], timeout=10
    )
    assert len(files) == 1
    png = slack.file_content(files[0]["files"][0]["id"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert files[0]["files"][0]["name"] == "adbee-digest-iflytek-sg-2026-12-02.png"


def test_the_digest_is_quiet_when_nothing_ran(
    slack, shifted_graph: GraphEmulator, live_bot: RunningBot, clock: ShiftedClock
) -> None:
    _card, row = go_live(slack, live_bot)
    shifted_graph.set_insights_scenario(row.meta_campaign_id, InsightsScenario.NO_DELIVERY)
    clock.advance(timedelta(days=1, hours=9, minutes=31))
    context = live_bot.scheduling.context
    assert digest_job(context, now=clock.now()) == 0
    assert digest_job(context, now=clock.now()) == 0
    context.outbox.flush(context.notifier)
    assert digests_posted(slack) == []
    assert [a.kind for a in live_bot.services.store.alerts() if "digest" in a.kind] == [
        "daily_digest_quiet"
    ]
