"""Alice attaches several creatives in one create form: each becomes its own ad, checked first.

Through the real bot (Socket Mode) and both emulators: the files are attached in the modal's one
file input (up to ten, Slack's most), each checked before anything is sent to Meta, and a
campaign of one ad per file is created, paused, for Bob to approve.
"""

from __future__ import annotations

from pathlib import Path

from handlers.ids import CampaignAction, CampaignMessageBlock
from handlers.ids import CampaignCreateBlock as B
from handlers.metadata import ActionMetadata
from tests.e2e.conftest import APPROVER, BYSTANDER, CAMPAIGNS, REQUESTER
from tests.e2e.test_campaign_story import (
    approval_message,
    campaign_id_of,
    good_values,
    open_form,
)
from tests.media import make_test_image, make_test_video


def attach(slack, path: Path, *, filetype: str = "mp4", mimetype: str = "video/mp4") -> str:
    return slack.upload_file(
        user=REQUESTER,
        filename=path.name,
        content=path.read_bytes(),
        filetype=filetype,
        mimetype=mimetype,
    )


def three_videos(slack, folder: Path) -> list[str]:
    """Three small, different clips (one second each), as Alice picks them in the form."""
    return [
        attach(slack, make_test_video(folder / f"ainote2-{cut}.mp4", seconds=seconds))
        for cut, seconds in (("a", 1.0), ("b", 1.5), ("c", 2.0))
    ]


def test_three_videos_in_one_modal_make_three_ads(slack, graph, bot, tmp_path):
    files = three_videos(slack, tmp_path)
    values = {
        **good_values(files[0]),
        B.VIDEO: files,
        B.HEADLINE: "AINOTE 2 is here\nNotes that write themselves\nE-ink, all day",
    }
    view = open_form(slack)
    ack = slack.submit_view(user=REQUESTER, view_id=view["id"], values=values)
    assert not (ack or {}).get("errors")

    card = approval_message(slack)
    assert len(graph.objects("campaign")) == 1 and len(graph.objects("adset")) == 1
    ads = graph.objects("ad")
    assert len(ads) == 3 and all(ad["status"] == "PAUSED" for ad in ads)
    assert len(graph.objects("adcreative")) == 3
    titles = {c["object_story_spec"]["video_data"]["title"] for c in graph.objects("adcreative")}
    assert titles == {"AINOTE 2 is here", "Notes that write themselves", "E-ink, all day"}
    text = str(card["blocks"])
    for cut in ("ainote2-a.mp4", "ainote2-b.mp4", "ainote2-c.mp4"):
        assert cut in text
    # The progress showed one line per file on the way (edits are coalesced: some states of a
    # file may be skipped, but each file had its line).
    files = [
        block["text"]["text"]
        for version in slack.message_history(CAMPAIGNS, slack.messages(CAMPAIGNS)[0]["ts"])
        for block in version.get("blocks", [])
        if block.get("block_id") == CampaignMessageBlock.FILES
    ]
    assert files, "the progress message listed the files"
    assert all(
        f"{n}. `ainote2-{cut}.mp4` —" in files[-1] for n, cut in ((1, "a"), (2, "b"), (3, "c"))
    )


def test_three_videos_and_an_image_in_one_modal_make_four_ads(slack, graph, bot, tmp_path):
    files = three_videos(slack, tmp_path)
    image = tmp_path / "ainote2-hero.jpg"
    make_test_image(image, width=1080, height=1080)
    files.insert(1, attach(slack, image, filetype="jpg", mimetype="image/jpeg"))  # any order
    view = open_form(slack)
    ack = slack.submit_view(
        user=REQUESTER, view_id=view["id"], values={**good_values(files[0]), B.VIDEO: files}
    )
    assert not (ack or {}).get("errors")

    card = approval_message(slack)
    ads = graph.objects("ad")
    assert len(ads) == 4 and all(ad["status"] == "PAUSED" for ad in ads)
    creatives = graph.objects("adcreative")
    shown = [c["object_story_spec"] for c in creatives]
    assert sum(1 for spec in shown if "video_data" in spec) == 3
    (picture,) = [spec["link_data"] for spec in shown if "link_data" in spec]
    assert picture["image_hash"]
    assert len(graph.objects("campaign")) == 1 and len(graph.objects("adset")) == 1
    # The card lists the videos' ads first, then the image's, each with its own picture.
    lines = [
        b["text"]["text"]
        for b in card["blocks"]
        if b["type"] == "section" and str(b["block_id"]).startswith(f"{CampaignMessageBlock.AD}-")
    ]
    assert [line.split("`")[1] for line in lines] == [
        "ainote2-a.mp4",
        "ainote2-b.mp4",
        "ainote2-c.mp4",
        "ainote2-hero.jpg",
    ]
    pictures = [
        b["accessory"]["image_url"]
        for b in card["blocks"]
        if b["type"] == "section"
        and str(b["block_id"]).startswith(f"{CampaignMessageBlock.AD}-")
        and b.get("accessory", {}).get("type") == "image"
    ]
    assert len(set(pictures)) == 4  # three video frames and the image itself
    assert f"/images/{picture['image_hash']}." in pictures[-1]  # the uploaded image's own url


def test_a_file_that_is_neither_video_nor_image_is_refused_naming_it(slack, graph, bot, tmp_path):
    files = three_videos(slack, tmp_path)
    brief = tmp_path / "brief.pdf"
    brief.write_bytes(b"%PDF-1.4 ...")
    files.append(attach(slack, brief, filetype="pdf", mimetype="application/pdf"))
    view = open_form(slack)
    ack = slack.submit_view(
        user=REQUESTER,
        view_id=view["id"],
        values={**good_values(files[0]), B.VIDEO: files},
        enforce_ui=False,  # Slack's filetypes only filter its picker (Slack's docs say so)
    )
    assert "brief.pdf is a PDF, not a video" in ack["errors"][B.VIDEO]
    assert not [r for r in graph.requests if r.method == "POST"], "nothing is sent to Meta"


def test_bob_rejects_one_ad_and_approves_the_others(slack, graph, bot, tmp_path):
    values = {**good_values(""), B.VIDEO: three_videos(slack, tmp_path)}
    view = open_form(slack)
    slack.submit_view(user=REQUESTER, view_id=view["id"], values=values)
    card = approval_message(slack)
    campaign_id = campaign_id_of(card)
    # Each ad shows its own thumbnail (its video's frame Meta picked).
    thumbnails = [
        b["accessory"]["image_url"]
        for b in card["blocks"]
        if str(b.get("block_id", "")).startswith(f"{CampaignMessageBlock.AD}-")
        and b.get("accessory", {}).get("type") == "image"
    ]
    assert len(set(thumbnails)) == 3
    second = next(
        o for o in bot.services.store.get(campaign_id).objects if o.kind == "ad" and o.key == "2"
    )

    def click(user: str, action: CampaignAction, ad: int | None = None) -> None:
        slack.click_button(
            user=user,
            channel=CAMPAIGNS,
            message_ts=card["ts"],
            action_id=action,
            value=ActionMetadata(campaign_id=campaign_id, ad=ad).to_value(),
        )

    click(BYSTANDER, CampaignAction.REJECT_AD, 2)  # not an approver: told privately, nothing done
    slack.wait_until(lambda: slack.ephemerals(BYSTANDER), timeout=5)
    assert "only approvers" in slack.ephemerals(BYSTANDER)[-1]["text"]
    assert len(graph.objects("ad")) == 3

    click(APPROVER, CampaignAction.REJECT_AD, 2)
    struck = f"~2. `ainote2-b.mp4`~ rejected by {APPROVER}"  # (the emulator's ids are no <@U…>)
    assert slack.wait_until(lambda: struck in str(slack.message(CAMPAIGNS, card["ts"])), timeout=10)
    assert {str(a["id"]) for a in graph.objects("ad")} == {
        str(o.meta_id) for o in bot.services.store.get(campaign_id).remaining_ads
    }
    assert second.meta_id not in {str(a["id"]) for a in graph.objects("ad")}
    assert len(graph.objects("ad")) == 2 and len(graph.objects("campaign")) == 1

    click(APPROVER, CampaignAction.APPROVE)
    assert slack.wait_until(
        lambda: "Activates" in str(slack.message(CAMPAIGNS, card["ts"])), timeout=10
    )
    assert bot.services.store.get(campaign_id).status == "scheduled"
