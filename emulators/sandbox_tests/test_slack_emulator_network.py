"""The Slack emulator's network faults and message metadata, against the real slack_sdk client.

A dropped answer applies the call and cuts the connection, so the client cannot tell whether
Slack posted; an outage cuts every connection and applies nothing. Message metadata is kept on
the message and shown by ``conversations.history`` / ``.replies`` only with
``include_all_metadata``, which need the history scope of the channel's type.
"""

from __future__ import annotations

from collections.abc import Iterator
from http.client import RemoteDisconnected
from urllib.error import URLError

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from sandbox.slack_emulator import SlackEmulator

CHANNEL, SECRET = "C_CAMPAIGNS", "C_PRIVATE"
MARK = {"event_type": "adbee_post", "event_payload": {"key": "alert-1"}}
CONNECTION_ERRORS = (URLError, ConnectionError, RemoteDisconnected)


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        emulator.add_user("U_ALICE", name="alice")
        emulator.add_channel(CHANNEL, "campaigns")
        emulator.add_channel(SECRET, "secret", is_private=True)
        yield emulator


def client(slack: SlackEmulator) -> WebClient:
    web = WebClient(token=slack.bot_token, base_url=slack.api_url)
    web.retry_handlers = []  # see each fault once
    return web


def test_a_dropped_answer_posts_the_message_but_the_client_sees_a_connection_error(
    slack: SlackEmulator,
) -> None:
    slack.drop_answer_next("chat.postMessage")
    with pytest.raises(CONNECTION_ERRORS):
        client(slack).chat_postMessage(channel=CHANNEL, text="hello")
    assert [m["text"] for m in slack.messages(CHANNEL)] == ["hello"]
    assert [c.dropped for c in slack.call_log if c.method == "chat.postMessage"] == [True]
    client(slack).chat_postMessage(channel=CHANNEL, text="again")  # one-shot
    assert len(slack.messages(CHANNEL)) == 2


def test_while_slack_is_down_nothing_is_applied_and_every_call_fails(
    slack: SlackEmulator,
) -> None:
    with slack.http_down():
        for _ in range(2):
            with pytest.raises(CONNECTION_ERRORS):
                client(slack).chat_postMessage(channel=CHANNEL, text="lost")
    assert slack.messages(CHANNEL) == [] and slack.refused_while_down == 2
    client(slack).chat_postMessage(channel=CHANNEL, text="back")
    assert [m["text"] for m in slack.messages(CHANNEL)] == ["back"]


def test_history_shows_metadata_only_when_asked(slack: SlackEmulator) -> None:
    web = client(slack)
    parent = web.chat_postMessage(channel=CHANNEL, text="parent", metadata=MARK)
    web.chat_postMessage(channel=CHANNEL, text="reply", thread_ts=parent["ts"], metadata=MARK)
    plain = web.conversations_history(channel=CHANNEL)["messages"]
    assert [m["text"] for m in plain] == ["parent"] and "metadata" not in plain[0]
    full = web.conversations_history(channel=CHANNEL, include_all_metadata=True)["messages"]
    assert full[0]["metadata"] == MARK
    thread = web.conversations_replies(channel=CHANNEL, ts=parent["ts"], include_all_metadata=True)
    assert [m.get("metadata") for m in thread["messages"]] == [MARK, MARK]
    newer = web.conversations_history(channel=CHANNEL, oldest=parent["ts"])["messages"]
    assert newer == []  # oldest is exclusive


def test_metadata_must_have_an_event_type_and_a_payload_object(slack: SlackEmulator) -> None:
    web = client(slack)
    for bad in (
        {"event_type": "adbee_post"},
        {"event_payload": {}},
        {"event_type": "", "event_payload": {}},
    ):
        with pytest.raises(SlackApiError) as refused:
            web.chat_postMessage(channel=CHANNEL, text="x", metadata=bad)
        assert refused.value.response["error"] == "invalid_metadata_schema"
    with pytest.raises(SlackApiError) as refused:
        web.api_call("chat.postMessage", data={"channel": CHANNEL, "text": "x", "metadata": "k"})
    assert refused.value.response["error"] == "invalid_metadata_format"
    assert slack.messages(CHANNEL) == []


def test_history_needs_the_history_scope_of_the_channel_type(slack: SlackEmulator) -> None:
    web = client(slack)
    slack.scopes = [s for s in slack.scopes if s != "groups:history"]
    web.conversations_history(channel=CHANNEL)
    with pytest.raises(SlackApiError) as refused:
        web.conversations_history(channel=SECRET)
    assert refused.value.response["error"] == "missing_scope"
    assert refused.value.response["needed"] == "groups:history"
    slack.scopes = [s for s in slack.scopes if s != "channels:history"]
    with pytest.raises(SlackApiError) as refused:
        web.conversations_history(channel=CHANNEL)
    assert refused.value.response["needed"] == "channels:history"
