"""Alerts for the alerts channel: each kind says what happened, Meta's words, and what to do."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.blocks.alerts import KINDS, build_alert
from handlers.forms import parse_action_value
from handlers.ids import CampaignAction
from tests.handlers.factories import (
    NOW,
    START,
    assert_escaped,
    assert_slack_accepts,
    hostile_summary,
    make_summary,
    mrkdwn_texts,
)


def text(payload):
    return "\n".join(mrkdwn_texts(payload))


def action_ids(payload):
    return [
        e["action_id"] for b in payload["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]


def test_live():
    summary = make_summary(status="active", activated_at=START, activate_at=START)
    alert = build_alert(kind="live", summary=summary, detail=None, now=START)
    assert ":rocket: *AINOTE2 launch SG* (AdBee #12) is live." in text(alert)
    assert alert["text"] == "AINOTE2 launch SG is live"
    assert action_ids(alert) == [CampaignAction.PAUSE, CampaignAction.SYNC]
    pause = alert["blocks"][-1]["elements"][0]
    assert parse_action_value(pause["value"]).campaign_id == 12


def test_live_late_says_how_late():
    summary = make_summary(
        status="active", activate_at=START, activated_at=START + timedelta(minutes=7)
    )
    alert = build_alert(kind="live_late", summary=summary, detail=None, now=NOW)
    assert "> late by 7 minutes" in text(alert)
    given = build_alert(kind="live_late", summary=summary, detail="late by 2 hours", now=NOW)
    assert "> late by 2 hours" in text(given)


def test_activation_failed_shows_metas_message_the_fix_and_a_retry():
    detail = "Ad account disabled (code 2635). Fix the value Meta names above."
    summary = make_summary(status="activation_failed", error=detail)
    alert = build_alert(kind="activation_failed", summary=summary, detail=None, now=NOW)
    body = text(alert)
    assert f"> {detail}" in body and "It is paused again." in body
    assert action_ids(alert) == [CampaignAction.ACTIVATE]


def test_creation_failed_uses_the_recorded_error():
    summary = make_summary(status="failed", error="Uploading video stopped: timeout")
    alert = build_alert(kind="creation_failed", summary=summary, detail=None, now=NOW)
    assert "could not be created" in text(alert)
    assert "> Uploading video stopped: timeout" in text(alert)


def test_status_changed_shows_old_and_new():
    summary = make_summary(status="paused")
    alert = build_alert(
        kind="status_changed", summary=summary, detail="campaign: ACTIVE -> PAUSED", now=NOW
    )
    assert "> campaign: ACTIVE → PAUSED" in text(alert)


def test_disapproval_and_delivery_issue_carry_the_reason():
    summary = make_summary(status="active")
    alert = build_alert(
        kind="ad_disapproved", summary=summary, detail="Adult content: nudity", now=NOW
    )
    assert "Meta disapproved" in text(alert) and "> Adult content: nudity" in text(alert)
    issue = build_alert(kind="delivery_issue", summary=summary, detail="No payment method", now=NOW)
    assert "delivery issue" in text(issue) and "No payment method" in text(issue)


def test_a_disapproval_lists_each_placement_with_its_policy_and_reason():
    detail = (
        "Misleading claims: The ad promises results it cannot show.\n"
        "On Instagram, Personal Health: Ads may not show before-and-after images.\n"
        "On WhatsApp, Personal Health: Ads may not show before-and-after images."
    )
    alert = build_alert(kind="ad_disapproved", summary=make_summary(), detail=detail, now=NOW)
    shown = text(alert)
    assert "> • Misleading claims: The ad promises results it cannot show." in shown
    assert "> • On Instagram, Personal Health: Ads may not show before-and-after images." in shown
    assert "> • On WhatsApp, Personal Health:" in shown
    assert_slack_accepts("message", alert)


def test_account_wide_alert_needs_no_campaign():
    alert = build_alert(kind="meta_auth", summary=None, detail="Token expired (code 190)", now=NOW)
    assert "Renew the system-user token" in text(alert)
    # Says exactly when a restart is needed, as docs/troubleshooting.md does.
    assert "no restart" in text(alert) and "restart AdBee" in text(alert)
    assert_slack_accepts("message", alert)


def test_an_unknown_kind_still_renders():
    alert = build_alert(kind="budget_spent", summary=make_summary(), detail="90%", now=NOW)
    assert "alert: budget spent" in text(alert)
    assert_slack_accepts("message", alert)


@pytest.mark.parametrize("kind", [*KINDS, "new_kind"])
@pytest.mark.parametrize("status", ["active", "paused", "activation_failed", "failed"])
def test_every_kind_with_hostile_input_is_valid_and_escaped(kind, status):
    summary = hostile_summary(status=status)
    alert = build_alert(kind=kind, summary=summary, detail=summary.error, now=NOW)
    assert_slack_accepts("message", alert)
    assert_escaped(alert)
