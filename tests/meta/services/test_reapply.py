"""Drift watch and re-apply against the Graph emulator: once per drift, never two new creatives."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from meta.domain.access import NotAllowedError
from meta.domain.errors import AdBeeError
from meta.domain.records import ObjectKind, ObjectRef
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
from tests.media import distinct_copy, make_test_image

DAY = soon_day()
ROOT = Path(__file__).resolve().parents[3]


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
    assert "known" in bot.services.store.get(campaign_id).last_sync[REAPPLY_KEY]["ads"]["main"]
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


def two_videos_and_an_image_pair(bot: Harness, folder: Path) -> int:
    """Three ads: cut-a.mp4, cut-b.mp4 and the hero_9x16.jpg + hero_4x5.jpg placement pair."""
    videos = [
        str(distinct_copy(ROOT / "creatives" / "ainote2.mp4", folder / name))
        for name in ("cut-a.mp4", "cut-b.mp4")
    ]
    make_test_image(folder / "hero_9x16.jpg", width=720, height=1280)
    make_test_image(folder / "hero_4x5.jpg", width=1080, height=1350, colour=(20, 90, 230))
    return bot.create(
        start=local(DAY, "20:00"),
        videos=videos,
        images=[str(folder / "hero_9x16.jpg"), str(folder / "hero_4x5.jpg")],
    )


def creatives_of(bot: Harness, campaign_id: int) -> dict[str, str]:
    row = bot.services.store.get(campaign_id)
    return {ad.key: str(row.creative_of(ad.key)) for ad in row.remaining_ads}


def test_each_ad_of_several_is_watched_and_only_the_drifted_ones_are_remade_once(
    bot, graph, tmp_path
):
    """Meta enrols ads 2 and 3 in multi-advertiser ads and someone changes ad 3's url_tags: one
    alert saying which ad shows what; the re-apply remakes ads 2 and 3 from their own approved
    requests (ad 3's is its placement pair's asset_feed_spec), ad 1 keeps its creative. A lost
    answer and a refused switch on the way are finished by the next click, nothing doubled."""
    campaign_id = two_videos_and_an_image_pair(bot, tmp_path)
    before = creatives_of(bot, campaign_id)
    assert list(before) == ["main", "2", "3"]
    created = bot.services.store.get(campaign_id).last_sync
    assert {k: c["id"] for k, c in created["ad_creatives"].items()} == before  # the first look
    assert DRIFT_KEY not in created
    graph.flip_enhancement_on(before["2"], multi_advertiser=True)
    graph.flip_enhancement_on(before["3"], multi_advertiser=True)
    approved_tags = graph.get_object(before["3"])["url_tags"]
    graph.edit_object(before["3"], url_tags="utm_source=someone_else")
    bot.sync.sync(campaign_id)
    bot.sync.sync(campaign_id)

    (alert,) = drift_alerts(bot)
    assert alert.payload["detail"].split("\n") == [
        "ads 2, 3: multi-advertiser ads: approved OPT_OUT, Meta shows OPT_IN",
        f"ad 3: url_tags: approved {approved_tags}, Meta shows utm_source=someone_else",
    ]
    with pytest.raises(InvalidTransitionError, match="re-apply the approved settings first"):
        bot.lifecycle.approve(campaign_id, APPROVER)

    # Ad 2's new creative is made but Meta's answer is lost; the first click stops there.
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
    markers = bot.services.store.get(campaign_id).last_sync[REAPPLY_KEY]["ads"]
    assert list(markers) == ["2"] and "known" in markers["2"]
    # The second click adopts ad 2's creative, switches ad 2, makes ad 3's, and Meta refuses
    # ad 3's switch once: ad 2 is done, ad 3 waits with its creative made.
    ad3 = bot.services.store.get(campaign_id).meta_id(ObjectRef(ObjectKind.AD, "3"))
    graph.inject(
        Fault(
            code=100,
            message="Invalid parameter",
            times=1,
            path_contains=f"/{ad3}",
            method="POST",
            validate_only=False,
        )
    )
    with pytest.raises(InvalidTransitionError, match="Meta refused"):
        bot.lifecycle.reapply(campaign_id, APPROVER)
    middle = creatives_of(bot, campaign_id)
    assert middle["main"] == before["main"] and middle["2"] != before["2"]
    assert middle["3"] == before["3"]
    assert "creative_id" in bot.services.store.get(campaign_id).last_sync[REAPPLY_KEY]["ads"]["3"]

    summary = bot.lifecycle.reapply(campaign_id, APPROVER)

    after = creatives_of(bot, campaign_id)
    assert after["main"] == before["main"] and after["2"] == middle["2"]
    new = {c["id"]: c for c in graph.objects("adcreative") if c["id"] not in before.values()}
    assert set(new) == {after["2"], after["3"]}, "one new creative per drifted ad"
    for key in ("2", "3"):
        old, made = graph.get_object(before[key]), new[after[key]]
        assert made["name"] == old["name"]
        assert made["contextual_multi_ads"] == {"enroll_status": "OPT_OUT"}
    assert new[after["3"]]["url_tags"] == approved_tags
    assert "asset_feed_spec" in new[after["3"]]  # the pair's two images, as approved
    row = bot.services.store.get(campaign_id)
    for key in ("2", "3"):
        ad = graph.get_object(str(row.meta_id(ObjectRef(ObjectKind.AD, key))))
        assert ad["creative_id"] == after[key]
    assert DRIFT_KEY not in row.last_sync and REAPPLY_KEY not in row.last_sync
    assert summary.drift == ()
    outcomes = [
        e.outcome
        for e in bot.services.store.audit_events(campaign_id=campaign_id)
        if e.action == "reapply"
    ]
    assert outcomes == ["failed", "ok"]
    bot.sync.sync(campaign_id)
    assert len(drift_alerts(bot)) == 1
    assert bot.lifecycle.approve(campaign_id, APPROVER).status == "scheduled"


def test_a_rejected_ad_is_not_watched_and_the_first_left_is_compared_with_its_own_request(
    bot, graph, tmp_path
):
    campaign_id = two_videos_and_an_image_pair(bot, tmp_path)
    before = creatives_of(bot, campaign_id)
    bot.lifecycle.reject_ad(campaign_id, APPROVER, 1)
    graph.edit_object(before["2"], url_tags="x=1")
    bot.sync.sync(campaign_id)
    (alert,) = drift_alerts(bot)
    assert alert.payload["detail"].startswith("ad 2: url_tags: approved ")
    bot.lifecycle.reapply(campaign_id, APPROVER)
    after = creatives_of(bot, campaign_id)
    assert list(after) == ["2", "3"] and after["2"] != before["2"]
    assert after["3"] == before["3"]


def test_a_flexible_ads_creative_is_remade_and_its_switch_carries_the_approved_groups(
    bot, graph, tmp_path
):
    videos = [
        str(distinct_copy(ROOT / "creatives" / "ainote2.mp4", tmp_path / name))
        for name in ("cut-a.mp4", "cut-b.mp4")
    ]
    campaign_id = bot.create(start=local(DAY, "20:00"), videos=videos, creative_mode="flexible")
    row = bot.services.store.get(campaign_id)
    approved_groups = graph.get_object(row.ad_id)["creative_asset_groups_spec"]
    graph.flip_enhancement_on(row.creative_id, multi_advertiser=True)
    bot.sync.sync(campaign_id)
    (alert,) = drift_alerts(bot)
    assert alert.payload["detail"] == (
        "multi-advertiser ads: approved OPT_OUT, Meta shows OPT_IN"  # one ad: no ad number
    )
    graph.clear_requests()

    summary = bot.lifecycle.reapply(campaign_id, APPROVER)

    assert summary.creative_id != row.creative_id
    (switch,) = [
        r
        for r in graph.requests
        if r.method == "POST"
        and r.path.endswith(f"/{row.ad_id}")
        and "validate_only" not in r.params.get("execution_options", "")
    ]
    sent = json.loads(switch.params["creative_asset_groups_spec"])
    requested = bot.services.store.get(campaign_id).last_sync["_requests"]["ad"]
    assert sent == requested["creative_asset_groups_spec"]
    ad = graph.get_object(row.ad_id)
    assert ad["creative_id"] == summary.creative_id
    assert [v["video_id"] for v in ad["creative_asset_groups_spec"]["groups"][0]["videos"]] == [
        v["video_id"] for v in approved_groups["groups"][0]["videos"]
    ]
    assert summary.drift == ()
