"""Drift watch and re-apply against the Graph emulator: once per drift, never two new creatives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from meta.domain.access import NotAllowedError
from meta.domain.errors import AdBeeError
from meta.services.lifecycle import InvalidTransitionError
from meta.services.previews import DRIFT_KEY, REAPPLY_KEY
from sandbox.graph_emulator import Fault, GraphEmulator
from tests.campaign_harness import (
    APPROVER,
    OUTSIDER,
    FakeClock,
    Harness,
    build_harness,
    local,
    soon_day,
)

DAY = soon_day()


@pytest.fixture
def bot(tmp_path: Path, graph: GraphEmulator) -> Iterator[Harness]:
    harness = build_harness(
        f"sqlite:///{tmp_path / 'adbee.db'}", graph, FakeClock(local(DAY, "09:00"))
    )
    yield harness
    harness.close()


def drift_alerts(bot: Harness) -> list:
    return [a for a in bot.services.store.alerts() if a.kind == "settings_drift"]


def test_tags_changed_in_meta_are_drift_once_and_reapply_sends_the_approved_creative(bot, graph):
    campaign_id = bot.create(start=local(DAY, "20:00"))
    row = bot.services.store.get(campaign_id)
    old_creative = row.creative_id
    approved_tags = graph.get_object(old_creative)["url_tags"]  # the account's, filled
    assert approved_tags.startswith("utm_source=meta&")
    graph.edit_object(old_creative, url_tags="utm_source=someone_else")
    bot.sync.sync(campaign_id)
    bot.sync.sync(campaign_id)
    (alert,) = drift_alerts(bot)
    assert (
        f"url_tags: approved {approved_tags}, Meta shows utm_source=someone_else"
        in alert.payload["detail"]
    )
    assert bot.lifecycle.summary(campaign_id).drift

    with pytest.raises(InvalidTransitionError, match="re-apply the approved settings first"):
        bot.lifecycle.approve(campaign_id, APPROVER)  # it would approve what Meta does not run
    with pytest.raises(NotAllowedError, match="only approvers"):
        bot.lifecycle.reapply(campaign_id, OUTSIDER)
    # The answer to the new creative's POST is lost: the next try finds it instead of posting.
    graph.inject(
        Fault(
            drop_connection=True,
            times=1,
            path_contains="/adcreatives",
            method="POST",
            validate_only=False,
        )
    )
    with pytest.raises(AdBeeError):
        bot.lifecycle.reapply(campaign_id, APPROVER)
    assert "known" in bot.services.store.get(campaign_id).last_sync[REAPPLY_KEY]
    summary = bot.lifecycle.reapply(campaign_id, APPROVER)

    creatives = [c for c in graph.objects("adcreative") if c["id"] != old_creative]
    assert len(creatives) == 1, "one new creative, however many tries"
    new = creatives[0]
    assert (
        new.get("url_tags") == approved_tags
        and new["name"] == graph.get_object(old_creative)["name"]
    )
    assert graph.get_object(row.ad_id)["creative_id"] == new["id"] == summary.creative_id
    row = bot.services.store.get(campaign_id)
    assert DRIFT_KEY not in row.last_sync and REAPPLY_KEY not in row.last_sync
    assert summary.drift == ()
    bot.sync.sync(campaign_id)
    assert len(drift_alerts(bot)) == 1
    events = bot.services.store.audit_events(campaign_id=campaign_id)
    assert [e.outcome for e in events if e.action == "reapply"] == ["ok"]

    with pytest.raises(InvalidTransitionError, match="nothing to re-apply"):
        bot.lifecycle.reapply(campaign_id, APPROVER)
    assert bot.lifecycle.approve(campaign_id, APPROVER).status == "scheduled"


def test_the_same_drift_coming_back_after_a_reapply_is_news_again(bot, graph):
    campaign_id = bot.create(start=local(DAY, "20:00"))
    row = bot.services.store.get(campaign_id)
    graph.edit_object(row.creative_id, url_tags="x=1")
    bot.sync.sync(campaign_id)
    summary = bot.lifecycle.reapply(campaign_id, APPROVER)
    graph.edit_object(summary.creative_id, url_tags="x=1")
    bot.sync.sync(campaign_id)
    assert len(drift_alerts(bot)) == 2


def test_a_reapply_meta_refuses_when_validating_changes_nothing(bot, graph):
    campaign_id = bot.create(start=local(DAY, "20:00"))
    row = bot.services.store.get(campaign_id)
    graph.edit_object(row.creative_id, url_tags="x=1")
    bot.sync.sync(campaign_id)
    graph.inject(
        Fault(
            code=100,
            message="Invalid parameter",
            error_user_title="Creative Not Allowed",
            error_user_msg="This creative cannot be created now.",
            path_contains="/adcreatives",
            method="POST",
            validate_only=True,
        )
    )
    before = len(graph.objects("adcreative"))
    with pytest.raises(AdBeeError, match="Nothing was changed"):
        bot.lifecycle.reapply(campaign_id, APPROVER)
    assert len(graph.objects("adcreative")) == before
    assert bot.services.store.get(campaign_id).creative_id == row.creative_id
    events = bot.services.store.audit_events(campaign_id=campaign_id)
    assert [e.outcome for e in events if e.action == "reapply"] == ["failed"]
