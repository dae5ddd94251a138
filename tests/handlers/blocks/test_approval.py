"""The approval card and each state it turns into after a decision."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.blocks.approval import build_approval_message, build_decided_message
from handlers.forms import parse_action_value
from handlers.ids import CampaignAction, CampaignMessageBlock
from meta.domain.advantage import AdvantageState
from tests.handlers.factories import (
    NOW,
    START,
    all_text,
    assert_escaped,
    assert_slack_accepts,
    hostile_summary,
    make_summary,
)

STATUSES = [
    "creating", "failed", "rolled_back", "created", "scheduled", "activating", "active",
    "activation_failed", "paused", "rejected", "cancelled", "something_new",
]  # fmt: skip


def buttons(payload):
    return [
        element
        for block in payload["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def text_of(payload):
    return "\n".join(
        piece["text"]
        for block in payload["blocks"]
        for piece in [block.get("text") or {}, *block.get("fields", []), *block.get("elements", [])]
        if isinstance(piece, dict) and piece.get("type") in ("mrkdwn", "plain_text")
    )


def test_approval_card_summarises_the_campaign():
    message = build_approval_message(summary=make_summary(), now=NOW)
    text = text_of(message)
    assert "iFLYTEK Singapore" in text and "`iflytek-sg`" in text
    assert "SGD 50.00" in text
    assert "Thu 3 Dec 2026, 20:00 SGT (in 2 days)" in text
    assert "Runs until paused" in text
    assert "SG, MY" in text
    assert "<@U0REQUESTER>" in text
    assert "Campaign `900000000000003`" in text and "Ad `900000000000005`" in text
    assert (
        "<https://adsmanager.facebook.com/adsmanager/manage/campaigns?act=1234567890"
        "&amp;selected_campaign_ids=900000000000003|Open in Ads Manager>" in text
    )
    assert message["text"].startswith("Approval needed: AINOTE2 launch SG (SGD 50.00/day")
    assert_slack_accepts("message", message)


def test_approve_and_reject_buttons_carry_the_campaign_id_and_confirm():
    approve, reject, edit, dup = buttons(
        build_approval_message(summary=make_summary(id=77), now=NOW)
    )
    assert edit["action_id"] == CampaignAction.EDIT  # an edit before approval: the same modal
    assert parse_action_value(edit["value"]).campaign_id == 77
    assert dup["action_id"] == CampaignAction.DUPLICATE
    assert parse_action_value(dup["value"]).campaign_id == 77
    assert (approve["action_id"], approve["style"]) == (CampaignAction.APPROVE, "primary")
    assert (reject["action_id"], reject["style"]) == (CampaignAction.REJECT, "danger")
    for button in (approve, reject):
        assert parse_action_value(button["value"]).campaign_id == 77
        assert button["confirm"]["confirm"]["text"] in ("Approve", "Reject")
    assert "cannot be undone" in reject["confirm"]["text"]["text"]


def test_warnings_are_shown():
    summary = make_summary(warnings=("primary_text is 300 characters; Meta shows about 125",))
    assert "Meta shows about 125" in text_of(build_approval_message(summary=summary, now=NOW))


@pytest.mark.parametrize("status", STATUSES)
def test_hostile_input_is_escaped_and_within_limits(status):
    summary = hostile_summary(status=status)
    for message in (
        build_approval_message(summary=summary, now=NOW),
        build_decided_message(summary, NOW),
    ):
        assert_slack_accepts("message", message)
        assert_escaped(message)
        dumped = all_text(message)
        assert "&lt;!channel&gt;" in dumped and "&amp;" in dumped


def test_scheduled_card_says_when_it_activates():
    summary = make_summary(status="scheduled", approved_by="U0APPROVER", activate_at=START)
    message = build_decided_message(summary, NOW)
    assert (
        "*Approved* by <@U0APPROVER>. Activates Thu 3 Dec 2026, 20:00 SGT (in 2 days)."
        in text_of(message)
    )
    assert [b["action_id"] for b in buttons(message)] == [
        CampaignAction.ACTIVATE,
        CampaignAction.CANCEL,
        CampaignAction.EDIT,
        CampaignAction.DUPLICATE,
    ]
    assert message["text"] == (
        "AINOTE2 launch SG: approved, activates Thu 3 Dec 2026, 20:00 SGT (in 2 days)"
    )


def test_live_card_offers_pause_and_sync():
    summary = make_summary(status="active", activated_at=NOW - timedelta(hours=3))
    message = build_decided_message(summary, NOW)
    assert "*Live* since Tue 1 Dec 2026, 17:00 SGT (3 hours ago)" in text_of(message)
    assert [b["action_id"] for b in buttons(message)] == [
        CampaignAction.PAUSE,
        CampaignAction.SYNC,
        CampaignAction.EDIT,
        CampaignAction.DUPLICATE,
    ]


EDIT, DUP = CampaignAction.EDIT, CampaignAction.DUPLICATE


@pytest.mark.parametrize(
    ("status", "actions", "words"),
    [
        ("paused", [CampaignAction.RESUME, CampaignAction.SYNC, EDIT, DUP], "*Paused*"),
        ("cancelled", [CampaignAction.ACTIVATE, EDIT, DUP], "/campaign reschedule 12 <time>"),
        ("activation_failed", [CampaignAction.ACTIVATE, EDIT, DUP], "*Activation failed*"),
        ("rejected", [], "deleted from Meta"),
        ("failed", [CampaignAction.RESUME_CREATION], "*Creation stopped*"),
        ("rolled_back", [], "it had created was deleted"),
        ("activating", [], "*Activating*"),
    ],
)
def test_each_state_has_its_words_and_buttons(status, actions, words):
    message = build_decided_message(make_summary(status=status, error="Meta said no."), NOW)
    assert words in text_of(message)
    assert [b["action_id"] for b in buttons(message)] == actions
    assert_slack_accepts("message", message)


def test_failures_show_the_error_and_the_fix():
    error = "Invalid parameter (code 100/1885272). Fix the value Meta names above."
    message = build_decided_message(make_summary(status="activation_failed", error=error), NOW)
    assert error in text_of(message)
    assert buttons(message)[0]["text"]["text"] == "Retry activation"


def test_a_rolled_back_card_says_whether_the_uploaded_video_was_kept():
    kept = build_decided_message(make_summary(status="rolled_back", error="Meta said no."), NOW)
    assert "the uploaded video 900000000000001 was kept" in text_of(kept)
    gone = make_summary(status="rolled_back", error="Meta said no.", video_id=None)
    assert "Everything it had created was deleted" in text_of(build_decided_message(gone, NOW))


def _advantage(
    state: str, budget: str = "ENABLED", audience: str = "ENABLED", placement: str = "ENABLED"
):
    return AdvantageState.from_graph(
        {
            "advantage_state": state,
            "advantage_budget_state": budget,
            "advantage_audience_state": audience,
            "advantage_placement_state": placement,
        }
    )


def _advantage_text(message) -> str:
    [block] = [b for b in message["blocks"] if b.get("block_id") == CampaignMessageBlock.ADVANTAGE]
    return text_of({"blocks": [block]})


def test_the_approval_card_confirms_advantage_plus_sales_when_meta_does():
    summary = make_summary(advantage=_advantage("ADVANTAGE_PLUS_SALES"))
    message = build_approval_message(summary=summary, now=NOW)
    assert "Meta classifies it as *Advantage+ Sales*" in _advantage_text(message)
    assert_slack_accepts("message", message)


def test_the_approval_card_names_each_lever_meta_reports_off():
    summary = make_summary(
        advantage=_advantage("DISABLED", budget="DISABLED", placement="DISABLED")
    )
    message = build_approval_message(summary=summary, now=NOW)
    shown = _advantage_text(message)
    assert "Meta does *not* classify it as Advantage+ Sales (it reports `DISABLED`)" in shown
    assert (
        "*Advantage+ campaign budget* is off (`DISABLED`): put the budget on the campaign" in shown
    )
    assert "*Advantage+ placements* is off (`DISABLED`): remove every placement" in shown
    assert "Advantage+ audience" not in shown
    assert_slack_accepts("message", message)


def test_the_approval_card_says_when_the_classification_is_not_known_yet():
    message = build_approval_message(summary=make_summary(advantage=None), now=NOW)
    assert "classification has not been read yet" in _advantage_text(message)


def test_rejection_names_the_approver_when_recorded():
    summary = make_summary(status="rejected", error="rejected by U0BOSS")
    assert "*Rejected* by <@U0BOSS>" in text_of(build_decided_message(summary, NOW))


def test_a_created_campaign_still_shows_the_approval_card():
    summary = make_summary(status="created")
    assert build_decided_message(summary, NOW) == build_approval_message(summary=summary, now=NOW)


def test_block_ids_are_stable_for_chat_update():
    message = build_decided_message(make_summary(status="active"), NOW)
    ids = [b.get("block_id") for b in message["blocks"]]
    assert ids[:2] == [CampaignMessageBlock.HEADER, CampaignMessageBlock.STATUS]
    assert ids[-1] == CampaignMessageBlock.ACTIONS
