"""Bob approves a whole bulk with one click, whichever of its batch messages he clicks in.

Real stores, the real lifecycle and its approval rules, and the Graph emulator; Slack is a
recorder. Twenty-three rows are two batch messages (``ROWS_PER_MESSAGE`` is twenty): rows 2 to 21
in the first, rows 22 to 24 in the second, row 24 still being created.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.slack.bulk_flow import BulkLaunch
from handlers.blocks.bulk import ROWS_PER_MESSAGE
from meta.domain.access import Actor
from meta.domain.errors import AdBeeError
from meta.domain.states import Status
from meta.services.summary import CampaignSummary
from sandbox.graph_emulator import GraphEmulator
from tests.bot.slack.test_batch_board import Slack
from tests.campaign_harness import (
    APPROVER,
    REQUESTER,
    FakeClock,
    Harness,
    build_harness,
    local,
    soon_day,
)
from tests.handlers.factories import assert_slack_accepts
from tests.store_fixtures import set_columns

DAY = soon_day()
CAROL = "UCAROL"  # asked for the bulk; Bob (APPROVER) and the other approver may approve it
FIRST, SECOND = "1.1", "2.2"  # the two batch messages


@dataclass
class Refreshes:
    """``CampaignMessages``' refresh, recorded: which campaigns' rows were re-rendered."""

    seen: list[int] = field(default_factory=list)

    def refresh_campaign_message(self, summary: CampaignSummary) -> None:
        self.seen.append(summary.id)


@dataclass
class Bulk:
    harness: Harness
    launch: BulkLaunch
    slack: Slack
    campaigns: dict[int, int]  # sheet row -> campaign id
    requests: dict[int, int]  # sheet row -> request id


@pytest.fixture
def bulk(tmp_path: Path, graph: GraphEmulator) -> Iterator[Bulk]:
    harness = build_harness(
        f"sqlite:///{tmp_path / 'adbee.db'}", graph, FakeClock(local(DAY, "10:00"))
    )
    services = harness.services
    start = local(DAY, "20:00")
    first = harness.create(start=start, name="AINOTE2 bulk 1")
    ids = [first] + [
        harness.clone(first, name=f"AINOTE2 bulk {n}", start=start) for n in range(2, 23)
    ]
    campaigns, requests = {}, {}
    for n in range(1, 24):  # sheet rows 2..24; the last is still being created
        row = n + 1
        record = services.requests.add(
            key=f"bulk:row{row}",
            form={"name": f"AINOTE2 bulk {n}"},
            requested_by=CAROL,
            team_id=REQUESTER.team_id,
            view_id="V1",
            status="queued",
        )
        assert record is not None
        ts = FIRST if n <= ROWS_PER_MESSAGE else SECOND
        services.requests.join_batch(record.id, batch="B1", row=row, channel="C1", ts=ts)
        requests[row] = record.id
        if n <= len(ids):
            set_columns(services.store, ids[n - 1], requested_by=CAROL)
            services.requests.finish(record.id, "started", campaign_id=ids[n - 1])
            campaigns[row] = ids[n - 1]
    slack = Slack()
    launch = BulkLaunch(
        client=slack,  # type: ignore[arg-type]
        campaigns=services.campaigns,
        creation=None,  # type: ignore[arg-type]  # Approve all creates nothing
        requests=services.requests,
        lifecycle=harness.lifecycle,
        messages=Refreshes(),  # type: ignore[arg-type]
        channel="C1",
    )
    yield Bulk(harness, launch, slack, campaigns, requests)
    harness.close()


def statuses(bulk: Bulk) -> dict[int, Status]:
    store = bulk.harness.services.store
    return {row: store.get(cid).status for row, cid in bulk.campaigns.items()}  # type: ignore[union-attr]


def approvals(bulk: Bulk) -> dict[int, int]:
    """How many times each row's campaign was approved (its audit trail)."""
    store = bulk.harness.services.store
    return {
        row: sum(
            1
            for e in store.audit_events(campaign_id=cid)
            if (e.action, e.outcome) == ("approve", "ok")
        )
        for row, cid in bulk.campaigns.items()
    }


def reply_lines(post: dict[str, Any]) -> list[str]:
    return [line for b in post["blocks"] for line in b["text"]["text"].splitlines()][1:]


def test_one_click_in_the_second_message_approves_the_rows_of_both(bulk: Bulk):
    assert len(set(bulk.requests)) == 23 and len(bulk.campaigns) == 22

    bulk.launch.approve_all('{"batch":"B1"}', APPROVER, channel="C1", ts=SECOND)

    assert set(statuses(bulk).values()) == {Status.SCHEDULED}
    assert set(approvals(bulk).values()) == {1}
    [reply] = bulk.slack.posts
    assert (reply["channel"], reply["thread_ts"]) == ("C1", SECOND)  # where Bob clicked
    assert_slack_accepts("message", reply)
    assert reply["text"] == (
        f"<@{APPROVER.user_id}> approved 22 of 23 campaigns of this batch. Not approved: row 24."
    )
    lines = reply_lines(reply)
    assert [line.split(" row ")[1].split(" ")[0] for line in lines] == [
        str(row) for row in range(2, 25)
    ]
    assert all(line.endswith(": approved") for line in lines[:-1])
    assert "row 24 *AINOTE2 bulk 23*: still being created" in lines[-1]
    assert sorted(bulk.launch._messages.seen) == sorted(bulk.campaigns.values())  # type: ignore[attr-defined]


def test_a_button_posted_before_still_approves_only_the_rows_it_named(bulk: Bulk):
    old = (
        '{"batch":"B1","rows":'
        f"[[22,{bulk.requests[22]}],[23,{bulk.requests[23]}],[24,{bulk.requests[24]}]]}}"
    )
    bulk.launch.approve_all(old, APPROVER, channel="C1", ts=SECOND)

    now = statuses(bulk)
    assert {row for row, status in now.items() if status == Status.SCHEDULED} == {22, 23}
    assert {now[row] for row in range(2, 22)} == {Status.CREATED}
    [reply] = bulk.slack.posts
    assert reply["text"].startswith(f"<@{APPROVER.user_id}> approved 2 of 3 campaigns")


def test_an_unknown_or_garbled_value_approves_nothing_and_says_so(bulk: Bulk):
    told = []
    for value in ('{"batch":"B404"}', "not json"):
        with pytest.raises(AdBeeError) as refused:
            bulk.launch.approve_all(value, APPROVER, channel="C1", ts=FIRST)
        told.append(refused.value.message)
    # Said as a sentence the approver can act on: no internal batch id.
    assert told[0] == (
        "AdBee has no record of this batch's campaigns; approve each campaign on its row."
    )
    assert "B404" not in told[0] and told[1].endswith("approve each campaign on its row.")
    assert set(statuses(bulk).values()) == {Status.CREATED}
    assert bulk.slack.posts == []


def test_approvals_at_once_approve_each_campaign_once(bulk: Bulk, monkeypatch):
    """Bob and Alice click Approve all in the two messages while Bob approves row 2 on its own
    row. All three have read row 2 as ready before any of them moves it (held at a barrier
    just before the status change): the compare-and-set lets one through."""
    alice = Actor(REQUESTER.user_id, REQUESTER.team_id)  # an approver too (tests' POLICY)
    store = bulk.harness.lifecycle.store
    transition = store.transition
    row2 = bulk.campaigns[2]
    together = threading.Barrier(3, timeout=30)

    def held(campaign_id: int, **kwargs: Any) -> bool:
        if campaign_id == row2 and kwargs.get("to_status") == Status.SCHEDULED:
            together.wait()
        return transition(campaign_id, **kwargs)

    monkeypatch.setattr(store, "transition", held)
    failures: list[BaseException] = []
    single: list[CampaignSummary] = []

    def run(action) -> None:  # type: ignore[no-untyped-def]
        try:
            action()
        except AdBeeError:  # the single Approve that lost is told so, as any late click
            pass
        except BaseException as exc:  # reported by the test below
            failures.append(exc)

    clicks = [
        lambda: bulk.launch.approve_all('{"batch":"B1"}', APPROVER, channel="C1", ts=FIRST),
        lambda: bulk.launch.approve_all('{"batch":"B1"}', alice, channel="C1", ts=SECOND),
        lambda: single.append(bulk.harness.lifecycle.approve(row2, APPROVER)),
    ]
    threads = [threading.Thread(target=run, args=(click,)) for click in clicks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads) and failures == []

    assert set(statuses(bulk).values()) == {Status.SCHEDULED}
    assert set(approvals(bulk).values()) == {1}, approvals(bulk)
    first, second = bulk.slack.posts
    approved = [
        line.split(" row ")[1].split(" ")[0]
        for post in (first, second)
        for line in reply_lines(post)
        if line.endswith(": approved")
    ]
    # Every row reported approved by exactly one click; row 2 by a click or by its own Approve.
    by_clicks = range(3 if single else 2, 24)
    assert sorted(approved, key=int) == [str(row) for row in by_clicks]
