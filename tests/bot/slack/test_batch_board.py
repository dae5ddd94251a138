"""A bulk row lives in its batch message: every re-render of that row's "campaign message" is a
re-render of the whole batch message from the store, and the card that must land (the end of a
creation, through the outbox) raises when Slack does not take it, so the outbox retries it."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.slack.batch_board import BatchBoard, parts_of
from bot.slack.budget import ProgressEdits, SlackBudget, Tier
from bot.slack.campaign_messages import CampaignMessages
from handlers.ids import CampaignAction
from storage.db import create_schema, make_engine, make_session_factory
from storage.requests import CreationRequestStore
from tests.handlers.factories import make_summary


class Slack:
    """Records chat.update and chat.postMessage; ``down`` makes every call fail."""

    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []
        self.posts: list[dict[str, Any]] = []
        self.down = False

    def _answer(self, kwargs: dict[str, Any]) -> SlackResponse:
        if self.down:
            raise SlackApiError(
                "down",
                SlackResponse(
                    client=None,
                    http_verb="POST",
                    api_url="",
                    req_args={},
                    data={"ok": False, "error": "service_unavailable"},
                    headers={},
                    status_code=503,
                ),
            )
        return SlackResponse(
            client=None,
            http_verb="POST",
            api_url="",
            req_args={},
            data={"ok": True, "channel": kwargs.get("channel"), "ts": "9.9"},
            headers={},
            status_code=200,
        )

    def chat_update(self, **kwargs: Any) -> SlackResponse:
        self.updates.append(kwargs)
        return self._answer(kwargs)

    def chat_postMessage(self, **kwargs: Any) -> SlackResponse:
        self.posts.append(kwargs)
        return self._answer(kwargs)


@pytest.fixture
def requests(tmp_path: Path) -> CreationRequestStore:
    engine = make_engine(f"sqlite:///{tmp_path / 'requests.db'}")
    create_schema(engine)
    return CreationRequestStore(make_session_factory(engine))


def _bulk(requests: CreationRequestStore, rows: int, *, ts: str = "1.1") -> list[int]:
    ids = []
    for n in range(1, rows + 1):
        record = requests.add(
            key=f"bulk:row{n}",
            form={"name": f"AINOTE2 bulk {n}"},
            requested_by="U_ALICE",
            team_id="T1",
            view_id="V1",
            status="queued",
        )
        assert record is not None
        requests.join_batch(record.id, batch="B1", row=n + 1, channel="C1", ts=ts)
        ids.append(record.id)
    return ids


def test_a_ready_rows_card_is_its_row_in_the_batch_message_not_a_post(requests):
    ids = _bulk(requests, 3)
    requests.finish(ids[1], "started", campaign_id=42)
    summaries = {42: make_summary(id=42, name="AINOTE2 bulk 2", status="created")}
    slack = Slack()
    progress = ProgressEdits(slack, SlackBudget())  # type: ignore[arg-type]
    board = BatchBoard(
        slack,  # type: ignore[arg-type]
        requests=requests,
        summaries=summaries.get,
        progress=progress,
    )
    recorded: list[tuple[int, str, str]] = []
    messages = CampaignMessages(
        slack,  # type: ignore[arg-type]
        progress=progress,
        board=board,
        record_message=lambda *args: recorded.append(args),
    )
    summary = make_summary(
        id=42, name="AINOTE2 bulk 2", status="created", slack_channel="C1", slack_ts="1.1"
    )

    moved = messages.post_card(summary, key="creation-finished:42:card", since=None)

    assert slack.posts == [] and recorded == []  # no card of its own
    assert (moved.slack_channel, moved.slack_ts) == ("C1", "1.1")
    [update] = slack.updates
    assert (update["channel"], update["ts"]) == ("C1", "1.1")
    lines = [b["text"]["text"] for b in update["blocks"] if b["type"] == "section"][1:]
    assert [("queued" in line, "ready for approval" in line) for line in lines] == [
        (True, False),
        (False, True),
        (True, False),
    ]
    [approve] = [
        e
        for b in update["blocks"]
        for e in b.get("elements", [])
        if e.get("action_id") == CampaignAction.APPROVE
    ]
    assert json.loads(approve["value"])["campaign_id"] == 42

    slack.down = True  # the outbox keeps the end of the creation and tries again
    with pytest.raises(SlackApiError):
        messages.post_card(summary, key="creation-finished:42:card", since=None)


def test_a_single_creations_card_is_still_posted_on_its_own(requests):
    _bulk(requests, 1)
    slack = Slack()
    progress = ProgressEdits(slack, SlackBudget())  # type: ignore[arg-type]
    board = BatchBoard(
        slack,  # type: ignore[arg-type]
        requests=requests,
        summaries=lambda _id: None,
        progress=progress,
    )
    recorded: list[tuple[int, str, str]] = []
    messages = CampaignMessages(
        slack,  # type: ignore[arg-type]
        progress=progress,
        board=board,
        record_message=lambda *args: recorded.append(args),
    )
    alone = make_summary(id=7, status="created", slack_channel="C1", slack_ts="5.5")
    messages.post_card(alone, key="creation-finished:7:card", since=None)
    assert len(slack.posts) == 1 and recorded == [(7, "C1", "9.9")]


def test_fifty_rows_are_three_messages_of_at_most_twenty():
    assert [len(part) for part in parts_of(50)] == [20, 20, 10]
    assert [len(part) for part in parts_of(20)] == [20]


def test_a_new_process_shows_the_step_a_creating_row_recorded_not_creating(requests):
    """The process that was making row 2 died; the new one has no progress events yet, only the
    campaign row the pipeline committed as it began Meta's processing."""
    ids = _bulk(requests, 2)
    requests.finish(ids[0], "started", campaign_id=42)
    summaries = {42: make_summary(id=42, status="creating", step="wait_for_processing")}
    slack = Slack()
    board = BatchBoard(
        slack,  # type: ignore[arg-type]
        requests=requests,
        summaries=summaries.get,
        progress=ProgressEdits(slack, SlackBudget()),  # type: ignore[arg-type]
    )
    lines = [
        b["text"]["text"] for b in board.render("C1", "1.1")["blocks"] if b["type"] == "section"
    ]
    assert lines[1].endswith(":hourglass_flowing_sand: Meta is processing the video")
    assert lines[2].endswith(":hourglass_flowing_sand: queued")


def _row_end(board: BatchBoard, errors: list[BaseException]) -> Any:
    """What a creation thread does when its row ends: show it (errors are collected)."""

    def row_ends() -> None:
        try:
            board.update_now("C1", "1.1")
        except BaseException as exc:
            errors.append(exc)

    return row_ends


class SlowSlack(Slack):
    """chat.update takes a while, as it does when the budget paces it (Tier 3, ~50 a minute)."""

    def chat_update(self, **kwargs: Any) -> SlackResponse:
        time.sleep(0.2)
        return super().chat_update(**kwargs)


def test_twenty_rows_finishing_together_are_one_or_two_edits_of_their_message_not_twenty(
    requests,
):
    """Each row's end re-rendered the whole batch message at once, one after another: 20 rows
    ready within a second were 20 chat.update of one message, paced at Tier 3's ~50 a minute,
    and the last row's Approve waited ~12 s behind them. A render that starts after a row's
    end reads that row from the store, so the rows waiting behind it need no render of their own.
    """
    ids = _bulk(requests, 20)
    summaries = {}
    for n, request_id in enumerate(ids, start=1):
        requests.finish(request_id, "started", campaign_id=100 + n)
        summaries[100 + n] = make_summary(id=100 + n, name=f"AINOTE2 bulk {n}", status="created")
    slack = SlowSlack()
    board = BatchBoard(
        slack,  # type: ignore[arg-type]
        requests=requests,
        summaries=summaries.get,
        progress=ProgressEdits(slack, SlackBudget()),  # type: ignore[arg-type]
    )
    errors: list[BaseException] = []
    row_ends = _row_end(board, errors)
    ends = [threading.Thread(target=row_ends) for _ in ids]
    for end in ends:
        end.start()
    for end in ends:
        end.join()

    assert errors == []
    assert 1 <= len(slack.updates) <= 2
    last = slack.updates[-1]
    lines = [b["text"]["text"] for b in last["blocks"] if b["type"] == "section"][1:]
    assert len(lines) == 20 and all("ready for approval" in line for line in lines)


def test_rows_ending_one_after_another_share_a_few_edits_within_slacks_burst(requests):
    """20 rows of one video end over ~0.3 s, not at one instant. Each row's end rendered at once
    when the one before had landed, so they were ~10 edits in that time: chat.update's burst
    was gone, the budget made the next edit wait a refill (1.2 s at Tier 3) with a render made
    before the wait, and the last row's Approve waited another refill behind it. Edits now
    wait a moment after the one before (rows ending meanwhile share it) and take their token
    before they render."""
    budget = SlackBudget({"chat.update": Tier(rate=10.0, burst=4, per_channel=False)})
    ids = _bulk(requests, 20)
    summaries: dict[int, Any] = {}
    slack = Slack()
    board = BatchBoard(
        slack,  # type: ignore[arg-type]
        requests=requests,
        summaries=summaries.get,
        progress=ProgressEdits(slack, budget),  # type: ignore[arg-type]
        budget=budget,
    )
    errors: list[BaseException] = []
    row_ends = _row_end(board, errors)
    ends = []
    for n, request_id in enumerate(ids, start=1):
        requests.finish(request_id, "started", campaign_id=100 + n)
        summaries[100 + n] = make_summary(id=100 + n, name=f"AINOTE2 bulk {n}", status="created")
        ends.append(threading.Thread(target=row_ends))
        ends[-1].start()
        time.sleep(0.01)
    for end in ends:
        end.join()

    assert errors == []
    assert len(slack.updates) <= 4  # within the burst: no edit waited for a refill
    assert budget.waited.get("chat.update", 0.0) == 0.0
    last = slack.updates[-1]
    lines = [b["text"]["text"] for b in last["blocks"] if b["type"] == "section"][1:]
    assert len(lines) == 20 and all("ready for approval" in line for line in lines)


def test_a_row_behind_a_render_slack_refused_renders_and_raises_itself(requests):
    ids = _bulk(requests, 2)
    requests.finish(ids[0], "started", campaign_id=7)
    slack = Slack()
    board = BatchBoard(
        slack,  # type: ignore[arg-type]
        requests=requests,
        summaries={7: make_summary(id=7, name="AINOTE2 bulk 1", status="created")}.get,
        progress=ProgressEdits(slack, SlackBudget()),  # type: ignore[arg-type]
    )
    slack.down = True
    with pytest.raises(SlackApiError):
        board.update_now("C1", "1.1")
    with pytest.raises(SlackApiError):  # nothing landed: this row's end is not taken as shown
        board.update_now("C1", "1.1")
    slack.down = False
    board.update_now("C1", "1.1")
    assert len(slack.updates) == 3
