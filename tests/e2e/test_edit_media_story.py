"""Issue 16's new and additional creatives, as an agency meets them in Slack: a second video added
to a live campaign (approved, a new ad appears beside the first), the video of a campaign not yet
live replaced (approved, the ad shows the new cut), a text fixed on a campaign of three ads (every
ad gets its new creative), and a file that is no video sent back to the form.

The real bot in Socket Mode between the Slack emulator and the Graph API emulator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from handlers.blocks.edits import MediaMode
from handlers.ids import CampaignAction, EditAction
from handlers.ids import CampaignCreateBlock as B
from handlers.ids import CampaignEditBlock as E
from tests.e2e.conftest import APPROVER, CAMPAIGNS, REQUESTER
from tests.e2e.test_campaign_story import (
    approval_message,
    campaign_id_of,
    click,
    create_campaign,
    good_values,
    open_form,
)
from tests.e2e.test_edit_story import card_saying, decide, open_editor
from tests.e2e.test_several_creatives import attach, three_videos
from tests.media import make_test_video


def go_live(slack: Any, bot: Any, card: dict[str, Any], campaign_id: int) -> None:
    store = bot.services.store
    click(slack, APPROVER, card, CampaignAction.APPROVE, campaign_id)
    slack.wait_until(lambda: store.get(campaign_id).status in ("scheduled", "armed"), timeout=30)
    slack.slash_command(
        user=APPROVER, channel=CAMPAIGNS, command="/campaign", text=f"activate {campaign_id}"
    )
    slack.wait_until(lambda: store.get(campaign_id).status == "active", timeout=30)


def video_of(graph: Any, creative_id: str) -> str:
    return str(graph.get_object(creative_id)["object_story_spec"]["video_data"]["video_id"])


def test_a_second_video_added_to_a_live_campaign_becomes_a_new_ad_after_approval(
    slack, graph, bot, tmp_path: Path
):
    card = create_campaign(slack)
    campaign_id = campaign_id_of(card)
    go_live(slack, bot, card, campaign_id)
    cut = attach(slack, make_test_video(tmp_path / "ainote2-cut-b.mp4", seconds=1.5))

    view = open_editor(slack, REQUESTER, card, campaign_id)
    ack = slack.submit_view(
        user=REQUESTER, view_id=view["id"], values={E.MEDIA: [cut], E.MEDIA_MODE: MediaMode.ADD}
    )
    assert "Sent for approval" in str(ack) and "New ad with the video" in str(ack)
    waiting = card_saying(slack, card, "Waiting for an approver")
    assert "ainote2-cut-b.mp4" in str(waiting)
    assert len(graph.objects("ad")) == 1 and len(graph.objects("advideo")) == 1  # not yet

    decide(slack, APPROVER, waiting, EditAction.APPROVE)
    slack.wait_until(lambda: len(graph.objects("ad")) == 2, timeout=60)
    store = bot.services.store
    slack.wait_until(lambda: len(store.get(campaign_id).remaining_ads) == 2, timeout=30)
    row = store.get(campaign_id)
    first, added = row.remaining_ads
    new_ad = graph.get_object(str(added.meta_id))
    assert new_ad["status"] == "ACTIVE" and new_ad["adset_id"] == row.adset_id
    assert video_of(graph, new_ad["creative_id"]) != row.video_id  # the new cut, uploaded
    assert graph.get_object(str(first.meta_id))["creative_id"] == row.creative_id  # unchanged
    applied = slack.wait_until(  # the card, updated in place: applied, the new ad named
        lambda: "Applied in Meta" in str(slack.message(CAMPAIGNS, waiting["ts"])), timeout=30
    )
    shown = str(slack.message(CAMPAIGNS, waiting["ts"]))
    assert applied and f"New ad `{added.meta_id}`" in shown and APPROVER in shown
    edit = bot.services.edit_store.list_edits(campaign_id=campaign_id)[-1]
    download = Path(edit.plan["changes"][0]["after"]["path"])
    assert download.name == "ainote2-cut-b.mp4"
    slack.wait_until(lambda: not download.exists(), timeout=30)  # uploaded: let go


def test_the_video_of_a_campaign_not_yet_live_is_replaced_after_approval(
    slack, graph, bot, tmp_path: Path
):
    card = create_campaign(slack)
    campaign_id = campaign_id_of(card)
    row = bot.services.store.get(campaign_id)
    old_video, old_creative = row.video_id, row.creative_id
    cut = attach(slack, make_test_video(tmp_path / "ainote2-v2.mp4", seconds=2.0))

    view = open_editor(slack, REQUESTER, None, campaign_id)
    ack = slack.submit_view(
        user=REQUESTER,
        view_id=view["id"],
        values={E.MEDIA: [cut], E.MEDIA_MODE: MediaMode.REPLACE},
    )
    assert "Sent for approval" in str(ack) and "Video of the first ad" in str(ack)
    waiting = card_saying(slack, card, "Waiting for an approver")
    decide(slack, APPROVER, waiting, EditAction.APPROVE)
    store = bot.services.store
    slack.wait_until(lambda: store.get(campaign_id).creative_id != old_creative, timeout=60)

    row = store.get(campaign_id)
    assert graph.get_object(row.ad_id)["creative_id"] == row.creative_id
    assert video_of(graph, row.creative_id) not in (old_video, None)
    assert len(graph.objects("ad")) == 1  # the same ad, showing the new cut
    assert graph.get_object(old_creative)["status"] == "ACTIVE"  # kept in Meta
    slack.wait_until(
        lambda: "Applied in Meta" in str(slack.message(CAMPAIGNS, waiting["ts"])), timeout=30
    )


def test_a_headline_fixed_on_a_campaign_of_three_ads_swaps_every_ad(
    slack, graph, bot, tmp_path: Path
):
    files = three_videos(slack, tmp_path)
    view = open_form(slack)
    slack.submit_view(
        user=REQUESTER, view_id=view["id"], values={**good_values(files[0]), B.VIDEO: files}
    )
    card = approval_message(slack)
    campaign_id = campaign_id_of(card)
    before = {str(ad["id"]): str(ad["creative_id"]) for ad in graph.objects("ad")}
    assert len(before) == 3

    view = open_editor(slack, REQUESTER, card, campaign_id)
    assert "every ad" in str(view["blocks"])
    ack = slack.submit_view(
        user=REQUESTER, view_id=view["id"], values={E.HEADLINE: "AINOTE 2 writes your notes"}
    )
    assert "Applied now" in str(ack)  # a text fix before going live
    applied = card_saying(slack, card, "Applied in Meta")
    assert "each of the 3 ads" in str(applied)
    after = {str(ad["id"]): str(ad["creative_id"]) for ad in graph.objects("ad")}
    assert after.keys() == before.keys()
    for ad, creative in after.items():
        assert creative != before[ad]
        data = graph.get_object(creative)["object_story_spec"]["video_data"]
        assert data["title"] == "AINOTE 2 writes your notes"
        assert data["video_id"] == video_of(graph, before[ad])  # each keeps its own cut


def test_a_file_that_is_no_video_comes_back_to_the_form_and_nothing_is_sent(
    slack, graph, bot, tmp_path: Path
):
    card = create_campaign(slack)
    campaign_id = campaign_id_of(card)
    fake = tmp_path / "ainote2-final.mp4"
    fake.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 2000)  # an MP4 header, no video
    cut = attach(slack, fake)
    creatives = len(graph.objects("adcreative"))

    view = open_editor(slack, REQUESTER, card, campaign_id)
    slack.submit_view(user=REQUESTER, view_id=view["id"], values={E.MEDIA: [cut]})
    refused = slack.wait_for_view(
        user=REQUESTER,
        timeout=30,
        callback_id="campaign-edit-modal",
        predicate=lambda v: E.MEDIA_PROBLEM.value in str(v["blocks"]),
    )
    assert "nothing was sent to Meta" in str(refused)
    slack.wait_until(
        lambda: any("was refused" in str(m) for m in slack.thread(CAMPAIGNS, card["ts"])),
        timeout=30,
    )
    assert len(graph.objects("adcreative")) == creatives
    assert len(graph.objects("advideo")) == 1
