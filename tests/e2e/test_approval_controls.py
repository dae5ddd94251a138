"""Issue 13 part B, as approvers meet it: the real ad on the card, big budgets asking the
big-spend group instead of being refused, the approval covering what was sent, drift alerted."""

from __future__ import annotations

from handlers.ids import CampaignAction
from handlers.ids import CampaignCreateBlock as B
from handlers.ids import CampaignMessageBlock as M
from tests.e2e.conftest import APPROVER, REQUESTER
from tests.e2e.test_campaign_story import (
    approval_message,
    campaign_id_of,
    click,
    create_campaign,
    good_values,
    open_form,
    upload_video,
)
from tests.handlers.factories import assert_slack_accepts

# configs/accounts.yaml: iflytek-sg has ``approval: {budget_above: 500, approvers: [S0BIGSPEND]}``.
BIG_SPENDER = "U_CFO"


def test_a_budget_above_the_threshold_needs_the_big_spend_group(slack, graph, bot):
    slack.add_user(BIG_SPENDER, name="cfo", real_name="Chief Finance", tz="Asia/Singapore")
    slack.add_usergroup("S0BIGSPEND", "big-spend", users=[BIG_SPENDER])
    view = open_form(slack)
    values = {**good_values(upload_video(slack)), B.DAILY_BUDGET: "600"}
    ack = slack.submit_view(user=REQUESTER, view_id=view["id"], values=values)
    assert not (ack or {}).get("errors")
    message = approval_message(slack)
    campaign_id = campaign_id_of(message)

    # Bob is an ordinary approver: refused, and told why and who can.
    click(slack, APPROVER, message, CampaignAction.APPROVE, campaign_id)
    slack.wait_until(lambda: slack.ephemerals(APPROVER), timeout=5)
    refusal = slack.ephemerals(APPROVER)[-1]["text"]
    assert "SGD 600.00" in refusal and "SGD 500.00" in refusal and "S0BIGSPEND" in refusal
    store = bot.services.store
    assert store.get(campaign_id).status == "created"
    assert [e.outcome for e in store.audit_events(campaign_id=campaign_id)] == ["refused"]

    # The CFO is in the big-spend user group (usergroups.users.list), not in APPROVER_IDS.
    click(slack, BIG_SPENDER, message, CampaignAction.APPROVE, campaign_id)
    assert slack.wait_until(lambda: store.get(campaign_id).status == "scheduled", timeout=5)
    assert store.get(campaign_id).approved_by == BIG_SPENDER


def test_a_budget_above_max_daily_budget_is_still_refused_in_the_form(slack, graph, bot):
    view = open_form(slack)
    values = {**good_values(upload_video(slack)), B.DAILY_BUDGET: "2500"}
    ack = slack.submit_view(user=REQUESTER, view_id=view["id"], values=values)
    assert "above this account's limit of SGD 2,000.00" in ack["errors"][B.DAILY_BUDGET]


def test_the_card_shows_the_thumbnail_metas_previews_and_the_choices(slack, graph, bot):
    message = create_campaign(slack)
    assert_slack_accepts("message", message)  # what the emulator stored, parsed by slack_sdk again
    blocks = {b.get("block_id"): b for b in message["blocks"]}
    row = bot.services.store.list_campaigns()[0]
    image = blocks[M.THUMBNAIL]
    assert image["type"] == "image" and image["image_url"] == row.thumbnail_url
    previews = blocks[M.PREVIEWS]["text"]["text"]
    for label in ("Feed", "Reels", "Stories", "Shareable preview"):
        assert f"|{label}>" in previews
    asked = {r.params.get("ad_format") for r in graph.requests if r.path.endswith("/previews")}
    assert asked == {"MOBILE_FEED_STANDARD", "INSTAGRAM_REELS", "INSTAGRAM_STORY"}
    choices = blocks[M.CHOICES]["text"]["text"]
    assert "*Final URL:* `https://shop.example.com/sg/ainote2" in choices
    assert "*Advantage+ creative enhancements:*" in choices
    assert "*Multi-advertiser ads:*" in choices
    for level in ("Campaign", "Ad set", "Creative", "Ad"):
        assert f"{level} `" in choices
