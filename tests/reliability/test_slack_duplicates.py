"""Slack posts a message, then the connection drops before its answer; it still appears once.

The real bot runs against both emulators. Twice Slack applies ``chat.postMessage`` and cuts
the connection before answering: for the "Preparing…" message of a new creation, and for the
"is live" alert. The bot cannot tell whether Slack posted, so it looks for its idempotency
mark (message metadata holding the post's key) before sending again: the channel must show
one campaign message and one "is live" alert, and the story must carry on as usual.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meta.domain.access import Actor
from meta.domain.states import Status
from tests.e2e.test_campaign_story import (
    CARD_IS_BELOW,
    approval_message,
    good_values,
    open_form,
    upload_video,
)
from tests.reliability.conftest import ALERTS, APPROVER, CAMPAIGNS, REQUESTER, ROOT, world

pytestmark = pytest.mark.reliability


def _dropped_posts(slack) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        c.params.get("channel", "")
        for c in slack.call_log
        if c.method == "chat.postMessage" and c.dropped
    ]


def test_posts_whose_answer_was_lost_appear_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    with world(tmp_path, alert_flush_seconds=2) as here:
        slack, bot = here.slack, here.bot
        assert bot is not None
        store = bot.services.store

        # 1. Alice submits a campaign; "Preparing…" is posted, its answer lost.
        view = open_form(slack)
        slack.drop_answer_next("chat.postMessage")
        slack.submit_view(
            user=REQUESTER, view_id=view["id"], values=good_values(upload_video(slack))
        )
        message = approval_message(slack)
        assert _dropped_posts(slack) == [CAMPAIGNS]
        row = store.list_campaigns()[0]
        assert row.status == Status.CREATED
        assert row.slack_ts == message["ts"]

        # 2. Bob approves and makes it live now; the "is live" alert's answer is lost.
        bot.scheduling.lifecycle.approve(row.id, Actor(APPROVER, slack.team_id))
        slack.drop_answer_next("chat.postMessage")
        slack.slash_command(
            user=APPROVER, channel=CAMPAIGNS, command="/campaign", text=f"activate {row.id}"
        )
        slack.wait_until(lambda: store.get(row.id).status == Status.ACTIVE, timeout=15)
        slack.wait_until(
            lambda: (
                any(a.kind.startswith("live") for a in store.alerts())
                and all(a.status == "sent" for a in store.alerts())
            ),
            timeout=15,
        )
        assert _dropped_posts(slack) == [CAMPAIGNS, ALERTS]

        # --- each post is in Slack once ------------------------------------------------------
        # the creation's message (ending on where its card is) and the card, each once
        progress, card = slack.messages(CAMPAIGNS)
        live = [m["text"] for m in slack.messages(ALERTS) if "is live" in m["text"]]
        assert CARD_IS_BELOW in progress["text"] and card["ts"] == message["ts"]
        assert len(live) == 1, live
        posts = [c for c in slack.call_log if c.method == "chat.postMessage"]
        print(
            f"\nduplicate posts: 2 answers dropped after Slack posted; {len(posts)} "
            f"chat.postMessage calls, 1 campaign message, 1 card and 1 'is live' alert in Slack"
        )
