"""Meta errors during activation: retried, postponed, or failed with one actionable alert."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from jobs.activation import activate_due
from meta.domain.states import Status
from meta.services.activation import MAX_POSTPONEMENTS
from sandbox.graph_emulator import Fault, GraphEmulator
from sandbox.seeding import SANDBOX_META_TOKEN
from tests.campaign_harness import (
    APPROVER,
    FakeClock,
    Harness,
    build_harness,
    local,
    meta_status_posts,
    soon_day,
)

DAY = soon_day()


@pytest.fixture
def bot(tmp_path: Path, graph: GraphEmulator) -> Iterator[Harness]:
    graph.ad_review_seconds = 0
    harness = build_harness(
        f"sqlite:///{tmp_path / 'adbee.db'}", graph, FakeClock(local(DAY, "10:00"))
    )
    yield harness
    harness.close()


def scheduled_campaign(bot: Harness) -> tuple[int, tuple[str, str, str]]:
    campaign_id = bot.create(start=local(DAY, "20:00"))
    bot.lifecycle.approve(campaign_id, APPROVER)
    row = bot.services.store.get(campaign_id)
    assert row is not None and row.meta_campaign_id and row.adset_id and row.ad_id
    return campaign_id, (row.meta_campaign_id, row.adset_id, row.ad_id)


def statuses(graph: GraphEmulator, ids: tuple[str, ...]) -> list[str]:
    return [graph.get_object(i)["status"] for i in ids]  # type: ignore[index]


def row_status(bot: Harness, campaign_id: int) -> str:
    row = bot.services.store.get(campaign_id)
    assert row is not None
    return row.status


def test_expired_token_fails_once_with_how_to_renew_and_sync_alerts_once(
    bot: Harness, graph: GraphEmulator
):
    campaign_id, ids = scheduled_campaign(bot)
    graph.add_token(SANDBOX_META_TOKEN, expired=True)

    assert activate_due(bot.context, now=bot.clock.set(local(DAY, "20:00"))) == 0
    assert activate_due(bot.context, now=bot.clock.advance(minutes=5)) == 0

    assert statuses(graph, ids) == ["PAUSED"] * 3
    assert [meta_status_posts(graph, i) for i in ids] == [0, 0, 0]
    assert row_status(bot, campaign_id) == Status.ACTIVATION_FAILED
    [failed] = bot.notifier.sent
    assert failed.kind == "activation_failed"
    assert failed.detail is not None
    assert "Session has expired" in failed.detail  # Meta's own words
    assert "META_ACCESS_TOKEN" in failed.detail and "System users" in failed.detail
    assert f"/campaign activate {campaign_id}" in failed.detail
    assert failed.summary is not None and failed.summary.error == failed.detail

    for _ in range(3):
        bot.sync.sync_all()
    auth = bot.alerts("meta_auth")
    assert len(auth) == 1
    assert "META_ACCESS_TOKEN" in auth[0].payload["detail"]
    assert len(bot.alerts()) == 2

    # Renewed token, rescheduled: it goes live.
    graph.add_token(SANDBOX_META_TOKEN)
    bot.lifecycle.reschedule(campaign_id, APPROVER, f"{DAY.isoformat()} 21:00")
    assert activate_due(bot.context, now=bot.clock.set(local(DAY, "21:00"))) == 1
    assert statuses(graph, ids) == ["ACTIVE"] * 3
    assert bot.notifier.kinds() == ["activation_failed", "meta_auth", "live"]


def test_transient_errors_are_retried_and_it_activates_once(bot: Harness, graph: GraphEmulator):
    campaign_id, ids = scheduled_campaign(bot)
    ad_id = ids[2]
    fault = graph.inject(
        Fault(code=2, times=2, path_contains=f"/{ad_id}", method="POST", http_status=503)
    )

    assert activate_due(bot.context, now=bot.clock.set(local(DAY, "20:00"))) == 1

    assert fault.fired == 2
    assert statuses(graph, ids) == ["ACTIVE"] * 3
    assert [meta_status_posts(graph, i) for i in ids] == [1, 1, 1]
    assert bot.notifier.kinds() == ["live"]
    assert row_status(bot, campaign_id) == Status.ACTIVE


def test_a_long_throttle_postpones_instead_of_failing(bot: Harness, graph: GraphEmulator):
    campaign_id, ids = scheduled_campaign(bot)
    campaign = ids[0]
    graph.inject(Fault(code=80004, regain_minutes=5, path_contains=f"/{campaign}", method="POST"))

    due = bot.clock.set(local(DAY, "20:00"))
    assert activate_due(bot.context, now=due) == 0

    row = bot.services.store.get(campaign_id)
    assert row is not None and row.status == Status.SCHEDULED
    assert row.activate_at is not None
    assert row.activate_at.replace(tzinfo=due.tzinfo) == due + timedelta(minutes=5)
    assert row.error and row.error.startswith("Activation postponed")
    assert bot.schedule_calls[-1] == (campaign_id, due + timedelta(minutes=5))
    # The wait outlasts the time left before the start: the campaign's people hear it now,
    # in its thread, not only from a late "is live" five minutes on.
    [delayed] = bot.notifier.sent
    assert delayed.kind == "start_delayed"
    assert delayed.detail is not None
    assert "Meta asked AdBee to wait 5 minutes" in delayed.detail
    assert "starts about 5 minutes late" in delayed.detail
    assert "20:05" in delayed.detail
    assert statuses(graph, ids)[0] == "PAUSED"  # nothing delivers meanwhile

    assert activate_due(bot.context, now=bot.clock.advance(minutes=4)) == 0
    assert activate_due(bot.context, now=bot.clock.advance(minutes=1)) == 1
    assert statuses(graph, ids) == ["ACTIVE"] * 3
    # The ad and ad set were already ACTIVE: the retry does not write them again.
    assert [meta_status_posts(graph, i) for i in ids] == [1, 1, 1]
    [_, live] = bot.notifier.sent
    assert live.kind == "live" and "postponed it 1 time" in (live.detail or "")


def test_a_permanent_error_leaves_the_campaign_paused_and_alerts_once(
    bot: Harness, graph: GraphEmulator
):
    campaign_id, ids = scheduled_campaign(bot)
    graph.inject(Fault(code=200, path_contains=f"/{ids[0]}", method="POST"))

    assert activate_due(bot.context, now=bot.clock.set(local(DAY, "20:00"))) == 0

    assert statuses(graph, ids)[0] == "PAUSED"
    assert row_status(bot, campaign_id) == Status.ACTIVATION_FAILED
    [failed] = bot.notifier.sent
    assert failed.kind == "activation_failed"
    assert failed.detail is not None
    assert failed.detail.startswith("Activation stopped while setting the campaign ACTIVE")
    assert "Requires ads_management permission" in failed.detail and "code 200" in failed.detail


@pytest.mark.parametrize("code", [341, 368])
def test_what_meta_says_to_wait_out_postpones_the_activation_instead_of_failing_it(
    bot: Harness, graph: GraphEmulator, code: int
):
    """341 and 368 are "wait and retry the operation" in Meta's error guide."""
    campaign_id, ids = scheduled_campaign(bot)
    fault = graph.inject(Fault(code=code, path_contains=f"/{ids[0]}", method="POST"))

    due = bot.clock.set(local(DAY, "20:00"))
    assert activate_due(bot.context, now=due) == 0

    assert fault.fired == 1
    row = bot.services.store.get(campaign_id)
    assert row is not None and row.status == Status.SCHEDULED
    assert (
        row.error and row.error.startswith("Activation postponed") and f"code {code}" in row.error
    )
    assert bot.notifier.kinds() == ["start_delayed"]  # due now: any wait is past the start
    assert row.activate_at is not None and row.activate_at.replace(tzinfo=due.tzinfo) > due
    # Meta's wait: its rate-limit headers' if it sent them, else AdBee's default minute.
    retry_at = row.activate_at.replace(tzinfo=due.tzinfo)
    assert activate_due(bot.context, now=bot.clock.set(retry_at)) == 1
    assert statuses(graph, ids) == ["ACTIVE"] * 3
    assert bot.notifier.kinds() == ["start_delayed", "live"]


def test_meta_failing_for_too_long_ends_in_one_failure_alert(bot: Harness, graph: GraphEmulator):
    campaign_id, ids = scheduled_campaign(bot)
    graph.inject(Fault(code=2, times=None, path_contains=f"/{ids[2]}", method="POST"))

    bot.clock.set(local(DAY, "20:00"))
    for _ in range(MAX_POSTPONEMENTS + 1):
        assert activate_due(bot.context, now=bot.clock()) == 0
        bot.clock.advance(minutes=1, seconds=1)

    assert row_status(bot, campaign_id) == Status.ACTIVATION_FAILED
    assert statuses(graph, ids) == ["PAUSED"] * 3
    # Told once that the start is late (not at each of its retries), then once that it failed.
    assert bot.notifier.kinds() == ["start_delayed", "activation_failed"]
    assert "Meta kept failing" in (bot.notifier.sent[1].detail or "")
    postponed = [
        e
        for e in bot.services.store.audit_events(campaign_id=campaign_id)
        if e.action == "activation_postponed"
    ]
    assert len(postponed) == MAX_POSTPONEMENTS


def test_a_switch_whose_answer_was_lost_is_read_from_meta_before_anything_is_sent_again(
    bot: Harness, graph: GraphEmulator
):
    """Meta applied the ad's status=ACTIVE inside the batch, but its answer never came back
    (null): the switch is not sent blind a second time; Meta's state is read and only the ad set
    and the campaign, still paused there, are switched on."""
    campaign_id, ids = scheduled_campaign(bot)
    ad_id = ids[2]
    lost = graph.inject(
        Fault(drop_connection=True, times=1, path_contains=f"/{ad_id}", method="POST")
    )

    assert activate_due(bot.context, now=bot.clock.set(local(DAY, "20:00"))) == 1

    assert lost.fired == 1
    assert statuses(graph, ids) == ["ACTIVE"] * 3
    assert [meta_status_posts(graph, i) for i in ids] == [1, 1, 1]
    assert bot.notifier.kinds() == ["live"]
    assert row_status(bot, campaign_id) == Status.ACTIVE
