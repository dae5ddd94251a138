"""The approval card shows the real ad: thumbnail, Meta's previews, the choices as sent."""

from __future__ import annotations

from handlers.blocks.approval import build_approval_message
from handlers.ids import CampaignMessageBlock as M
from meta.domain.approval import RequestFacts
from tests.handlers.factories import (
    NOW,
    all_text,
    assert_escaped,
    assert_slack_accepts,
    hostile_summary,
    make_summary,
)

FEATURES = ("image_touchups", "music", "text_optimizations", "video_auto_crop")
REQUESTS = {
    "campaign": {"name": "iflytek-sg_AINOTE2_20261203", "daily_budget": 5000},
    "adset": {"name": "iflytek-sg_AINOTE2_20261203 | SG", "campaign_id": "1"},
    "creative": {
        "name": "creative",
        "url_tags": "utm_source=meta&utm_medium=paid",
        "object_story_spec": {
            "video_data": {
                "call_to_action": {
                    "type": "SHOP_NOW",
                    "value": {"link": "https://shop.example.com/sg?ref=a"},
                }
            }
        },
        "degrees_of_freedom_spec": {
            "creative_features_spec": {f: {"enroll_status": "OPT_OUT"} for f in FEATURES}
        },
        "contextual_multi_ads": {"enroll_status": "OPT_OUT"},
    },
    "ad": {"name": "iflytek-sg_AINOTE2_20261203 | ainote2", "creative": {"creative_id": "9"}},
}
PREVIEWS = (
    ("Feed", "https://www.facebook.com/ads/api/preview_iframe.php?d=a&t=b"),
    ("Reels", "https://www.facebook.com/ads/api/preview_iframe.php?d=c&t=b"),
    ("Stories", "https://www.facebook.com/ads/api/preview_iframe.php?d=e&t=b"),
    ("Shareable preview", "https://fb.me/abc"),
)


def card(**overrides):
    values = {
        "thumbnail_url": "https://scontent.example/thumb.jpg",
        "previews": PREVIEWS,
        "request": RequestFacts.from_requests(REQUESTS),
        **overrides,
    }
    return build_approval_message(summary=make_summary(**values), now=NOW)


def block(message, block_id):
    return next(b for b in message["blocks"] if b.get("block_id") == block_id)


def test_the_card_shows_thumbnail_previews_and_every_choice():
    message = card()
    assert_slack_accepts("message", message)
    image = block(message, M.THUMBNAIL)
    assert image["type"] == "image" and image["image_url"] == "https://scontent.example/thumb.jpg"
    assert image["alt_text"]
    links = block(message, M.PREVIEWS)["text"]["text"]
    assert "<https://www.facebook.com/ads/api/preview_iframe.php?d=a&amp;t=b|Feed>" in links
    assert "|Reels>" in links and "|Stories>" in links and "<https://fb.me/abc|Shareable" in links
    choices = block(message, M.CHOICES)["text"]["text"]
    assert "`https://shop.example.com/sg?ref=a&amp;utm_source=meta&amp;utm_medium=paid`" in choices
    assert "all 4 opted out" in choices
    assert "Multi-advertiser ads:* off (`OPT_OUT`)" in choices
    assert "Campaign `iflytek-sg_AINOTE2_20261203`" in choices
    assert "Ad set `iflytek-sg_AINOTE2_20261203 | SG`" in choices
    assert "Ad `iflytek-sg_AINOTE2_20261203 | ainote2`" in choices


def test_enhancements_on_and_meta_defaults_are_said_plainly():
    opted_in = {
        **REQUESTS,
        "creative": {
            **REQUESTS["creative"],
            "degrees_of_freedom_spec": {
                "creative_features_spec": {
                    "music": {"enroll_status": "OPT_IN"},
                    "video_auto_crop": {"enroll_status": "OPT_OUT"},
                }
            },
            "contextual_multi_ads": {"enroll_status": "OPT_IN"},
        },
    }
    choices = block(card(request=RequestFacts.from_requests(opted_in)), M.CHOICES)["text"]["text"]
    assert "1 of 2 on: `music`" in choices and "on (`OPT_IN`)" in choices
    bare = {**REQUESTS, "creative": {"name": "c"}}
    choices = block(card(request=RequestFacts.from_requests(bare)), M.CHOICES)["text"]["text"]
    assert "Meta's defaults" in choices and "Meta's default (enrolled" in choices


def test_without_previews_or_thumbnail_the_card_says_so_and_stays_valid():
    message = card(thumbnail_url=None, previews=(), request=None)
    assert_slack_accepts("message", message)
    ids = [b.get("block_id") for b in message["blocks"]]
    assert M.THUMBNAIL not in ids and M.CHOICES not in ids
    assert "could not be read" in all_text(block(message, M.PREVIEWS))


def test_a_big_budget_names_who_can_approve_it():
    message = card(big_spend_approvers=("S0BIGSPEND", "U0CFO"))
    assert_slack_accepts("message", message)
    text = all_text(block(message, M.BIG_SPEND))
    assert "<!subteam^S0BIGSPEND>" in text and "<@U0CFO>" in text and "SGD 50.00" in text


def test_changes_since_the_approval_are_listed():
    message = card(changed_since_approval=("activate_at: 2026-12-03T12:00 -> 2026-12-05T12:00",))
    assert_slack_accepts("message", message)
    assert "2026-12-05T12:00" in all_text(block(message, M.CHANGED))


def test_hostile_names_and_links_are_escaped():
    hostile = "<!channel> <https://evil.example|x> &"
    requests = {
        **REQUESTS,
        "campaign": {"name": hostile},
        "creative": {**REQUESTS["creative"], "url_tags": hostile},
    }
    summary = hostile_summary(
        thumbnail_url="https://x.example/" + "a" * 2990,
        previews=(("Feed", "https://x.example/?a=<!channel>"),),
        request=RequestFacts.from_requests(requests),
    )
    message = build_approval_message(summary=summary, now=NOW)
    assert_slack_accepts("message", message)
    assert_escaped(message)


def test_a_drift_shows_on_the_card_with_the_reapply_button():
    from handlers.blocks.alerts import build_alert
    from handlers.blocks.approval import build_decided_message
    from handlers.ids import CampaignAction

    drift = ("creative enhancement music: approved OPT_OUT, Meta shows OPT_IN",)
    for message in (
        card(drift=drift),
        build_decided_message(make_summary(status="scheduled", drift=drift), NOW),
        build_alert(
            kind="settings_drift", summary=make_summary(drift=drift), detail=drift[0], now=NOW
        ),
    ):
        assert_slack_accepts("message", message)
        actions = [b for b in message["blocks"] if b.get("block_id") == M.REAPPLY]
        assert [e["action_id"] for e in actions[0]["elements"]] == [CampaignAction.REAPPLY]
        assert "Meta shows OPT_IN" in all_text(message)
    assert M.REAPPLY not in [b.get("block_id") for b in card()["blocks"]]
