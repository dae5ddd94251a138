"""Editing a campaign that exists in Meta: the diff from what Meta holds, the account's rules, and
each change validated by Meta, applied as persisted steps, resumable, never doubled.

Real services over SQLite and the Graph API emulator as Meta.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from meta.domain.access import NotAllowedError
from meta.domain.edits import Approval, EditField
from meta.domain.errors import ValidationError
from meta.domain.records import EditStatus, ObjectKind, ObjectStatus
from meta.domain.states import Status
from meta.services.edits import EditBusyError, EditError, EditService
from sandbox.graph_emulator import Fault, GraphEmulator
from tests.campaign_harness import (
    APPROVER,
    POLICY,
    REQUESTER,
    FakeClock,
    Harness,
    build_harness,
    local,
    soon_day,
)

DAY = soon_day()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(local(DAY, "09:00"))


@pytest.fixture
def bot(tmp_path: Path, graph: GraphEmulator, clock: FakeClock) -> Iterator[Harness]:
    graph.ad_review_seconds = 0
    harness = build_harness(f"sqlite:///{tmp_path / 'adbee.db'}", graph, clock)
    yield harness
    harness.close()


@pytest.fixture
def edits(bot: Harness) -> EditService:
    return bot.services.edits(POLICY)


@pytest.fixture
def campaign(bot: Harness) -> int:
    return bot.create(start=local(DAY, "20:00"))


def meta(graph: GraphEmulator, object_id: str | None) -> dict:
    found = graph.get_object(str(object_id))
    assert found is not None
    return found


def test_the_diff_starts_from_what_meta_holds_not_the_local_row(
    edits: EditService, bot: Harness, graph: GraphEmulator, campaign: int
) -> None:
    row = bot.services.store.get(campaign)
    assert row is not None
    graph.edit_object(str(row.meta_campaign_id), daily_budget=6000)  # someone in Ads Manager
    _state, proposal = edits.propose(row, {"daily_budget": "40", "headline": "AINOTE 2 is in"})
    assert proposal.now is not None and proposal.later is None
    assert proposal.now.lines("SGD", "Asia/Singapore") == [
        "Daily budget: SGD 60.00 → SGD 40.00",
        "Headline: “AINOTE 2 is here” → “AINOTE 2 is in”",
    ]


def test_bad_values_are_refused_by_field_before_anything_is_sent(
    edits: EditService, bot: Harness, graph: GraphEmulator, campaign: int
) -> None:
    row = bot.services.store.get(campaign)
    assert row is not None
    graph.clear_requests()
    with pytest.raises(ValidationError) as refused:
        edits.propose(
            row,
            {"daily_budget": "99999", "end_time": "2020-01-01 10:00", "link": "shop", "bid": "1"},
        )
    fields = {problem.field for problem in refused.value.problems}
    assert fields == {"daily_budget", "end_time", "link", "bid"}
    assert all(r.method == "GET" for r in graph.requests)


def test_lowering_the_budget_applies_at_once_on_the_campaign_budget(
    edits: EditService, bot: Harness, graph: GraphEmulator, campaign: int
) -> None:
    done = edits.submit(campaign, {"daily_budget": "40"}, REQUESTER, source="test")
    assert done.awaiting is None and done.applied is not None
    assert done.applied.status is EditStatus.APPLIED
    row = done.campaign
    assert meta(graph, row.meta_campaign_id)["daily_budget"] == 4000
    assert "daily_budget" not in meta(graph, row.adset_id)  # CBO: the budget stays on the campaign
    validated = [
        r
        for r in graph.requests
        if r.method == "POST" and "validate_only" in str(r.params.get("execution_options"))
    ]
    assert validated, "Meta validated the change before it was applied"
    assert row.spec["daily_budget_minor"] == 4000
    history = edits.history(campaign)
    assert any("edit applied (ok)" in line and "SGD 50.00 → SGD 40.00" in line for line in history)


def test_raising_the_budget_waits_for_an_approver_then_applies(
    edits: EditService, bot: Harness, graph: GraphEmulator, campaign: int
) -> None:
    done = edits.submit(campaign, {"daily_budget": "80"}, REQUESTER, source="test")
    assert done.applied is None and done.awaiting is not None
    row = done.campaign
    assert meta(graph, row.meta_campaign_id)["daily_budget"] == 5000
    with pytest.raises(NotAllowedError, match="their own edit"):
        edits.approve(done.awaiting.id, REQUESTER)
    applied = edits.approve(done.awaiting.id, APPROVER)
    assert applied.status is EditStatus.APPLIED and applied.approved_by == APPROVER.user_id
    assert meta(graph, row.meta_campaign_id)["daily_budget"] == 8000
    with pytest.raises(EditError, match="applied"):
        edits.approve(done.awaiting.id, APPROVER)  # a second click applies nothing twice


def test_a_budget_above_the_threshold_needs_the_big_spend_approvers(
    edits: EditService, campaign: int
) -> None:
    done = edits.submit(campaign, {"daily_budget": "600"}, REQUESTER, source="test")
    assert done.awaiting is not None
    plan = EditService.plan(done.awaiting)
    assert plan.approval is Approval.BIG_SPEND and plan.approvers == ("S0BIGSPEND",)
    with pytest.raises(NotAllowedError, match="S0BIGSPEND"):
        edits.approve(done.awaiting.id, APPROVER)


def test_a_text_fix_before_going_live_makes_a_new_creative_and_switches_the_ad(
    edits: EditService, bot: Harness, graph: GraphEmulator, campaign: int
) -> None:
    before = bot.services.store.get(campaign)
    assert before is not None
    old_creative = before.creative_id
    done = edits.submit(
        campaign,
        {"primary_text": "Meet AINOTE 2: notes that write themselves."},
        REQUESTER,
        source="test",
    )
    assert done.applied is not None and done.applied.status is EditStatus.APPLIED
    row = done.campaign
    assert row.creative_id != old_creative
    new = meta(graph, row.creative_id)
    assert new["object_story_spec"]["video_data"]["message"].startswith("Meet AINOTE 2: notes")
    assert new["name"].endswith(f"· edit {done.applied.id}")
    assert meta(graph, row.ad_id)["creative_id"] == row.creative_id
    assert meta(graph, old_creative)["status"] == "ACTIVE"  # kept in Meta
    kept = [o for o in row.objects if o.kind is ObjectKind.CREATIVE and o.meta_id == old_creative]
    assert kept and kept[0].status is ObjectStatus.REPLACED


def test_a_change_on_a_live_campaign_needs_an_approver(
    edits: EditService, bot: Harness, graph: GraphEmulator, campaign: int
) -> None:
    bot.lifecycle.activate_now(campaign, APPROVER)
    row = bot.services.store.get(campaign)
    assert row is not None and row.status == Status.ACTIVE
    done = edits.submit(
        campaign, {"headline": "AINOTE 2 is in", "daily_budget": "45"}, REQUESTER, source="test"
    )
    assert done.applied is not None and done.awaiting is not None
    assert EditService.plan(done.applied).fields == {EditField.DAILY_BUDGET}  # spends less
    assert EditService.plan(done.awaiting).fields == {EditField.HEADLINE}


def test_meta_s_refusal_when_validating_changes_nothing(
    edits: EditService, bot: Harness, graph: GraphEmulator, campaign: int
) -> None:
    row = bot.services.store.get(campaign)
    assert row is not None
    for amount in (6000, 7000, 8000, 9000):  # four budget changes this hour, in Ads Manager
        bot.graph.post(str(row.meta_campaign_id), {"daily_budget": amount})
    done = edits.submit(campaign, {"daily_budget": "40"}, REQUESTER, source="test")
    assert done.applied is not None and done.applied.status is EditStatus.REFUSED
    assert "Nothing was changed" in str(done.applied.error)
    assert meta(graph, row.meta_campaign_id)["daily_budget"] == 9000


def test_two_edits_of_one_campaign_do_not_run_at_once(
    edits: EditService, bot: Harness, campaign: int
) -> None:
    done = edits.submit(campaign, {"daily_budget": "80"}, REQUESTER, source="test")
    assert done.awaiting is not None
    row = bot.services.store.get(campaign)
    assert row is not None
    assert bot.services.store.take_lease(campaign, expected_owner=None, new_owner="elsewhere:1:x")
    with pytest.raises(EditBusyError, match="being activated or edited right now"):
        edits.approve(done.awaiting.id, APPROVER)
    assert edits.get(done.awaiting.id).status is EditStatus.APPLYING  # kept, runs later


def test_a_refusal_after_the_new_creative_is_reported_and_can_be_finished(
    edits: EditService, bot: Harness, graph: GraphEmulator, campaign: int
) -> None:
    before = bot.services.store.get(campaign)
    assert before is not None
    # Meta takes the new creative, then refuses to point the ad at it (a real write only).
    graph.inject(
        Fault(code=100, path_contains=f"/{before.ad_id}", method="POST", validate_only=True)
    )
    done = edits.submit(campaign, {"headline": "AINOTE 2 is in"}, REQUESTER, source="test")
    edit = done.applied
    assert edit is not None and edit.status is EditStatus.INCOMPLETE
    assert "Already applied: new creative for ad 1" in str(edit.error)
    assert meta(graph, before.ad_id)["creative_id"] == before.creative_id
    graph.clear_faults()
    finished = edits.apply(edit.id, actor=APPROVER.user_id)  # Finish
    assert finished.status is EditStatus.APPLIED
    assert meta(graph, before.ad_id)["creative_id"] == finished.progress["creative_id"]
    assert len(graph.objects("adcreative")) == 2  # the one made before the refusal, reused


def test_undo_sets_back_what_was_applied_and_deletes_the_unused_creative(
    edits: EditService, bot: Harness, graph: GraphEmulator, campaign: int
) -> None:
    before = bot.services.store.get(campaign)
    assert before is not None
    graph.inject(
        Fault(code=100, path_contains=f"/{before.ad_id}", method="POST", validate_only=True)
    )
    done = edits.submit(
        campaign, {"daily_budget": "40", "headline": "AINOTE 2 is in"}, REQUESTER, source="test"
    )
    edit = done.applied
    assert edit is not None and edit.status is EditStatus.INCOMPLETE
    assert meta(graph, before.meta_campaign_id)["daily_budget"] == 4000
    graph.clear_faults()
    undone = edits.undo(edit.id, APPROVER)
    assert undone.status is EditStatus.UNDONE
    assert meta(graph, before.meta_campaign_id)["daily_budget"] == 5000
    assert meta(graph, edit.progress["creative_id"])["status"] == "DELETED"
    assert meta(graph, before.ad_id)["creative_id"] == before.creative_id


def test_an_activation_waits_while_an_edit_holds_the_campaign(
    edits: EditService, bot: Harness, campaign: int, clock: FakeClock
) -> None:
    bot.lifecycle.approve(campaign, APPROVER)
    assert bot.services.store.take_lease(campaign, expected_owner=None, new_owner="elsewhere:1:x")
    clock.set(local(DAY, "20:01"))
    assert bot.lifecycle.activate(campaign) is False  # the edit finishes first
    assert bot.services.store.get(campaign).status in (Status.SCHEDULED, Status.ARMED)
    assert bot.services.store.take_lease(campaign, expected_owner="elsewhere:1:x", new_owner=None)
