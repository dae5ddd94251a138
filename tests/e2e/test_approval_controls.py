"""Issue 13 part B, as approvers meet it: the real ad on the card, big budgets asking the
big-spend group instead of being refused, the approval covering what was sent, drift alerted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.runner import RunningBot
from handlers.ids import CampaignAction
from handlers.ids import CampaignCreateBlock as B
from handlers.ids import CampaignMessageBlock as M
from handlers.metadata import ActionMetadata
from tests.e2e.conftest import (
    ALERTS,
    APPROVER,
    BYSTANDER,
    CAMPAIGNS,
    REQUESTER,
    ROOT,
    running_bot,
)
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


@pytest.fixture
def quick_bot(slack, graph, tmp_path, monkeypatch) -> Iterator[RunningBot]:
    """The bot with the alert outbox flushed every second, so an alert shows without waiting."""
    monkeypatch.chdir(ROOT)
    with running_bot(slack, graph, tmp_path / "adbee.db", alert_flush_seconds=1) as running:
        yield running


def drift_alerts(slack) -> list[dict]:
    return [m for m in slack.messages(ALERTS) if "approved" in m.get("text", "")]


def sync_now(slack, campaign_id: int) -> None:
    """``/campaign sync <id>``, waiting for its answer (the sync has run when it comes)."""

    def answers() -> int:
        return sum("is now" in e["text"] for e in slack.ephemerals(APPROVER))

    before = answers()
    slack.slash_command(
        user=APPROVER, channel=CAMPAIGNS, command="/campaign", text=f"sync {campaign_id}"
    )
    slack.wait_until(lambda: answers() > before, timeout=10)


def test_a_drift_is_alerted_once_and_reapply_restores_the_approved_state(slack, graph, quick_bot):
    message = create_campaign(slack)
    campaign_id = campaign_id_of(message)
    store = quick_bot.services.store
    row = store.get(campaign_id)
    approved_targeting = graph.get_object(row.adset_id)["targeting"]
    assert drift_alerts(slack) == []  # right after creation Meta shows what was sent

    # Someone narrows the placements in Ads Manager: no longer Advantage+ Sales.
    graph.edit_object(
        row.adset_id, targeting={**approved_targeting, "publisher_platforms": ["facebook"]}
    )
    for _ in range(2):  # the second sync sees the same drift: no second alert
        sync_now(slack, campaign_id)
    alert = slack.wait_until(lambda: drift_alerts(slack), timeout=10)[0]
    assert "ADVANTAGE_PLUS_SALES" in str(alert["blocks"])
    in_thread = slack.wait_until(
        lambda: [
            m for m in slack.thread(CAMPAIGNS, message["ts"])[1:] if "approved" in m.get("text", "")
        ],
        timeout=5,
    )
    assert len(in_thread) == 1, "said once in the campaign's thread too"
    assert len([a for a in store.alerts() if a.kind == "settings_drift"]) == 1
    assert len(drift_alerts(slack)) == 1

    # A bystander cannot re-apply; an approver can, and it is audited.
    for user in (BYSTANDER, APPROVER):
        slack.click_button(
            user=user,
            channel=ALERTS,
            message_ts=alert["ts"],
            action_id=CampaignAction.REAPPLY,
            value=ActionMetadata(campaign_id=campaign_id).model_dump_json(),
        )
    slack.wait_until(lambda: slack.ephemerals(BYSTANDER), timeout=5)
    assert "only approvers" in slack.ephemerals(BYSTANDER)[-1]["text"]
    restored = slack.wait_until(
        lambda: any(
            e.action == "reapply" and e.outcome == "ok"
            for e in store.audit_events(campaign_id=campaign_id)
        ),
        timeout=10,
    )
    assert restored
    assert "publisher_platforms" not in graph.get_object(row.adset_id)["targeting"]
    assert "_drift" not in store.get(campaign_id).last_sync
    sync_now(slack, campaign_id)
    assert len([a for a in store.alerts() if a.kind == "settings_drift"]) == 1


def test_an_enhancement_meta_turns_back_on_is_alerted_once_and_reapply_restores_it(
    slack, graph, quick_bot
):
    message = create_campaign(slack)
    campaign_id = campaign_id_of(message)
    store = quick_bot.services.store
    choices = {b.get("block_id"): b for b in message["blocks"]}[M.CHOICES]["text"]["text"]
    assert "opted out" in choices and "off (`OPT_OUT`)" in choices
    old_creative = store.get(campaign_id).creative_id

    # Meta switches text optimisations and multi-advertiser ads back on after creation.
    graph.flip_enhancement_on(old_creative, "text_optimizations", multi_advertiser=True)
    for _ in range(2):
        sync_now(slack, campaign_id)
    alert = slack.wait_until(lambda: drift_alerts(slack), timeout=10)[0]
    assert "text_optimizations: approved OPT_OUT, Meta shows OPT_IN" in str(alert["blocks"])
    assert "multi-advertiser ads: approved OPT_OUT, Meta shows OPT_IN" in str(alert["blocks"])
    assert len([a for a in store.alerts() if a.kind == "settings_drift"]) == 1

    slack.click_button(
        user=APPROVER,
        channel=ALERTS,
        message_ts=alert["ts"],
        action_id=CampaignAction.REAPPLY,
        value=ActionMetadata(campaign_id=campaign_id).model_dump_json(),
    )
    assert (
        slack.wait_until(
            lambda: [
                e for e in store.audit_events(campaign_id=campaign_id) if e.action == "reapply"
            ],
            timeout=10,
        )[0].outcome
        == "ok"
    )
    row = store.get(campaign_id)
    assert row.creative_id != old_creative
    new = graph.get_object(row.creative_id)
    features = new["degrees_of_freedom_spec"]["creative_features_spec"]
    assert features["text_optimizations"] == {"enroll_status": "OPT_OUT"}
    assert new["contextual_multi_ads"] == {"enroll_status": "OPT_OUT"}
    assert graph.get_object(row.ad_id)["creative_id"] == row.creative_id
    assert "_drift" not in row.last_sync
    validated = [
        r
        for r in graph.requests
        if r.method == "POST" and "validate_only" in str(r.params.get("execution_options"))
    ]
    assert validated, "re-applied only after Meta validated it"
