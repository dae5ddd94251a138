"""The approval card of a campaign of several ads: each ad with its thumbnail, previews and its
own Reject button, a compact list past ten, and a rejected ad struck through."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from slack_sdk.models.blocks import ActionsBlock, SectionBlock

from handlers.blocks.approval import build_approval_message, build_decided_message
from handlers.forms import parse_action_value
from handlers.ids import CampaignAction, CampaignMessageBlock
from meta.services.summary import AdLine
from tests.handlers.factories import START, assert_slack_accepts, make_summary

NOW = START - timedelta(days=2)


def ads(count: int, changed: dict[int, dict] | None = None) -> tuple[AdLine, ...]:
    return tuple(
        replace(AdLine(
            index=n,
            video_name=f"cut-{n}.mp4",
            primary_text=f"Text {n} <b>",
            headline=f"Headline {n}",
            video_id=f"V{n}",
            creative_id=f"C{n}",
            ad_id=f"9000000000001{n:02d}",
            thumbnail_url=f"https://scontent.example/thumb-{n}.jpg",
            previews=(("Feed", f"https://fb.example/feed-{n}"), ("Reels", f"https://fb.example/reels-{n}")),
        ), **(changed or {}).get(n, {}))
        for n in range(1, count + 1)
    )  # fmt: skip


def block(message, block_id):
    return next(b for b in message["blocks"] if b.get("block_id") == block_id)


def test_each_of_three_ads_shows_its_thumbnail_texts_previews_and_reject_button():
    message = build_approval_message(summary=make_summary(ads=ads(3)), now=NOW)
    assert_slack_accepts("message", message)
    for n in (1, 2, 3):
        line = SectionBlock(**block(message, f"{CampaignMessageBlock.AD}-{n}"))
        assert line.accessory.image_url == f"https://scontent.example/thumb-{n}.jpg"
        assert line.accessory.alt_text == f"Thumbnail of cut-{n}.mp4"
        text = line.text.text
        assert f"*{n}.* `cut-{n}.mp4` · ad `9000000000001{n:02d}`" in text
        assert f"*Headline {n}*\nText {n} &lt;b&gt;" in text
        assert f"<https://fb.example/feed-{n}|Feed> · <https://fb.example/reels-{n}|Reels>" in text
        row = ActionsBlock(**block(message, f"{CampaignMessageBlock.AD_ACTIONS}-{n}"))
        (reject,) = row.elements
        assert reject.action_id == CampaignAction.REJECT_AD and reject.text.text == f"Reject ad {n}"
        assert parse_action_value(reject.value).ad == n
        assert reject.confirm.style == "danger"
        assert "The other 2 ads stay for approval" in reject.confirm.to_dict()["text"]["text"]
    buttons = block(message, CampaignMessageBlock.ACTIONS)["elements"]
    assert [b["text"]["text"] for b in buttons][:2] == ["Approve all", "Reject"]
    # The campaign-wide thumbnail and previews are each ad's now.
    ids = [b.get("block_id") for b in message["blocks"]]
    assert CampaignMessageBlock.THUMBNAIL not in ids and CampaignMessageBlock.PREVIEWS not in ids


def test_ten_ads_fit_a_message_with_everything_else_on_the_card():
    summary = make_summary(ads=ads(10), warnings=("w",), changed_since_approval=("x",),
                           drift=("creative enhancement a: approved OPT_OUT",))  # fmt: skip
    message = build_approval_message(summary=summary, now=NOW)
    assert_slack_accepts("message", message)  # the 50-block limit included
    assert len(message["blocks"]) <= 50
    assert block(message, f"{CampaignMessageBlock.AD_ACTIONS}-10")


def test_more_ads_than_buttons_are_listed_with_one_reject_select():
    message = build_approval_message(summary=make_summary(ads=ads(30)), now=NOW)
    assert_slack_accepts("message", message)
    listed = "\n".join(
        e["text"] for e in block(message, f"{CampaignMessageBlock.ADS}-list")["elements"]
    )
    assert "1. `cut-1.mp4`" in listed and "30. `cut-30.mp4`" in listed
    select = block(message, f"{CampaignMessageBlock.AD_ACTIONS}-select")["elements"][0]
    assert select["action_id"] == CampaignAction.REJECT_AD
    assert [parse_action_value(o["value"]).ad for o in select["options"]] == list(range(1, 31))


def test_a_rejected_ad_is_struck_and_the_last_one_left_has_no_reject():
    two = ads(
        3, {2: {"rejected_by": "U0APPROVER", "ad_id": None}, 3: {"rejected_by": "U0APPROVER"}}
    )
    message = build_approval_message(summary=make_summary(ads=two), now=NOW)
    assert_slack_accepts("message", message)
    struck = block(message, f"{CampaignMessageBlock.AD}-2")["elements"][0]["text"]
    assert struck == ":no_entry_sign: ~2. `cut-2.mp4`~ rejected by <@U0APPROVER>; deleted from Meta"
    ids = [b.get("block_id") for b in message["blocks"]]
    assert not any(str(i).startswith(CampaignMessageBlock.AD_ACTIONS) for i in ids)
    intro = block(message, CampaignMessageBlock.ADS)["elements"][0]["text"]
    assert intro.startswith("*1 ad* of 3, one per video; approving switches on this one")


def test_a_decided_card_lists_the_ads_without_reject_buttons():
    message = build_decided_message(make_summary(ads=ads(3), status="scheduled"), NOW)
    assert_slack_accepts("message", message)
    assert block(message, f"{CampaignMessageBlock.AD}-3")
    ids = [str(b.get("block_id")) for b in message["blocks"]]
    assert not any(i.startswith(CampaignMessageBlock.AD_ACTIONS) for i in ids)


def test_a_one_ad_card_stays_as_it_was():
    message = build_approval_message(summary=make_summary(ads=ads(1)), now=NOW)
    ids = [b.get("block_id") for b in message["blocks"]]
    assert CampaignMessageBlock.ADS not in ids and CampaignMessageBlock.PREVIEWS in ids
    assert block(message, CampaignMessageBlock.ACTIONS)["elements"][0]["text"]["text"] == "Approve"
