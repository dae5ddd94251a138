"""``post_once`` against the Slack emulator: a post whose answer was lost is not posted again.

The client is built as the bot builds it (``bot.bootstrap.build_slack_client``), so slack_sdk's own
connection retry is part of what is tested; waits between tries are recorded, not slept.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from types import SimpleNamespace
from urllib.error import URLError

import pytest
from slack_sdk.http_retry import handler as sdk_retry

from bot.bootstrap import build_slack_client
from bot.settings import Settings
from bot.slack.posts import EVENT_TYPE, post_once
from sandbox.slack_emulator import SlackEmulator

CHANNEL = "C_ALERTS"


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackEmulator]:
    # slack_sdk's own retry waits (0.5 s, 1 s, 2 s) are not slept here
    monkeypatch.setattr(sdk_retry, "time", SimpleNamespace(sleep=lambda _: None))
    with SlackEmulator() as emulator:
        emulator.add_channel(CHANNEL, "campaign-alerts")
        yield emulator


def client_for(slack: SlackEmulator):  # type: ignore[no-untyped-def]
    settings = Settings(_env_file=None, slack_api_url=slack.api_url)  # type: ignore[call-arg]
    return build_slack_client(settings, slack.bot_token)


def no_wait(waits: list[float]):  # type: ignore[no-untyped-def]
    return waits.append


def test_a_dropped_answer_is_found_by_its_mark_and_not_posted_again(slack: SlackEmulator) -> None:
    slack.drop_answer_next("chat.postMessage")
    waits: list[float] = []
    posted = post_once(
        client_for(slack), key="alert-7", channel=CHANNEL, text="is live", sleep=no_wait(waits)
    )
    [message] = slack.messages(CHANNEL)
    assert posted.ts == message["ts"] and message["text"] == "is live"
    assert message["metadata"] == {"event_type": EVENT_TYPE, "event_payload": {"key": "alert-7"}}
    assert len(slack.calls_to("chat.postMessage")) == 1  # slack_sdk did not repeat it
    assert slack.calls_to("conversations.history")[0]["include_all_metadata"] in (True, "1", "true")


def test_a_post_that_never_reached_slack_is_sent_once_slack_is_back(
    slack: SlackEmulator,
) -> None:
    slack.take_http_down()
    waits: list[float] = []

    def back_up(seconds: float) -> None:
        waits.append(seconds)
        slack.bring_http_up()

    post_once(client_for(slack), key="k", channel=CHANNEL, text="hello", sleep=back_up)
    assert [m["text"] for m in slack.messages(CHANNEL)] == ["hello"]
    assert waits == [0.5]
    assert [c.method for c in slack.call_log] == ["conversations.history", "chat.postMessage"]


def test_while_slack_stays_down_the_connection_error_reaches_the_caller(
    slack: SlackEmulator,
) -> None:
    waits: list[float] = []
    with slack.http_down(), pytest.raises((URLError, ConnectionError)):
        post_once(client_for(slack), key="k", channel=CHANNEL, text="x", sleep=no_wait(waits))
    assert waits == [0.5, 1.0, 2.0] and slack.messages(CHANNEL) == []


def test_a_retried_alert_already_in_slack_is_not_posted_again(slack: SlackEmulator) -> None:
    client = client_for(slack)
    earlier = time.time()
    first = post_once(client, key="alert-9", channel=CHANNEL, text="went live late")
    again = post_once(
        client, key="alert-9", channel=CHANNEL, text="went live late", sent_before=earlier
    )
    assert again == first and len(slack.messages(CHANNEL)) == 1
    other = post_once(client, key="alert-10", channel=CHANNEL, text="other", sent_before=earlier)
    assert other != first and len(slack.messages(CHANNEL)) == 2


def test_without_the_history_scope_a_retry_posts_again_rather_than_never(
    slack: SlackEmulator,
) -> None:
    slack.scopes = [s for s in slack.scopes if s != "channels:history"]
    client = client_for(slack)
    post_once(client, key="a", channel=CHANNEL, text="live")
    post_once(client, key="a", channel=CHANNEL, text="live", sent_before=time.time())
    assert len(slack.messages(CHANNEL)) == 2  # at least once; the log says it could not check
