"""Issue 16's duplicates, as an agency meets them in Slack: the same campaign again in its own
ad account (Duplicate on its card: no video uploaded, the one Meta holds is used) and for
Malaysia (`/campaign duplicate`: the video uploaded to Malaysia's account, from Slack again as
AdBee deleted its download). Each duplicate is a new request with its own approval card.

The real bot in Socket Mode between the Slack emulator and the Graph API emulator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from handlers.ids import CampaignAction
from handlers.ids import CampaignCreateBlock as B
from handlers.metadata import ActionMetadata
from tests.e2e.conftest import CAMPAIGNS, REQUESTER, start_in
from tests.e2e.test_campaign_story import (
    CARD_IS_BELOW,
    approval_message,
    campaign_id_of,
    create_campaign,
    good_values,
    has_approve,
    open_form,
)
from tests.e2e.test_several_creatives import attach
from tests.media import make_test_image, make_test_video


def open_duplicate(slack: Any, card: dict[str, Any] | None, campaign_id: int) -> dict:
    before = slack.ws.top_view(REQUESTER)
    if card is not None:
        slack.click_button(
            user=REQUESTER,
            channel=CAMPAIGNS,
            message_ts=card["ts"],
            action_id=CampaignAction.DUPLICATE,
            value=ActionMetadata(campaign_id=campaign_id).model_dump_json(),
        )
    else:
        slack.slash_command(
            user=REQUESTER, channel=CAMPAIGNS, command="/campaign", text=f"duplicate {campaign_id}"
        )
    return slack.wait_for_view(
        user=REQUESTER,
        timeout=10,
        callback_id="campaign-create",
        predicate=lambda v: before is None or v["id"] != before.id,
    )


def approval_cards(slack: Any) -> list[dict[str, Any]]:
    """The approval cards, once each creation's progress message points at its card (AdBee has
    recorded the card as the campaign's message by then)."""
    messages = slack.messages(CAMPAIGNS)
    cards = [m for m in messages if has_approve(m)]
    notes = [m for m in messages if CARD_IS_BELOW in m.get("text", "")]
    return cards if len(notes) >= len(cards) else []


def video_posts(graph: Any) -> list[str]:
    return [r.path for r in graph.requests if r.method == "POST" and r.path.endswith("/advideos")]


def test_duplicate_in_its_account_uses_the_video_and_for_malaysia_uploads_it_there(
    slack, graph, bot
):
    card = create_campaign(slack)
    source_id = campaign_id_of(card)
    store = bot.services.store
    (video,) = graph.objects("advideo")

    graph.clear_requests()
    view = open_duplicate(slack, card, source_id)
    assert "Duplicate of" in str(view["blocks"]) and "AINOTE2 launch SG" in str(view["blocks"])
    ack = slack.submit_view(user=REQUESTER, view_id=view["id"], values={B.NAME: "AINOTE2 wave 2"})
    assert not (ack or {}).get("errors"), ack
    slack.wait_until(lambda: len(approval_cards(slack)) == 2, timeout=30)
    assert video_posts(graph) == []  # nothing uploaded: Meta's video is used
    wave = store.find("AINOTE2 wave 2")
    assert wave is not None and wave.status == "created"
    creative = graph.get_object(wave.creative_id)
    assert creative["object_story_spec"]["video_data"]["video_id"] == video["id"]

    view = open_duplicate(slack, None, source_id)  # /campaign duplicate <id>
    ack = slack.submit_view(
        user=REQUESTER,
        view_id=view["id"],
        values={B.ACCOUNT: "iflytek-my", B.COUNTRIES: ["MY"], B.DAILY_BUDGET: "150"},
    )
    assert not (ack or {}).get("errors"), ack
    slack.wait_until(lambda: len(approval_cards(slack)) == 3, timeout=40)
    uploads = video_posts(graph)
    assert uploads and all("act_2234567890/advideos" in path for path in uploads)
    my = next(r for r in store.list_campaigns(limit=10) if r.account_key == "iflytek-my")
    assert graph.get_object(my.adset_id)["targeting"]["geo_locations"]["countries"] == ["MY"]
    assert all(o["status"] == "PAUSED" for o in graph.objects("campaign"))  # approval first

    history = [e.detail for e in store.audit_events(campaign_id=source_id)]
    assert any(f"duplicated as #{wave.id}" in (d or "") for d in history)
    assert any(f"duplicated as #{my.id}" in (d or "") for d in history)


def test_a_duplicate_keeps_the_sources_image_ads(slack, graph, bot, tmp_path: Path):
    """Alice's campaign of two videos and a picture, duplicated from its card with nothing
    attached: three ads again, the picture's one too (AdBee's copy of the picture is gone, so it
    reads the source's Slack file again)."""
    image = tmp_path / "ainote2-hero.jpg"
    make_test_image(image, width=1080, height=1080)
    files = [
        attach(slack, make_test_video(tmp_path / "cut-a.mp4", seconds=1.0)),
        attach(slack, make_test_video(tmp_path / "cut-b.mp4", seconds=1.5)),
        attach(slack, image, filetype="jpg", mimetype="image/jpeg"),
    ]
    view = open_form(slack)
    ack = slack.submit_view(
        user=REQUESTER, view_id=view["id"], values={**good_values(files[0]), B.VIDEO: files}
    )
    assert not (ack or {}).get("errors"), ack
    card = approval_message(slack)
    source_id = campaign_id_of(card)
    store = bot.services.store
    source = store.get(source_id)
    for kept in source.spec["images"]:  # AdBee's copy is lost (a disk, another replica)
        Path(kept).unlink()

    view = open_duplicate(slack, card, source_id)
    assert "ainote2-hero.jpg" in str(view["blocks"])  # "leave empty to use the source's …"
    ack = slack.submit_view(user=REQUESTER, view_id=view["id"], values={B.NAME: "AINOTE2 wave 2"})
    assert not (ack or {}).get("errors"), ack
    slack.wait_until(lambda: len(approval_cards(slack)) == 2, timeout=60)
    wave = store.find("AINOTE2 wave 2")
    assert wave is not None and wave.status == "created"
    shown = [graph.get_object(str(wave.creative_of(ad.key))) for ad in wave.remaining_ads]
    assert ["video_data" in c["object_story_spec"] for c in shown] == [True, True, False]
    source_hash = graph.get_object(str(source.creative_of("3")))["object_story_spec"]["link_data"]
    assert shown[2]["object_story_spec"]["link_data"]["image_hash"] == source_hash["image_hash"]


def test_a_duplicate_of_a_flexible_campaign_is_one_flexible_ad_again(
    slack, graph, bot, tmp_path: Path
):
    """A flexible campaign made from a campaign file (the form has no creative_mode), duplicated
    with /campaign duplicate: one ad again, grouping both videos and the picture."""
    image = tmp_path / "ainote2-hero.jpg"
    make_test_image(image, width=1080, height=1080)
    videos = [
        make_test_video(tmp_path / f"cut-{c}.mp4", seconds=s) for c, s in (("a", 1), ("b", 2))
    ]
    campaigns = bot.services.campaigns
    spec = campaigns.validate(
        {
            "account": "iflytek-sg",
            "name": "AINOTE2 flexible SG",
            "daily_budget": "50",
            "start_time": start_in().isoformat(),
            "countries": ["SG"],
            "videos": [str(v) for v in videos],
            "images": [str(image)],
            "creative_mode": "flexible",
            "primary_texts": ["Meet AINOTE 2.", "Notes that write themselves."],
            "headline": "AINOTE 2 is here",
            "link": "https://shop.example.com/sg/ainote2",
            "call_to_action": "SHOP_NOW",
        }
    )
    made = campaigns.create(spec, requested_by=REQUESTER, source="cli")
    assert made.status == "created", made.error

    view = open_duplicate(slack, None, made.id)
    ack = slack.submit_view(user=REQUESTER, view_id=view["id"], values={B.NAME: "AINOTE2 flex 2"})
    assert not (ack or {}).get("errors"), ack
    store = bot.services.store
    slack.wait_until(
        lambda: (row := store.find("AINOTE2 flex 2")) is not None and row.status == "created",
        timeout=60,
    )
    wave = store.find("AINOTE2 flex 2")
    assert wave.spec["creative_mode"] == "flexible"
    (ad,) = wave.remaining_ads
    (group,) = graph.get_object(str(ad.meta_id))["creative_asset_groups_spec"]["groups"]
    assert len(group["videos"]) == 2 and len(group["images"]) == 1
    assert [t["text"] for t in group["texts"] if t["text_type"] == "primary_text"] == [
        "Meet AINOTE 2.",
        "Notes that write themselves.",
    ]
