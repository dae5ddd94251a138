"""The approval covers the requests as sent: fingerprint stored, a big reschedule asks again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from meta.domain.approval import approval_material, fingerprint
from meta.domain.states import Status
from meta.services.previews import APPROVAL_KEY, PREVIEWS_KEY, REQUESTS_KEY
from sandbox.graph_emulator import GraphEmulator
from tests.campaign_harness import (
    APPROVER,
    ROOT,
    FakeClock,
    Harness,
    build_harness,
    local,
    soon_day,
)

DAY = soon_day()


@pytest.fixture
def bot(tmp_path: Path, graph: GraphEmulator) -> Iterator[Harness]:
    accounts = (ROOT / "configs" / "accounts.yaml").read_text()
    # A reschedule moving the start by more than two hours needs a new approval (iflytek-sg).
    accounts = accounts.replace(
        "      approvers: [S0BIGSPEND]",
        "      approvers: [S0BIGSPEND]\n      reschedule_within_hours: 2",
    )
    assert "reschedule_within_hours" in accounts
    (tmp_path / "accounts.yaml").write_text(accounts)
    harness = build_harness(
        f"sqlite:///{tmp_path / 'adbee.db'}",
        graph,
        FakeClock(local(DAY, "10:00")),
        accounts_file=tmp_path / "accounts.yaml",
    )
    yield harness
    harness.close()


def test_the_requests_as_sent_and_metas_previews_are_kept_with_the_campaign(bot, graph):
    campaign_id = bot.create(start=local(DAY, "20:00"))
    sync = bot.services.store.get(campaign_id).last_sync
    requests = sync[REQUESTS_KEY]
    assert set(requests) == {"campaign", "adset", "creative", "ad"}
    sent = [r for r in graph.requests if r.method == "POST" and r.path.endswith("/campaigns")]
    assert requests["campaign"]["daily_budget"] == int(sent[-1].params["daily_budget"])
    assert requests["campaign"]["name"] == sent[-1].params["name"]
    assert set(sync[PREVIEWS_KEY]) == {"Feed", "Reels", "Stories", "Shareable preview"}


def test_approval_stores_the_fingerprint_of_what_was_sent(bot):
    campaign_id = bot.create(start=local(DAY, "20:00"))
    bot.lifecycle.approve(campaign_id, APPROVER)
    row = bot.services.store.get(campaign_id)
    record = row.last_sync[APPROVAL_KEY]
    material = approval_material(row.last_sync[REQUESTS_KEY], local(DAY, "20:00").isoformat())
    assert record["fingerprint"] == fingerprint(material) and record["by"] == APPROVER.user_id
    events = bot.services.store.audit_events(campaign_id=campaign_id)
    assert any(e.action == "approve" and record["fingerprint"] in (e.detail or "") for e in events)


def test_a_reschedule_within_the_allowance_keeps_the_approval(bot):
    campaign_id = bot.create(start=local(DAY, "20:00"))
    bot.lifecycle.approve(campaign_id, APPROVER)
    summary = bot.lifecycle.reschedule(campaign_id, APPROVER, f"{DAY.isoformat()} 21:30")
    assert summary.status == Status.SCHEDULED
    record = bot.services.store.get(campaign_id).last_sync[APPROVAL_KEY]
    assert record["material"]["activate_at"] == local(DAY, "21:30").isoformat()


def test_a_reschedule_beyond_the_allowance_needs_a_new_approval_showing_what_moved(bot):
    campaign_id = bot.create(start=local(DAY, "20:00"))
    bot.lifecycle.approve(campaign_id, APPROVER)
    summary = bot.lifecycle.reschedule(campaign_id, APPROVER, f"{DAY.isoformat()} 23:30")
    assert summary.status == Status.CREATED and summary.approved_by is None
    assert summary.changed_since_approval == (
        f"activate_at: {local(DAY, '20:00').isoformat()} -> {local(DAY, '23:30').isoformat()}",
    )
    assert bot.lifecycle.due(now=local(DAY, "23:45")) == []  # unscheduled until approved again
    audit = bot.services.store.audit_events(campaign_id=campaign_id)
    assert audit[-1].outcome == "needs_approval"

    again = bot.lifecycle.approve(campaign_id, APPROVER)
    assert again.status == Status.SCHEDULED and again.changed_since_approval == ()
    row = bot.services.store.get(campaign_id)
    assert row.activate_at == local(DAY, "23:30")
    assert isinstance(row.last_sync[APPROVAL_KEY]["fingerprint"], str)
    assert datetime.fromisoformat(row.last_sync[APPROVAL_KEY]["material"]["activate_at"]) == (
        local(DAY, "23:30")
    )
