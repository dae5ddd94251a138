"""The periodic status sync: each change Meta reports becomes one alert, not one per poll."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobs.activation import activate_due
from meta.domain.states import Status
from sandbox.graph_emulator import GraphEmulator
from tests.campaign_harness import APPROVER, FakeClock, Harness, build_harness, local, soon_day

DAY = soon_day()
REASON = "Ads may not make claims about health benefits."


class EmulatorTime:
    """Moves the emulator's clock (ad review, in-process states) without sleeping."""

    def __init__(self, emulator: GraphEmulator) -> None:
        self.offset = 0.0
        emulator.clock = lambda: time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def meta_time(graph: GraphEmulator) -> EmulatorTime:
    graph.ad_review_seconds = 600
    return EmulatorTime(graph)


@pytest.fixture
def bot(tmp_path: Path, graph: GraphEmulator, meta_time: EmulatorTime) -> Iterator[Harness]:
    harness = build_harness(
        f"sqlite:///{tmp_path / 'adbee.db'}", graph, FakeClock(local(DAY, "10:00"))
    )
    yield harness
    harness.close()


def kinds(bot: Harness) -> list[str]:
    return [alert.kind for alert in bot.alerts()]


def test_a_disapproval_alerts_once_with_the_reason_and_a_later_change_once(
    bot: Harness, graph: GraphEmulator, meta_time: EmulatorTime
):
    graph.disapprove_next_ad(REASON, policy="Misleading claims")
    campaign_id = bot.create(start=local(DAY, "20:00"))
    assert bot.sync.sync_all() == 0  # PENDING_REVIEW, first look: nothing to say yet

    meta_time.advance(601)  # Meta finishes the review
    queued = [bot.sync.sync_all() for _ in range(3)]

    assert queued == [1, 0, 0]
    [alert] = bot.alerts()
    assert alert.kind == "ad_disapproved"
    assert alert.payload["detail"] == f"Misleading claims: {REASON}"

    row = bot.services.store.get(campaign_id)
    assert row is not None and row.ad_id
    graph.set_status(row.ad_id, effective_status="ACTIVE", issues_info=[])  # fixed, re-reviewed
    assert [bot.sync.sync_all() for _ in range(2)] == [1, 0]
    assert kinds(bot) == ["ad_disapproved", "status_changed"]
    assert bot.alerts()[-1].payload["detail"] == "ad: DISAPPROVED -> ACTIVE"

    bot.outbox.flush(bot.notifier)
    assert bot.notifier.kinds() == ["ad_disapproved", "status_changed"]
    assert bot.notifier.sent[0].summary is not None
    assert bot.notifier.sent[0].summary.id == campaign_id


def test_a_disapproval_on_one_placement_names_the_placement_the_policy_and_the_reason(
    bot: Harness, graph: GraphEmulator, meta_time: EmulatorTime
):
    """Meta refuses the ad on Instagram only: ad_review_feedback.placement_specific.instagram."""
    graph.disapprove_next_ad(
        "Ads may not show before-and-after images.", policy="Personal Health", placement="instagram"
    )
    campaign_id = bot.create(start=local(DAY, "20:00"))
    meta_time.advance(601)

    assert bot.sync.sync_all() == 1
    [alert] = bot.alerts()
    assert alert.kind == "ad_disapproved"
    assert alert.payload["detail"] == (
        "On Instagram, Personal Health: Ads may not show before-and-after images."
    )
    row = bot.services.store.get(campaign_id)
    assert row is not None and row.last_sync is not None
    assert row.last_sync["review"] == alert.payload["detail"]


def test_review_passing_after_activation_and_delivery_issues_alert_once_each(
    bot: Harness, graph: GraphEmulator, meta_time: EmulatorTime
):
    campaign_id = bot.create(start=local(DAY, "20:00"))
    bot.lifecycle.approve(campaign_id, APPROVER)
    assert activate_due(bot.context, now=bot.clock.set(local(DAY, "20:00"))) == 1
    assert "Meta is reviewing the ad" in (bot.notifier.sent[0].detail or "")

    for _ in range(2):
        bot.sync.sync_all()
    assert kinds(bot) == ["live"]  # the state activation read back is not news

    meta_time.advance(601)
    for _ in range(2):
        bot.sync.sync_all()
    assert kinds(bot) == ["live", "status_changed"]
    assert bot.alerts()[-1].payload["detail"] == "ad review passed: ad: PENDING_REVIEW -> ACTIVE"

    row = bot.services.store.get(campaign_id)
    assert row is not None and row.meta_campaign_id
    issue = {"error_code": 1870194, "error_summary": "Payment method declined", "level": "AD_SET"}
    graph.set_status(row.meta_campaign_id, effective_status="WITH_ISSUES", issues_info=[issue])
    for _ in range(3):
        bot.sync.sync_all()
    assert kinds(bot) == ["live", "status_changed", "status_changed", "delivery_issue"]
    assert bot.alerts()[-1].payload["detail"] == "Payment method declined (code 1870194)"
    assert bot.alerts()[-2].payload["detail"] == "campaign: ACTIVE -> WITH_ISSUES"


def test_a_pause_in_ads_manager_is_followed_and_alerted_once(
    bot: Harness, graph: GraphEmulator, meta_time: EmulatorTime
):
    graph.ad_review_seconds = 0
    campaign_id = bot.create(start=local(DAY, "20:00"))
    bot.lifecycle.approve(campaign_id, APPROVER)
    activate_due(bot.context, now=bot.clock.set(local(DAY, "20:00")))
    row = bot.services.store.get(campaign_id)
    assert row is not None and row.meta_campaign_id

    bot.graph.post(row.meta_campaign_id, {"status": "PAUSED"})  # someone in Ads Manager
    for _ in range(3):
        bot.sync.sync_all()

    row = bot.services.store.get(campaign_id)
    assert row is not None and row.status == Status.PAUSED
    assert kinds(bot) == ["live", "status_changed"]
    assert bot.alerts()[-1].payload["detail"].startswith("campaign: ACTIVE -> PAUSED")


def test_the_review_passing_before_activation_is_no_status_change_and_live_is_told_once(
    bot: Harness, meta_time: EmulatorTime
):
    # The kill -9 test's first run, made deterministic: the ad's review ends while the campaign
    # waits, the bot's start-up sync reads it, then the activation goes live. Creation must not
    # have recorded the statuses of its own moment (the ad PENDING_REVIEW): the sync would then
    # report "ad review passed" as a status change ahead of "is live" (main at 08e0463 did).
    campaign_id = bot.create(start=local(DAY, "20:00"))
    meta_time.advance(601)
    for _ in range(2):
        bot.sync.sync_all()
    assert kinds(bot) == []
    bot.lifecycle.approve(campaign_id, APPROVER)
    bot.sync.sync_all()
    assert activate_due(bot.context, now=bot.clock.set(local(DAY, "20:00"))) == 1
    bot.sync.sync_all()
    assert kinds(bot) == ["live"]


def test_a_sync_someone_asked_for_tells_its_change_at_once_the_periodic_one_at_the_flush(
    bot: Harness, graph: GraphEmulator, meta_time: EmulatorTime
):
    """``/campaign sync`` and Refresh from Meta: the change is told while the person looks, not
    at the outbox's next flush; the periodic pass leaves its alerts to the flush after it."""
    graph.disapprove_next_ad(REASON, policy="Misleading claims")
    campaign_id = bot.create(start=local(DAY, "20:00"))
    other_id = bot.create(start=local(DAY, "21:00"), name="Other SG")
    assert bot.sync.sync_all() == 0
    meta_time.advance(601)  # Meta finishes both reviews: the first ad is disapproved

    assert bot.sync.sync(campaign_id) == 1
    assert bot.notifier.kinds() == ["ad_disapproved"]  # sent, no flush needed
    assert [a.status for a in bot.alerts()] == ["sent"]

    row = bot.services.store.get(other_id)
    assert row is not None and row.ad_id
    graph.set_status(row.ad_id, effective_status="DISAPPROVED")
    assert bot.sync.sync_all() == 1  # the periodic pass: queued for the flush that follows it
    assert bot.notifier.kinds() == ["ad_disapproved"]
    assert [a.status for a in bot.alerts()] == ["sent", "pending"]
