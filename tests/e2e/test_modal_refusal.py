"""A refusal re-shows the form after the submission's ack, however late that ack goes out.

Slack applies the ack's ``response_action: update`` (the working view) when the ack arrives; a
``views.update`` that overtook it would be replaced by the working view and the refusal lost.
The creation flow waits for the event "this submission's ack was sent" (``bot.slack.acks``), not
for a fixed time: here the bot's ack frame is held back longer than the one second the flow used
to sleep, and the refusal still ends on top.
"""

from __future__ import annotations

import time
from typing import Any

from tests.e2e.conftest import REQUESTER
from tests.e2e.test_campaign_story import (
    good_values,
    open_form,
    upload_disguised,
    wait_for_refusal,
)

ACK_HELD_SECONDS = 1.5  # more than the old fixed wait, less than Slack's 3-second ack window


def test_a_refusal_follows_an_ack_that_goes_out_late(slack, graph, bot, monkeypatch):
    socket = bot.handler.client
    send = socket.send_socket_mode_response
    held: list[float] = []

    def late(response: Any) -> None:
        if (response.payload or {}).get("response_action") == "update":
            held.append(time.monotonic())
            time.sleep(ACK_HELD_SECONDS)  # the frame is slow to leave; the work goes on
        send(response)

    monkeypatch.setattr(socket, "send_socket_mode_response", late)
    view = open_form(slack)
    disguised = upload_disguised(slack)
    slack.submit_view(user=REQUESTER, view_id=view["id"], values=good_values(disguised))
    assert held, "the working view's ack went through the held socket"
    refused = wait_for_refusal(slack, view)
    assert "ZIP" in str(refused["blocks"])
    # Stays refused: nothing that arrives later puts the working view back.
    assert "Not created:" in str(slack.view(view["id"])["blocks"])
    assert slack.problems == [], slack.problems
    assert not [r for r in graph.requests if r.method == "POST"]
