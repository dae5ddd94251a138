"""The process's one Slack budget: Slack's tiers as buckets, priorities, 429s, coalesced edits."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.bootstrap import build_slack_client as slack_client
from bot.settings import Settings
from bot.slack.budget import (
    BudgetedWebClient,
    Priority,
    ProgressEdits,
    SlackBudget,
    Tier,
    sending_as,
)
from sandbox.slack_emulator import SlackEmulator

CHANNEL = "C_CAMPAIGNS"


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:  # Slack's rate tiers on, as always outside unit tests
        emulator.add_channel(CHANNEL, "campaigns")
        yield emulator


def wait_for(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_cards_and_alerts_go_before_progress_edits_that_waited_longer() -> None:
    budget = SlackBudget({"chat.update": Tier(rate=4.0, burst=1, per_channel=False)})
    budget.acquire("chat.update")  # the only token
    order: list[str] = []

    def take(name: str, priority: Priority) -> None:
        budget.acquire("chat.update", priority=priority)
        order.append(name)

    first = threading.Thread(target=take, args=("progress", Priority.PROGRESS))
    first.start()
    wait_for(lambda: len(budget._buckets[("chat.update", "")].waiters) == 1)
    second = threading.Thread(target=take, args=("card", Priority.URGENT))
    second.start()
    first.join(5)
    second.join(5)
    assert order == ["card", "progress"]


def test_chat_post_message_is_counted_per_channel() -> None:
    budget = SlackBudget({"chat.postMessage": Tier(rate=0.01, burst=1, per_channel=True)})
    assert budget.key("chat.postMessage", {"channel": "C1"}) == "C1"
    assert budget.acquire("chat.postMessage", "C1") == 0.0
    assert budget.acquire("chat.postMessage", "C2") == 0.0  # another channel: its own bucket
    assert budget.acquire("views.open") == 0.0  # no tier: never waits


def test_a_429_empties_the_bucket_until_retry_after() -> None:
    budget = SlackBudget({"chat.update": Tier(rate=100.0, burst=5, per_channel=False)})
    budget.refused("chat.update", "", 0.3)
    assert budget.acquire("chat.update") >= 0.25
    budget.refused("views.update", "", 0.2)  # a method without a tier is blocked too
    assert budget.acquire("views.update") >= 0.15


def test_a_429_that_gets_through_waits_in_the_budget_and_the_post_lands(
    slack: SlackEmulator,
) -> None:
    """A budget more generous than Slack (another replica used the channel): Slack refuses,
    the retry waits Retry-After in the budget, and every post lands once."""
    budget = SlackBudget({"chat.postMessage": Tier(rate=1.0, burst=20, per_channel=True)})
    settings = Settings(_env_file=None, slack_api_url=slack.api_url)  # type: ignore[call-arg]
    client = slack_client(settings, slack.bot_token, budget)
    for n in range(6):
        client.chat_postMessage(channel=CHANNEL, text=f"alert {n}")
    assert [m["text"] for m in slack.messages(CHANNEL)] == [f"alert {n}" for n in range(6)]
    assert slack.rate_limited and budget.refusals == len(slack.rate_limited)
    assert {method for method, _, _ in slack.rate_limited} == {"chat.postMessage"}


def test_the_bots_own_budget_keeps_under_slacks_limits(slack: SlackEmulator) -> None:
    settings = Settings(_env_file=None, slack_api_url=slack.api_url)  # type: ignore[call-arg]
    client = slack_client(settings, slack.bot_token)
    for n in range(6):
        client.chat_postMessage(channel=CHANNEL, text=f"alert {n}")
    assert len(slack.messages(CHANNEL)) == 6
    assert slack.rate_limited == []  # paced by the budget, never refused


class SlowClient:
    """Stands in for the Slack client: each chat.update blocks until released."""

    def __init__(self) -> None:
        self.updates: list[tuple[str, str]] = []
        self.release = threading.Event()
        self.entered = threading.Event()

    def chat_update(self, *, channel: str, ts: str, text: str, **_: Any) -> None:
        self.entered.set()
        self.release.wait(5)
        self.updates.append((ts, text))


def test_progress_edits_are_coalesced_the_latest_state_wins() -> None:
    client = SlowClient()
    edits = ProgressEdits(client, SlackBudget())  # type: ignore[arg-type]
    edits.edit(CHANNEL, "1.1", {"text": "A: 0 %"})
    assert client.entered.wait(5)  # the sender is inside the first edit
    for percent in (10, 40, 70):
        edits.edit(CHANNEL, "1.1", {"text": f"A: {percent} %"})
    edits.edit(CHANNEL, "2.2", {"text": "B: 5 %"})
    edits.edit(CHANNEL, "1.1", {"text": "A: 90 %"})
    client.release.set()
    wait_for(lambda: edits.pending() == 0 and len(client.updates) == 3)
    # A's 10/40/70 % were replaced before they went out; A keeps its place ahead of B.
    assert client.updates == [("1.1", "A: 0 %"), ("1.1", "A: 90 %"), ("2.2", "B: 5 %")]
    assert edits.coalesced == 3
    edits.stop()


def test_closing_a_message_drops_its_edits_so_none_lands_on_the_card() -> None:
    client = SlowClient()
    edits = ProgressEdits(client, SlackBudget())  # type: ignore[arg-type]
    edits.edit(CHANNEL, "1.1", {"text": "A: 0 %"})
    assert client.entered.wait(5)
    edits.edit(CHANNEL, "1.1", {"text": "A: 99 %"})
    closed = threading.Event()

    def close() -> None:
        edits.close(CHANNEL, "1.1")
        closed.set()

    threading.Thread(target=close).start()
    assert not closed.wait(0.1)  # waits for the edit in flight
    client.release.set()
    assert closed.wait(5)
    time.sleep(0.05)  # the sender had nothing left to send
    assert client.updates == [("1.1", "A: 0 %")]
    edits.stop()


def test_progress_edits_wait_behind_urgent_senders() -> None:
    budget = SlackBudget({"chat.update": Tier(rate=5.0, burst=1, per_channel=False)})
    with sending_as(Priority.PROGRESS):
        budget.acquire("chat.update")
    order: list[str] = []

    class Recorder:
        def chat_update(self, *, channel: str, ts: str, text: str, **_: Any) -> None:
            order.append(text)

    edits = ProgressEdits(Recorder(), budget)  # type: ignore[arg-type]
    edits.edit(CHANNEL, "1.1", {"text": "progress"})
    wait_for(lambda: budget._buckets[("chat.update", "")].waiters != [])
    budget.acquire("chat.update")  # a card, queued after the progress edit
    order.append("card")
    wait_for(lambda: len(order) == 2)
    assert order == ["card", "progress"]
    edits.stop()


def test_progress_edits_leave_a_reserve_so_a_burst_of_cards_goes_at_once() -> None:
    budget = SlackBudget({"chat.update": Tier(rate=0.01, burst=4, per_channel=False)})
    sent: list[str] = []

    class Recorder:
        def chat_update(self, *, channel: str, ts: str, text: str, **_: Any) -> None:
            sent.append(text)

    edits = ProgressEdits(Recorder(), budget, reserve=2)  # type: ignore[arg-type]
    for n in range(3):
        edits.edit(CHANNEL, f"1.{n}", {"text": f"progress {n}"})
    wait_for(lambda: len(sent) == 2)
    time.sleep(0.05)
    assert sent == ["progress 0", "progress 1"]  # the last two tokens stay for the cards
    assert budget.acquire("chat.update") == 0.0  # card 1: at once
    assert budget.acquire("chat.update") == 0.0  # card 2: at once
    assert sent == ["progress 0", "progress 1"]
    edits.stop()


def test_a_progress_edit_costs_one_chat_update_token_not_two(slack: SlackEmulator) -> None:
    """The sender took a token with its reserve, then the budgeted client took a second one for
    the same call: progress edits went at half the rate Slack grants them."""
    poster = WebClient(token=slack.bot_token, base_url=slack.api_url)
    messages = [poster.chat_postMessage(channel=CHANNEL, text=f"m{n}")["ts"] for n in range(3)]
    budget = SlackBudget({"chat.update": Tier(rate=0.01, burst=4, per_channel=False)})
    client = BudgetedWebClient(token=slack.bot_token, base_url=slack.api_url, budget=budget)
    edits = ProgressEdits(client, budget, reserve=2)
    for n, ts in enumerate(messages):
        edits.edit(CHANNEL, ts, {"text": f"progress {n}"})
    wait_for(lambda: edits.sent == 2)
    time.sleep(0.1)
    assert edits.sent == 2  # 4 tokens, 2 kept for cards: two edits, one token each
    assert [m["text"] for m in slack.messages(CHANNEL)] == ["progress 0", "progress 1", "m2"]
    edits.stop()


def test_a_reserve_larger_than_the_bucket_does_not_starve_progress_edits() -> None:
    budget = SlackBudget({"chat.update": Tier(rate=0.01, burst=1, per_channel=False)})
    assert budget.acquire("chat.update", reserve=8) == 0.0
