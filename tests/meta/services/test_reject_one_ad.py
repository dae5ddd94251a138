"""Bob rejects one ad of a campaign of three and approves the rest: the rejected ad and its
creative are deleted in Meta (its video stays: uploads are shared by content), the others go
live; the last ad cannot be rejected alone.

Real services over SQLite and the Graph API emulator as Meta; a fake clock, nothing sleeps.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobs.activation import activate_due
from meta.domain.access import NotAllowedError
from meta.domain.records import ObjectKind, ObjectStatus
from meta.domain.states import Status
from meta.services.lifecycle import InvalidTransitionError
from sandbox.graph_emulator import Fault, GraphEmulator
from tests.campaign_harness import (
    APPROVER,
    OUTSIDER,
    REQUESTER,
    FakeClock,
    Harness,
    build_harness,
    local,
    meta_status_posts,
    soon_day,
)

DAY = soon_day()
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def bot(tmp_path: Path, graph: GraphEmulator) -> Iterator[Harness]:
    graph.ad_review_seconds = 0
    harness = build_harness(
        f"sqlite:///{tmp_path / 'adbee.db'}", graph, FakeClock(local(DAY, "13:50"))
    )
    yield harness
    harness.close()


def three_ads(bot: Harness, folder: Path) -> int:
    videos = []
    for name in ("cut-a.mp4", "cut-b.mp4", "cut-c.mp4"):
        shutil.copyfile(ROOT / "creatives" / "ainote2.mp4", folder / name)
        videos.append(str(folder / name))
    return bot.create(start=local(DAY, "20:00"), videos=videos)


def live_ids(graph: GraphEmulator, kind: str) -> set[str]:
    return {str(o["id"]) for o in graph.objects(kind)}


def test_rejecting_one_ad_deletes_it_with_its_creative_and_the_rest_go_live(
    bot: Harness, graph, tmp_path
):
    campaign_id = three_ads(bot, tmp_path)
    row = bot.services.store.get(campaign_id)
    second = {o.kind: o for o in row.objects if o.key == "2"}

    summary = bot.lifecycle.reject_ad(campaign_id, APPROVER, 2)

    assert summary.status == Status.CREATED
    assert [ad.rejected_by for ad in summary.ads] == [None, APPROVER.user_id, None]
    assert second[ObjectKind.AD].meta_id not in live_ids(graph, "ad")
    assert second[ObjectKind.CREATIVE].meta_id not in live_ids(graph, "adcreative")
    assert len(graph.objects("ad")) == 2 and len(graph.objects("campaign")) == 1
    row = bot.services.store.get(campaign_id)
    for kind in (ObjectKind.AD, ObjectKind.CREATIVE):
        (obj,) = [o for o in row.objects if o.kind == kind and o.key == "2"]
        assert obj.status == ObjectStatus.REJECTED, kind
    assert second[ObjectKind.VIDEO].meta_id in live_ids(graph, "advideo")  # kept: it cannot spend
    (audit,) = [
        e
        for e in bot.services.store.audit_events(campaign_id=campaign_id)
        if e.action == "reject_ad"
    ]
    assert (audit.actor, audit.outcome, audit.detail) == (
        APPROVER.user_id,
        "ok",
        "ad 2 (cut-b.mp4)",
    )

    bot.lifecycle.approve(campaign_id, APPROVER)
    assert activate_due(bot.context, now=local(DAY, "20:00")) == 1
    ads = graph.objects("ad")
    assert [graph.get_object(str(ad["id"]))["status"] for ad in ads] == ["ACTIVE", "ACTIVE"]
    assert [meta_status_posts(graph, str(ad["id"])) for ad in ads] == [1, 1]


def test_rejecting_the_first_ad_keeps_the_others_going_live(bot: Harness, graph, tmp_path):
    campaign_id = three_ads(bot, tmp_path)
    first_ad = bot.services.store.get(campaign_id).ad_id

    bot.lifecycle.reject_ad(campaign_id, APPROVER, 1)

    row = bot.services.store.get(campaign_id)
    assert row.first_ad_key == "2" and row.ad_id != first_ad  # "the ad" is now ad 2
    bot.lifecycle.approve(campaign_id, APPROVER)
    assert activate_due(bot.context, now=local(DAY, "20:00")) == 1
    assert bot.services.store.get(campaign_id).status == Status.ACTIVE
    ads = graph.objects("ad")
    assert [graph.get_object(str(a["id"]))["status"] for a in ads] == ["ACTIVE", "ACTIVE"]
    assert [meta_status_posts(graph, str(a["id"])) for a in ads] == [1, 1]  # each once


def test_the_last_ad_left_is_refused_and_rejecting_twice_says_so(bot: Harness, graph, tmp_path):
    campaign_id = three_ads(bot, tmp_path)
    bot.lifecycle.reject_ad(campaign_id, APPROVER, 1)
    bot.lifecycle.reject_ad(campaign_id, APPROVER, 3)
    with pytest.raises(InvalidTransitionError, match="already rejected by <@UAPPROVER>"):
        bot.lifecycle.reject_ad(campaign_id, APPROVER, 3)
    with pytest.raises(InvalidTransitionError, match=r"last ad .*Reject the campaign instead"):
        bot.lifecycle.reject_ad(campaign_id, APPROVER, 2)
    assert len(graph.objects("ad")) == 1
    with pytest.raises(InvalidTransitionError, match="has no ad 7"):
        bot.lifecycle.reject_ad(campaign_id, APPROVER, 7)


def test_who_and_when_follow_the_approval_rules(bot: Harness, graph, tmp_path):
    campaign_id = three_ads(bot, tmp_path)
    with pytest.raises(NotAllowedError, match="only approvers"):
        bot.lifecycle.reject_ad(campaign_id, OUTSIDER, 2)
    with pytest.raises(NotAllowedError, match="requesters may not"):
        bot.lifecycle.reject_ad(campaign_id, REQUESTER, 2)  # an approver, but its requester
    bot.lifecycle.approve(campaign_id, APPROVER)
    with pytest.raises(InvalidTransitionError, match="while the campaign awaits approval"):
        bot.lifecycle.reject_ad(campaign_id, APPROVER, 2)
    assert len(graph.objects("ad")) == 3
    refused = [
        e
        for e in bot.services.store.audit_events(campaign_id=campaign_id)
        if e.outcome == "refused"
    ]
    assert [e.action for e in refused] == ["reject ad 2 of", "reject ad 2 of"]


def test_a_delete_meta_does_not_answer_is_finished_by_the_next_click(bot: Harness, graph, tmp_path):
    campaign_id = three_ads(bot, tmp_path)
    ad_id = next(
        o.meta_id
        for o in bot.services.store.get(campaign_id).objects
        if o.kind == "ad" and o.key == "2"
    )
    graph.inject(
        Fault(
            method="DELETE",
            path_contains=str(ad_id),
            code=200,
            message="Permissions error",
            times=1,
        )
    )

    with pytest.raises(Exception, match="click Reject ad again"):
        bot.lifecycle.reject_ad(campaign_id, APPROVER, 2)
    row = bot.services.store.get(campaign_id)
    # Out of the campaign at once: never switched on, though Meta still has it.
    assert [ad.key for ad in row.remaining_ads] == ["main", "3"]
    assert ad_id in live_ids(graph, "ad")

    # Approved meanwhile: the ad half rejected is never switched on...
    bot.lifecycle.approve(campaign_id, APPROVER)
    assert activate_due(bot.context, now=local(DAY, "20:00")) == 1
    assert graph.get_object(str(ad_id))["status"] == "PAUSED"
    assert meta_status_posts(graph, str(ad_id)) == 0
    # ...and the next click finishes its deletion, whatever the campaign's status.
    bot.lifecycle.reject_ad(campaign_id, APPROVER, 2)
    assert ad_id not in live_ids(graph, "ad")
    assert len(graph.objects("ad")) == 2
