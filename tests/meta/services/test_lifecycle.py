"""Approval to live: scheduling, activation at the due time, downtime, cancel and reschedule.

Real services over SQLite and the Graph API emulator as Meta; time is a fake clock passed to
``jobs.activation.activate_due`` (what the scan job runs), so nothing sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from jobs.activation import activate_due
from meta.domain.access import NotAllowedError
from meta.domain.errors import MetaTransportError
from meta.domain.states import Status
from meta.services.lifecycle import InvalidTransitionError
from sandbox.graph_emulator import GraphEmulator
from tests.campaign_harness import (
    APPROVER,
    OTHER_TEAM_APPROVER,
    OUTSIDER,
    REQUESTER,
    FakeClock,
    Harness,
    build_harness,
    local,
    meta_status_posts,
    soon_day,
)
from tests.media import distinct_copy
from tests.store_fixtures import set_columns

DAY = soon_day()
ARM_AHEAD = timedelta(minutes=30)  # ARM_AHEAD_MINUTES' default
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'adbee.db'}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(local(DAY, "13:50"))


@pytest.fixture
def bot(db_url: str, graph: GraphEmulator, clock: FakeClock) -> Iterator[Harness]:
    graph.ad_review_seconds = 0  # review outcomes are the status sync's story
    harness = build_harness(db_url, graph, clock)
    yield harness
    harness.close()


def meta_statuses(graph: GraphEmulator, bot: Harness, campaign_id: int) -> list[str]:
    row = bot.services.store.get(campaign_id)
    assert row is not None
    ids = (row.meta_campaign_id, row.adset_id, row.ad_id)
    return [str(graph.get_object(str(i))["status"]) for i in ids]  # type: ignore[index]


def activation_posts(graph: GraphEmulator, bot: Harness, campaign_id: int) -> list[int]:
    row = bot.services.store.get(campaign_id)
    assert row is not None
    ids = (row.meta_campaign_id, row.adset_id, row.ad_id)
    return [meta_status_posts(graph, str(i)) for i in ids]


def test_approved_campaign_goes_live_at_its_start_time_once(bot: Harness, graph, clock):
    campaign_id = bot.create(start=local(DAY, "20:00"))
    clock.set(local(DAY, "14:00"))

    summary = bot.lifecycle.approve(campaign_id, APPROVER)

    assert summary.activate_at == datetime(DAY.year, DAY.month, DAY.day, 12, 0, tzinfo=UTC)
    assert summary.status == Status.SCHEDULED and summary.approved_by == APPROVER.user_id
    # Armed ARM_AHEAD_MINUTES (30) ahead: the date job fires at 19:30.
    assert bot.schedule_calls == [(campaign_id, local(DAY, "19:30"))]

    assert activate_due(bot.context, now=clock.set(local(DAY, "19:29"))) == 0
    assert meta_statuses(graph, bot, campaign_id) == ["PAUSED"] * 3
    assert bot.notifier.sent == []

    # 19:30: ACTIVE in Meta, its ad set's start_time (20:00) holding delivery back.
    assert activate_due(bot.context, now=clock.set(local(DAY, "19:30"))) == 1
    assert meta_statuses(graph, bot, campaign_id) == ["ACTIVE"] * 3
    armed = bot.services.store.get(campaign_id)
    assert armed is not None and armed.status == Status.ARMED
    adset = graph.get_object(str(armed.adset_id))
    assert adset is not None and float(adset["start_time"]) == local(DAY, "20:00").timestamp()
    assert bot.schedule_calls[-1] == (campaign_id, local(DAY, "20:00"))  # the check at the start
    assert bot.notifier.sent == []
    assert activate_due(bot.context, now=clock.set(local(DAY, "19:59"))) == 0

    # 20:00: Meta started delivery itself; AdBee reads it back and tells the channel.
    assert activate_due(bot.context, now=clock.set(local(DAY, "20:00"))) == 1
    assert meta_statuses(graph, bot, campaign_id) == ["ACTIVE"] * 3
    row = bot.services.store.get(campaign_id)
    assert row is not None and row.status == Status.ACTIVE
    assert row.activated_at is not None
    assert row.activated_at.replace(tzinfo=UTC) == local(DAY, "20:00")
    assert row.last_sync and row.last_sync["campaign"] == "ACTIVE"  # read back from Meta
    [live] = bot.notifier.sent
    assert live.kind == "live"
    assert live.summary is not None and live.summary.name == "AINOTE2 launch SG"
    assert "adsmanager.facebook.com" in live.summary.ads_manager_url
    assert live.detail is not None and live.detail.startswith("Campaign ACTIVE, ad set ACTIVE")

    # The job firing again, or the scan running on, changes nothing.
    assert bot.lifecycle.activate(campaign_id, now=clock.advance(seconds=5)) is False
    assert activate_due(bot.context, now=clock.advance(minutes=1)) == 0
    assert activation_posts(graph, bot, campaign_id) == [1, 1, 1]
    assert bot.notifier.kinds() == ["live"]


def test_every_ad_of_a_several_video_campaign_goes_live(bot: Harness, graph, clock, tmp_path):
    videos = []
    for name in ("cut-a.mp4", "cut-b.mp4"):
        distinct_copy(ROOT / "creatives" / "ainote2.mp4", tmp_path / name)
        videos.append(str(tmp_path / name))
    campaign_id = bot.create(start=local(DAY, "20:00"), videos=videos)
    clock.set(local(DAY, "14:00"))
    summary = bot.lifecycle.approve(campaign_id, APPROVER)
    assert [ad.video_name for ad in summary.ads] == ["cut-a.mp4", "cut-b.mp4"]

    assert activate_due(bot.context, now=clock.set(local(DAY, "20:00"))) == 1

    ads = graph.objects("ad")
    assert len(ads) == 2
    assert [graph.get_object(str(ad["id"]))["status"] for ad in ads] == ["ACTIVE", "ACTIVE"]
    assert [meta_status_posts(graph, str(ad["id"])) for ad in ads] == [1, 1]


def test_start_already_past_at_approval_activates_at_once_and_is_not_late(bot: Harness, clock):
    campaign_id = bot.create(start=local(DAY, "20:00"))
    approved_at = clock.set(local(DAY, "20:30"))

    summary = bot.lifecycle.approve(campaign_id, APPROVER)

    # Lateness is measured from activate_at, which is the approval time here: "at once".
    assert summary.activate_at == approved_at
    assert bot.schedule_calls == [(campaign_id, approved_at - ARM_AHEAD)]  # fires at once
    assert activate_due(bot.context, now=clock.advance(seconds=30)) == 1
    assert bot.notifier.kinds() == ["live"]
    assert "late" not in (bot.notifier.sent[0].detail or "")


def test_bot_down_at_start_time_activates_on_restart_and_says_how_late(
    db_url: str, graph: GraphEmulator, clock: FakeClock
):
    first = build_harness(db_url, graph, clock, worker_id="process-1")
    campaign_id = first.create(start=local(DAY, "20:00"))
    clock.set(local(DAY, "14:00"))
    first.lifecycle.approve(campaign_id, APPROVER)
    first.close()  # the bot goes down before 20:00

    clock.set(local(DAY, "20:45"))
    second = build_harness(db_url, graph, clock, worker_id="process-2")  # a new process
    try:
        assert second.lifecycle.scheduled() == [(campaign_id, local(DAY, "19:30"))]
        assert activate_due(second.context) == 1  # the start-up scan
        assert activate_due(second.context) == 0
        [alert] = second.notifier.sent
        assert alert.kind == "live_late"
        assert alert.detail is not None and alert.detail.startswith("late by 45 minutes")
        assert "20:00 SGT" in alert.detail
        assert activation_posts(graph, second, campaign_id) == [1, 1, 1]
    finally:
        second.close()


def test_cancelled_campaign_is_not_activated_and_reschedule_activates_later(
    bot: Harness, graph, clock
):
    campaign_id = bot.create(start=local(DAY, "20:00"))
    clock.set(local(DAY, "14:00"))
    bot.lifecycle.approve(campaign_id, APPROVER)

    summary = bot.lifecycle.cancel(campaign_id, APPROVER)
    assert summary.status == Status.CANCELLED and summary.activate_at is None
    assert bot.schedule_calls[-1] == (campaign_id, None)
    assert activate_due(bot.context, now=clock.set(local(DAY, "20:00"))) == 0
    assert meta_statuses(graph, bot, campaign_id) == ["PAUSED"] * 3

    summary = bot.lifecycle.reschedule(campaign_id, APPROVER, f"{DAY.isoformat()} 22:00")
    assert summary.status == Status.SCHEDULED
    assert summary.activate_at == local(DAY, "22:00")
    assert bot.schedule_calls[-1] == (campaign_id, local(DAY, "21:30"))
    assert activate_due(bot.context, now=clock.set(local(DAY, "21:29"))) == 0
    assert activate_due(bot.context, now=clock.set(local(DAY, "21:30"))) == 1  # armed
    assert activate_due(bot.context, now=clock.set(local(DAY, "22:00"))) == 1  # live
    assert meta_statuses(graph, bot, campaign_id) == ["ACTIVE"] * 3
    assert bot.notifier.kinds() == ["live"]

    actions = [(e.actor, e.action, e.outcome) for e in bot.services.store.audit_events()]
    assert (APPROVER.user_id, "approve", "ok") in actions
    assert (APPROVER.user_id, "cancel", "ok") in actions
    assert (APPROVER.user_id, "reschedule", "ok") in actions


def delivered(graph: GraphEmulator, bot: Harness, campaign_id: int) -> int:
    """Impressions Meta reports for the campaign so far (the emulator's delivery model)."""
    row = bot.services.store.get(campaign_id)
    assert row is not None
    body = bot.graph.get(f"{row.meta_campaign_id}/insights", {"fields": "impressions"})
    return sum(int(day.get("impressions", 0)) for day in body.get("data", []))


def test_an_armed_campaign_cancelled_before_its_start_is_paused_and_never_delivers(
    bot: Harness, graph: GraphEmulator, clock: FakeClock
):
    campaign_id = bot.create(start=local(DAY, "20:00"))
    clock.set(local(DAY, "19:45"))
    bot.lifecycle.approve(campaign_id, APPROVER)  # within 30 minutes of the start: armed now
    assert activate_due(bot.context, now=clock.now) == 1
    armed = bot.services.store.get(campaign_id)
    assert armed is not None and armed.status == Status.ARMED
    assert meta_statuses(graph, bot, campaign_id) == ["ACTIVE"] * 3
    assert graph.get_object(str(armed.adset_id))["effective_status"] == "ACTIVE"  # type: ignore[index]

    summary = bot.lifecycle.cancel(campaign_id, APPROVER)

    assert summary.status == Status.CANCELLED
    assert meta_statuses(graph, bot, campaign_id)[0] == "PAUSED"  # the campaign, paused again
    row = bot.services.store.get(campaign_id)
    assert row is not None and "_disarm" not in (row.last_sync or {})
    assert activate_due(bot.context, now=clock.set(local(DAY, "20:30"))) == 0
    assert delivered(graph, bot, campaign_id) == 0
    assert bot.notifier.sent == []


def test_an_armed_campaign_rescheduled_starts_at_the_new_time_in_meta(
    bot: Harness, graph: GraphEmulator, clock: FakeClock
):
    campaign_id = bot.create(start=local(DAY, "20:00"))
    clock.set(local(DAY, "19:40"))
    bot.lifecycle.approve(campaign_id, APPROVER)
    assert activate_due(bot.context, now=clock.now) == 1  # armed for 20:00

    bot.lifecycle.reschedule(campaign_id, APPROVER, f"{DAY.isoformat()} 20:10")

    assert activate_due(bot.context, now=clock.advance(seconds=1)) == 1  # armed again, for 20:10
    row = bot.services.store.get(campaign_id)
    assert row is not None and row.status == Status.ARMED
    adset = graph.get_object(str(row.adset_id))
    assert adset is not None and float(adset["start_time"]) == local(DAY, "20:10").timestamp()
    clock.set(local(DAY, "20:05"))
    assert delivered(graph, bot, campaign_id) == 0  # the old start passed: nothing delivered
    assert activate_due(bot.context, now=clock.set(local(DAY, "20:10"))) == 1
    assert bot.notifier.kinds() == ["live"]


def test_reschedule_into_the_past_is_refused(bot: Harness, clock):
    campaign_id = bot.create(start=local(DAY, "20:00"))
    bot.lifecycle.approve(campaign_id, APPROVER)
    with pytest.raises(InvalidTransitionError, match="in the past"):
        bot.lifecycle.reschedule(campaign_id, APPROVER, f"{DAY.isoformat()} 09:00")


@pytest.mark.parametrize(
    ("actor", "why"),
    [
        (OUTSIDER, "only approvers"),
        (OTHER_TEAM_APPROVER, "only approvers"),
        (REQUESTER, "their own campaign"),
    ],
    ids=["not-an-approver", "approver-id-from-another-workspace", "requester-self-approval"],
)
def test_refused_decisions_change_nothing_and_are_audited(bot: Harness, actor, why):
    campaign_id = bot.create(start=local(DAY, "20:00"))

    with pytest.raises(NotAllowedError, match=why):
        bot.lifecycle.approve(campaign_id, actor)
    with pytest.raises(NotAllowedError):
        bot.lifecycle.activate_now(campaign_id, actor)

    row = bot.services.store.get(campaign_id)
    assert row is not None and row.status == Status.CREATED
    refused = [
        (e.actor, e.action, e.outcome)
        for e in bot.services.store.audit_events(campaign_id=campaign_id)
    ]
    assert refused == [
        (actor.user_id, "approve", "refused"),
        (actor.user_id, "activate", "refused"),
    ]


@pytest.mark.parametrize("verb", ["cancel", "pause", "resume"])
def test_non_approvers_cannot_cancel_pause_or_resume(bot: Harness, clock, verb):
    campaign_id = bot.create(start=local(DAY, "20:00"))
    bot.lifecycle.approve(campaign_id, APPROVER)
    with pytest.raises(NotAllowedError, match="only approvers"):
        getattr(bot.lifecycle, verb)(campaign_id, OUTSIDER)
    with pytest.raises(NotAllowedError):
        bot.lifecycle.reschedule(campaign_id, OUTSIDER, f"{DAY.isoformat()} 21:00")
    row = bot.services.store.get(campaign_id)
    assert row is not None and row.status == Status.SCHEDULED
    outcomes = [
        (e.actor, e.outcome)
        for e in bot.services.store.audit_events(campaign_id=campaign_id)
        if e.actor == OUTSIDER.user_id
    ]
    assert outcomes == [(OUTSIDER.user_id, "refused")] * 2


def test_activate_now_pause_and_resume_are_audited_and_reach_meta(bot: Harness, graph, clock):
    campaign_id = bot.create(start=local(DAY, "20:00"))
    bot.lifecycle.approve(campaign_id, APPROVER)

    summary = bot.lifecycle.activate_now(campaign_id, APPROVER)
    assert summary.status == Status.ACTIVE
    assert summary.activated_at == clock()
    assert meta_statuses(graph, bot, campaign_id) == ["ACTIVE"] * 3

    assert bot.lifecycle.pause(campaign_id, APPROVER).status == Status.PAUSED
    assert meta_statuses(graph, bot, campaign_id)[0] == "PAUSED"
    assert bot.lifecycle.resume(campaign_id, APPROVER).status == Status.ACTIVE
    assert meta_statuses(graph, bot, campaign_id)[0] == "ACTIVE"

    # Our own pause and resume are not news for the status sync.
    bot.sync.sync_all()
    assert [a.kind for a in bot.alerts()] == ["live"]
    actions = [e.action for e in bot.services.store.audit_events(campaign_id=campaign_id)]
    assert actions == ["approve", "activate", "activated", "paused", "active"]


def _nth_sunday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))


def test_reschedule_uses_the_account_timezone_and_refuses_dst_gaps(bot: Harness):
    campaign_id = bot.create(start=local(DAY, "20:00"))
    bot.lifecycle.approve(campaign_id, APPROVER)
    set_columns(bot.services.store, campaign_id, account_key="iflytek-us")  # America/Los_Angeles
    year = DAY.year + 1
    spring, autumn = _nth_sunday(year, 3, 2), _nth_sunday(year, 11, 1)

    with pytest.raises(InvalidTransitionError, match="does not exist"):
        bot.lifecycle.reschedule(campaign_id, APPROVER, f"{spring} 02:30")
    with pytest.raises(InvalidTransitionError, match="happens twice"):
        bot.lifecycle.reschedule(campaign_id, APPROVER, f"{autumn} 01:30")

    summer = bot.lifecycle.reschedule(campaign_id, APPROVER, f"{spring} 09:00")
    assert summer.activate_at == datetime(year, 3, spring.day, 16, 0, tzinfo=UTC)  # PDT
    winter = bot.lifecycle.reschedule(campaign_id, APPROVER, f"{autumn} 09:00")
    assert winter.activate_at == datetime(year, 11, autumn.day, 17, 0, tzinfo=UTC)  # PST


def test_a_lost_batch_answer_while_arming_is_read_back_at_once_and_nothing_is_doubled(
    bot: Harness, graph: GraphEmulator, clock: FakeClock
):
    """Meta applied the switches of a batch request whose answer never came back: what Meta
    shows is read before anything is sent again, so the campaign is armed without a second
    status write (it used to be postponed to its start and adopted then)."""
    campaign_id = bot.create(start=local(DAY, "20:00"))
    clock.set(local(DAY, "14:00"))
    bot.lifecycle.approve(campaign_id, APPROVER)
    real_post = bot.graph.post

    def post(path: str, params: dict, **kwargs: object) -> dict:
        answer = real_post(path, params, **kwargs)
        if path == "" and '"status=ACTIVE' in str(params.get("batch")) and not lost:
            lost.append(True)  # the writes went through; the connection dropped on the way back
            raise MetaTransportError("Lost the connection to Meta (test)")
        return answer

    lost: list[bool] = []
    bot.graph.post = post  # type: ignore[method-assign]

    assert activate_due(bot.context, now=clock.set(local(DAY, "19:30"))) == 1
    row = bot.services.store.get(campaign_id)
    assert lost and row is not None and row.status == Status.ARMED, row
    assert row.activate_at == local(DAY, "20:00")  # the start does not move
    assert meta_statuses(graph, bot, campaign_id) == ["ACTIVE"] * 3  # Meta did apply them
    assert activation_posts(graph, bot, campaign_id) == [1, 1, 1]

    # At the start: reads only.
    assert activate_due(bot.context, now=clock.set(local(DAY, "20:00"))) == 1
    assert activation_posts(graph, bot, campaign_id) == [1, 1, 1]
    assert bot.notifier.kinds() == ["live"]
