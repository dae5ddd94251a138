"""Creative edits of a campaign of several ads, and edits that bring a new video or image.

Real services over SQLite and the Graph API emulator as Meta (which refuses a creative of a video
still processing, an edited creative, an ad of another account's creative).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from meta.domain.edits import EditField
from meta.domain.errors import MetaTransportError, ValidationError
from meta.domain.records import EditStatus, ObjectKind
from meta.services.edits import EditService
from sandbox.graph_emulator import Fault, GraphEmulator
from tests.campaign_harness import (
    APPROVER,
    POLICY,
    REQUESTER,
    ROOT,
    FakeClock,
    Harness,
    build_harness,
    local,
    soon_day,
)
from tests.media import distinct_copy, make_test_image

DAY = soon_day()
EXAMPLE = ROOT / "creatives" / "ainote2.mp4"


@pytest.fixture
def bot(tmp_path: Path, graph: GraphEmulator) -> Iterator[Harness]:
    graph.ad_review_seconds = 0
    harness = build_harness(
        f"sqlite:///{tmp_path / 'adbee.db'}", graph, FakeClock(local(DAY, "09:00"))
    )
    yield harness
    harness.close()


@pytest.fixture
def edits(bot: Harness) -> EditService:
    return bot.services.edits(POLICY)


def three_ads(bot: Harness, folder: Path) -> int:
    videos = [str(distinct_copy(EXAMPLE, folder / f"cut-{n}.mp4")) for n in "abc"]
    return bot.create(start=local(DAY, "20:00"), videos=videos)


def ad_creatives(graph: GraphEmulator) -> dict[str, str]:
    return {str(ad["id"]): str(ad["creative_id"]) for ad in graph.objects("ad")}


def message_of(graph: GraphEmulator, creative_id: str) -> str:
    creative = graph.get_object(creative_id)
    assert creative is not None
    return str(creative["object_story_spec"]["video_data"]["message"])


def test_a_text_edit_of_a_campaign_of_three_ads_gives_every_ad_a_new_creative(
    edits: EditService, bot: Harness, graph: GraphEmulator, tmp_path: Path
) -> None:
    campaign = three_ads(bot, tmp_path)
    before = ad_creatives(graph)
    done = edits.submit(
        campaign, {"primary_text": "Notes that write themselves."}, REQUESTER, source="test"
    )
    assert done.applied is not None and done.applied.status is EditStatus.APPLIED
    after = ad_creatives(graph)
    assert after.keys() == before.keys() and len(after) == 3
    for ad, creative in after.items():
        assert creative != before[ad], f"ad {ad} still shows its old creative"
        assert message_of(graph, creative) == "Notes that write themselves."
    # Each ad keeps its own video: the three new creatives show three videos.
    videos = {
        graph.get_object(c)["object_story_spec"]["video_data"]["video_id"]  # type: ignore[index]
        for c in after.values()
    }
    assert len(videos) == 3
    row = bot.services.store.get(campaign)
    assert row is not None
    assert {row.creative_of(ad.key) for ad in row.remaining_ads} == set(after.values())


def test_a_multi_ad_edit_stopped_half_way_is_reported_then_finished_once(
    edits: EditService, bot: Harness, graph: GraphEmulator, tmp_path: Path
) -> None:
    campaign = three_ads(bot, tmp_path)
    row = bot.services.store.get(campaign)
    assert row is not None
    third = row.remaining_ads[2].meta_id
    graph.inject(Fault(code=100, path_contains=f"/{third}", method="POST", validate_only=True))
    done = edits.submit(campaign, {"headline": "AINOTE 2 is in"}, REQUESTER, source="test")
    edit = done.applied
    assert edit is not None and edit.status is EditStatus.INCOMPLETE
    assert "switched:main" in edit.progress["done"] and "switched:2" in edit.progress["done"]
    assert "switched:3" not in edit.progress["done"]
    graph.clear_faults()
    finished = edits.apply(edit.id, actor=APPROVER.user_id)  # Finish
    assert finished.status is EditStatus.APPLIED
    assert len(graph.objects("adcreative")) == 6  # three old, three new: none made twice
    assert len(set(ad_creatives(graph).values())) == 3


def test_undo_of_a_half_applied_multi_ad_edit_points_every_ad_back(
    edits: EditService, bot: Harness, graph: GraphEmulator, tmp_path: Path
) -> None:
    campaign = three_ads(bot, tmp_path)
    before = ad_creatives(graph)
    row = bot.services.store.get(campaign)
    assert row is not None
    third = row.remaining_ads[2].meta_id
    graph.inject(Fault(code=100, path_contains=f"/{third}", method="POST", validate_only=True))
    edit = edits.submit(campaign, {"headline": "AINOTE 2 is in"}, REQUESTER, source="test").applied
    assert edit is not None and edit.status is EditStatus.INCOMPLETE
    graph.clear_faults()
    assert edits.undo(edit.id, APPROVER).status is EditStatus.UNDONE
    assert ad_creatives(graph) == before
    for new in edit.progress["creative_ids"].values():
        assert graph.get_object(new)["status"] == "DELETED"  # type: ignore[index]


def test_an_added_video_is_approved_then_becomes_a_new_ad_in_the_ad_set(
    edits: EditService, bot: Harness, graph: GraphEmulator, tmp_path: Path
) -> None:
    campaign = bot.create(start=local(DAY, "20:00"))
    bot.lifecycle.activate_now(campaign, APPROVER)
    cut = distinct_copy(EXAMPLE, tmp_path / "cut-b.mp4")
    done = edits.submit(campaign, {"add_video": str(cut)}, REQUESTER, source="test")
    assert done.applied is None and done.awaiting is not None  # a new creative: an approver's
    assert len(graph.objects("advideo")) == 1  # nothing sent before the approval
    applied = edits.approve(done.awaiting.id, APPROVER)
    assert applied.status is EditStatus.APPLIED, applied.error
    ads = graph.objects("ad")
    assert len(ads) == 2
    new = next(ad for ad in ads if str(ad["id"]) == applied.progress["new_ad_id"])
    assert new["status"] == "ACTIVE"  # the campaign is live: the new ad runs with the first
    assert len(graph.objects("advideo")) == 2
    row = bot.services.store.get(campaign)
    assert row is not None and len(row.remaining_ads) == 2
    assert row.creative_of(row.remaining_ads[1].key) == new["creative_id"]


def test_the_same_bytes_as_an_earlier_upload_are_not_uploaded_again(
    edits: EditService, bot: Harness, graph: GraphEmulator
) -> None:
    campaign = bot.create(start=local(DAY, "20:00"))
    done = edits.submit(campaign, {"add_video": str(EXAMPLE)}, REQUESTER, source="test")
    assert done.awaiting is not None
    applied = edits.approve(done.awaiting.id, APPROVER)
    assert applied.status is EditStatus.APPLIED, applied.error
    assert len(graph.objects("advideo")) == 1  # the account's copy of these bytes is reused
    assert len(graph.objects("ad")) == 2


def test_replacing_the_video_of_a_campaign_not_yet_live_swaps_the_ad_s_creative(
    edits: EditService, bot: Harness, graph: GraphEmulator, tmp_path: Path
) -> None:
    campaign = bot.create(start=local(DAY, "20:00"))
    row = bot.services.store.get(campaign)
    assert row is not None
    old_video, old_creative = row.video_id, row.creative_id
    cut = distinct_copy(EXAMPLE, tmp_path / "cut-v2.mp4")
    done = edits.submit(
        campaign, {"video": str(cut), "headline": "AINOTE 2 is in"}, REQUESTER, source="test"
    )
    # The headline fixes a text before going live (applied at once); the video waits.
    assert done.applied is not None and done.awaiting is not None
    assert EditService.plan(done.awaiting).fields == {EditField.VIDEO}
    applied = edits.approve(done.awaiting.id, APPROVER)
    assert applied.status is EditStatus.APPLIED, applied.error
    row = bot.services.store.get(campaign)
    assert row is not None and row.creative_id not in (old_creative, None)
    creative = graph.get_object(str(row.creative_id))
    assert creative is not None
    data = creative["object_story_spec"]["video_data"]
    assert data["video_id"] != old_video and data["title"] == "AINOTE 2 is in"
    assert graph.get_object(str(row.ad_id))["creative_id"] == row.creative_id  # type: ignore[index]
    used = [o for o in row.objects if o.kind is ObjectKind.VIDEO and o.meta_id == data["video_id"]]
    assert used, "the new video is one of the campaign's objects"


def test_an_image_can_be_added_to_a_video_campaign(
    edits: EditService, bot: Harness, graph: GraphEmulator, tmp_path: Path
) -> None:
    campaign = bot.create(start=local(DAY, "20:00"))
    picture = tmp_path / "hero.jpg"
    make_test_image(picture)
    done = edits.submit(campaign, {"add_image": str(picture)}, REQUESTER, source="test")
    assert done.awaiting is not None
    applied = edits.approve(done.awaiting.id, APPROVER)
    assert applied.status is EditStatus.APPLIED, applied.error
    creative = graph.get_object(applied.progress["creative_ids"]["new"])
    assert creative is not None
    link = creative["object_story_spec"]["link_data"]
    assert link["message"].startswith("Meet AINOTE 2") and link["image_hash"]


def test_a_file_that_is_not_a_video_is_refused_before_anything_is_sent(
    edits: EditService, bot: Harness, graph: GraphEmulator, tmp_path: Path
) -> None:
    campaign = bot.create(start=local(DAY, "20:00"))
    row = bot.services.store.get(campaign)
    assert row is not None
    fake = tmp_path / "cut.mp4"
    fake.write_text("not a video")
    graph.clear_requests()
    with pytest.raises(ValidationError) as refused:
        edits.propose(row, {"add_video": str(fake)})
    assert [p.field for p in refused.value.problems] == ["add_video"]
    assert all(r.method == "GET" for r in graph.requests)


def test_a_lost_answer_to_the_new_ad_is_found_by_its_name_never_made_twice(
    edits: EditService, bot: Harness, graph: GraphEmulator, tmp_path: Path
) -> None:
    campaign = bot.create(start=local(DAY, "20:00"))
    cut = distinct_copy(EXAMPLE, tmp_path / "cut-b.mp4")
    done = edits.submit(campaign, {"add_video": str(cut)}, REQUESTER, source="test")
    assert done.awaiting is not None
    # Meta makes the ad, the connection drops before its answer reaches AdBee.
    graph.inject(
        Fault(
            drop_connection=True, path_contains="/ads", method="POST", validate_only=False, times=1
        )
    )
    with pytest.raises(MetaTransportError):  # the answer is lost; the edit is not
        edits.approve(done.awaiting.id, APPROVER)
    assert edits.get(done.awaiting.id).status is EditStatus.APPLYING  # kept, resumable
    assert len(graph.objects("ad")) == 2
    resumed = edits.resume_stopped()
    assert [e.status for e in resumed] == [EditStatus.APPLIED]
    assert len(graph.objects("ad")) == 2  # the one Meta made, adopted
    row = bot.services.store.get(campaign)
    assert row is not None and len(row.remaining_ads) == 2


def test_a_lost_answer_to_one_ad_s_new_creative_is_found_by_its_name(
    edits: EditService, bot: Harness, graph: GraphEmulator, tmp_path: Path
) -> None:
    campaign = three_ads(bot, tmp_path)
    graph.inject(
        Fault(
            drop_connection=True,
            path_contains="/adcreatives",
            method="POST",
            validate_only=False,
            times=1,
        )
    )
    with pytest.raises(MetaTransportError):
        edits.submit(campaign, {"headline": "AINOTE 2 is in"}, REQUESTER, source="test")
    resumed = edits.resume_stopped()
    assert [e.status for e in resumed] == [EditStatus.APPLIED]
    assert len(graph.objects("adcreative")) == 6  # three old, three new: none twice
    assert len(set(ad_creatives(graph).values())) == 3


def test_a_flexible_ad_s_groups_carry_the_edited_texts_with_its_new_creative(
    edits: EditService, bot: Harness, graph: GraphEmulator, tmp_path: Path
) -> None:
    videos = [str(distinct_copy(EXAMPLE, tmp_path / f"flex-{n}.mp4")) for n in "ab"]
    spec = bot.services.campaigns.validate(
        {
            "account": "iflytek-sg",
            "name": "AINOTE2 flexible SG",
            "daily_budget": 50,
            "start_time": local(DAY, "20:00").strftime("%Y-%m-%d %H:%M"),
            "countries": ["SG"],
            "videos": videos,
            "creative_mode": "flexible",
            "primary_texts": ["Meet AINOTE 2", "Notes that write themselves"],
            "headline": "AINOTE 2 is here",
            "link": "https://shop.example.com/sg/ainote2",
            "call_to_action": "SHOP_NOW",
        }
    )
    campaign = bot.services.campaigns.create(spec, requested_by=REQUESTER.user_id, source="test").id
    row = bot.services.store.get(campaign)
    assert row is not None
    state = edits.read_state(row)
    assert state.creative_format == "flexible"
    with pytest.raises(ValidationError, match="flexible ad"):
        edits.propose(row, {"video": str(EXAMPLE)})
    done = edits.submit(campaign, {"headline": "AINOTE 2 is in"}, REQUESTER, source="test")
    assert done.applied is not None and done.applied.status is EditStatus.APPLIED, done.applied
    ad = graph.get_object(str(row.ad_id))
    assert ad is not None and ad["creative_id"] == done.campaign.creative_id
    texts = ad["creative_asset_groups_spec"]["groups"][0]["texts"]
    assert {"text": "AINOTE 2 is in", "text_type": "headline"} in texts
    assert {"text": "Notes that write themselves", "text_type": "primary_text"} in texts
    assert not any(t["text"] == "AINOTE 2 is here" for t in texts)


def test_an_added_ad_meta_refuses_is_reported_and_its_creative_undone(
    edits: EditService, bot: Harness, graph: GraphEmulator, tmp_path: Path
) -> None:
    campaign = bot.create(start=local(DAY, "20:00"))
    cut = distinct_copy(EXAMPLE, tmp_path / "cut-b.mp4")
    asked = edits.submit(campaign, {"add_video": str(cut)}, REQUESTER, source="test").awaiting
    assert asked is not None
    graph.inject(Fault(code=100, path_contains="/ads", method="POST", validate_only=False))
    edit = edits.approve(asked.id, APPROVER)
    assert edit.status is EditStatus.INCOMPLETE, edit.error
    assert "new creative for the new ad" in str(edit.error) and len(graph.objects("ad")) == 1
    graph.clear_faults()
    assert edits.undo(edit.id, APPROVER).status is EditStatus.UNDONE
    made = edit.progress["creative_ids"]["new"]
    assert graph.get_object(made)["status"] == "DELETED"  # type: ignore[index]
    row = bot.services.store.get(campaign)
    assert row is not None and len(row.remaining_ads) == 1
    assert made not in {o.meta_id for o in row.objects if o.live}
