"""Issue 16, as an agency meets it in Slack: lower the budget (applied at once), raise it (an
approval card with the diff, applied after Approve), change the text of a live ad (a new
creative, the ad switched to it, the old creative kept), and the history of it all.

The real bot in Socket Mode between the Slack emulator and the Graph API emulator.
"""

from __future__ import annotations

from typing import Any

from handlers.ids import CampaignAction, EditAction
from handlers.ids import CampaignEditBlock as E
from handlers.metadata import ActionMetadata, EditMetadata
from tests.e2e.conftest import APPROVER, CAMPAIGNS, REQUESTER
from tests.e2e.test_campaign_story import campaign_id_of, click, create_campaign

NEW_TEXT = "Meet AINOTE 2: the notebook that writes your meeting notes for you."


def open_editor(slack: Any, user: str, card: dict[str, Any] | None, campaign_id: int) -> dict:
    """The Edit button on the card (or ``/campaign edit`` without one) and the modal it opens."""
    before = slack.ws.top_view(user)
    if card is not None:
        slack.click_button(
            user=user,
            channel=CAMPAIGNS,
            message_ts=card["ts"],
            action_id=CampaignAction.EDIT,
            value=ActionMetadata(campaign_id=campaign_id).model_dump_json(),
        )
    else:
        slack.slash_command(
            user=user, channel=CAMPAIGNS, command="/campaign", text=f"edit {campaign_id}"
        )
    return slack.wait_for_view(
        user=user,
        timeout=30,
        callback_id="campaign-edit-modal",
        predicate=lambda v: before is None or v["id"] != before.id,
    )


def edit_cards(slack: Any, card: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in slack.thread(CAMPAIGNS, card["ts"])[1:] if "Edit " in m.get("text", "")]


def card_saying(slack: Any, card: dict[str, Any], words: str) -> dict[str, Any]:
    return slack.wait_until(
        lambda: next((m for m in edit_cards(slack, card) if words in str(m)), None), timeout=30
    )


def decide(slack: Any, user: str, edit_card: dict[str, Any], action: EditAction) -> None:
    button = next(
        e
        for b in edit_card["blocks"]
        for e in b.get("elements", []) or []
        if e.get("action_id") == action
    )
    slack.click_button(
        user=user,
        channel=CAMPAIGNS,
        message_ts=edit_card["ts"],
        action_id=action,
        value=EditMetadata.model_validate_json(button["value"]).model_dump_json(),
    )


def test_lower_at_once_raise_after_approval_and_the_history(slack, graph, bot):
    card = create_campaign(slack)
    campaign_id = campaign_id_of(card)
    row = bot.services.store.get(campaign_id)

    view = open_editor(slack, REQUESTER, card, campaign_id)
    ack = slack.submit_view(user=REQUESTER, view_id=view["id"], values={E.DAILY_BUDGET: "40"})
    assert "Applied now" in str(ack) and "SGD 50.00 → SGD 40.00" in str(ack)
    card_saying(slack, card, "Applied in Meta")
    assert graph.get_object(row.meta_campaign_id)["daily_budget"] == 4000

    view = open_editor(slack, REQUESTER, None, campaign_id)  # /campaign edit <id>
    ack = slack.submit_view(user=REQUESTER, view_id=view["id"], values={E.DAILY_BUDGET: "80"})
    assert "Sent for approval" in str(ack) and "SGD 40.00 → SGD 80.00" in str(ack)
    waiting = card_saying(slack, card, "Waiting for an approver")
    assert "SGD 40.00 → SGD 80.00" in str(waiting)
    assert graph.get_object(row.meta_campaign_id)["daily_budget"] == 4000  # not yet

    decide(slack, REQUESTER, waiting, EditAction.APPROVE)  # not an approver
    slack.wait_until(lambda: slack.ephemerals(REQUESTER), timeout=30)
    assert "only approvers" in slack.ephemerals(REQUESTER)[-1]["text"]
    decide(slack, APPROVER, waiting, EditAction.APPROVE)
    slack.wait_until(
        lambda: graph.get_object(row.meta_campaign_id)["daily_budget"] == 8000, timeout=30
    )
    applied = slack.wait_until(
        lambda: "Applied in Meta" in str(slack.message(CAMPAIGNS, waiting["ts"])), timeout=30
    )
    assert applied  # the card was updated in place, with who approved it
    assert APPROVER in str(slack.message(CAMPAIGNS, waiting["ts"]))

    before = len(slack.responses)
    slack.slash_command(
        user=REQUESTER, channel=CAMPAIGNS, command="/campaign", text=f"history {campaign_id}"
    )
    history = slack.wait_until(
        lambda: next((e for e in slack.ephemerals(REQUESTER) if "History" in str(e)), None),
        timeout=30,
    )
    text = str(history)
    assert "SGD 50.00 → SGD 40.00" in text and "SGD 40.00 → SGD 80.00" in text
    assert f"approved by {APPROVER}" in text
    assert len(slack.responses) >= before


def test_the_text_of_a_live_ad_is_a_new_creative_after_approval(slack, graph, bot):
    card = create_campaign(slack)
    campaign_id = campaign_id_of(card)
    click(slack, APPROVER, card, CampaignAction.APPROVE, campaign_id)
    store = bot.services.store
    slack.wait_until(lambda: store.get(campaign_id).status in ("scheduled", "armed"), timeout=30)
    slack.slash_command(
        user=APPROVER, channel=CAMPAIGNS, command="/campaign", text=f"activate {campaign_id}"
    )
    slack.wait_until(lambda: store.get(campaign_id).status == "active", timeout=30)
    row = store.get(campaign_id)
    old_creative = row.creative_id

    view = open_editor(slack, REQUESTER, None, campaign_id)
    ack = slack.submit_view(user=REQUESTER, view_id=view["id"], values={E.PRIMARY_TEXT: NEW_TEXT})
    assert "Sent for approval" in str(ack)  # a live campaign: an approver decides
    waiting = card_saying(slack, card, "Waiting for an approver")
    decide(slack, APPROVER, waiting, EditAction.APPROVE)
    slack.wait_until(lambda: store.get(campaign_id).creative_id != old_creative, timeout=30)

    row = store.get(campaign_id)
    new = graph.get_object(row.creative_id)
    assert new["object_story_spec"]["video_data"]["message"] == NEW_TEXT
    assert graph.get_object(row.ad_id)["creative_id"] == row.creative_id
    assert any(  # the switch put the ad back into Meta's review
        r.method == "POST" and r.path.endswith(f"/{row.ad_id}") and "creative" in r.params
        for r in graph.requests
    )
    assert graph.get_object(old_creative)["status"] == "ACTIVE"  # kept until the new one passes
    slack.wait_until(
        lambda: "the old creative is kept" in str(slack.message(CAMPAIGNS, waiting["ts"])),
        timeout=30,
    )
