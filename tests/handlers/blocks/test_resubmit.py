"""Edit and re-submit: the button on a disapproval alert and Meta's reason on top of the edit
modal, marked so its submission is audited as a re-submit."""

from __future__ import annotations

from datetime import UTC, datetime

from handlers.blocks.alerts import build_alert
from handlers.blocks.resubmit import build_resubmit_modal, is_resubmit
from handlers.ids import CampaignAction, CampaignEditBlock
from tests.handlers.blocks.test_edits import modal as edit_modal
from tests.handlers.factories import assert_escaped, assert_slack_accepts, make_summary

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def actions_of(message: dict) -> list[str]:
    return [
        e["action_id"]
        for b in message["blocks"]
        for e in b.get("elements", []) or []
        if e.get("type") == "button"
    ]


def test_a_disapproval_alert_offers_edit_and_resubmit_while_the_campaign_is_editable():
    alert = build_alert(
        kind="ad_disapproved", summary=make_summary(status="created"), detail="x", now=NOW
    )
    assert CampaignAction.RESUBMIT in actions_of(alert)
    assert "Edit and re-submit" in str(alert)
    assert_slack_accepts("message", alert)
    gone = build_alert(
        kind="ad_disapproved", summary=make_summary(status="rejected"), detail="x", now=NOW
    )
    assert CampaignAction.RESUBMIT not in actions_of(gone)
    other = build_alert(kind="live", summary=make_summary(status="active"), detail=None, now=NOW)
    assert CampaignAction.RESUBMIT not in actions_of(other)


def test_the_edit_modal_shows_metas_reason_first_and_is_marked_a_resubmit():
    plain = edit_modal()
    view = build_resubmit_modal(
        plain, reason="Misleading claims: results <!channel>\nOn Instagram: x"
    )
    first = view["blocks"][0]
    assert first["block_id"] == CampaignEditBlock.REVIEW_REASON
    assert "Misleading claims: results" in str(first) and "On Instagram: x" in str(first)
    assert view["blocks"][1:] == plain["blocks"]
    assert is_resubmit(view) and not is_resubmit(plain)
    assert view["callback_id"] == plain["callback_id"]  # submitted as the edit it is
    assert_slack_accepts("modal", view)
    assert_escaped(view)
