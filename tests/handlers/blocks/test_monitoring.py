"""Pacing and health alerts, approval reminders: what they say and which buttons they carry."""

from __future__ import annotations

from handlers.blocks.monitoring import PACING, build_approval_reminder, build_pacing_alert
from handlers.forms import parse_action_value
from handlers.ids import CampaignAction
from meta.domain.pacing import Condition
from tests.handlers.factories import (
    HOSTILE,
    assert_escaped,
    assert_slack_accepts,
    hostile_summary,
    make_summary,
)

LIVE = make_summary(status="active")


def buttons(payload: dict) -> list[dict]:
    return [e for b in payload["blocks"] if b["type"] == "actions" for e in b["elements"]]


def test_every_condition_has_words_and_pause_link_and_report_buttons() -> None:
    assert set(PACING) == {c.value for c in Condition}
    for condition in Condition:
        alert = build_pacing_alert(condition, LIVE, "spent SGD 0.00 by 18:00")
        assert [b["action_id"] for b in buttons(alert)] == [
            CampaignAction.PAUSE,
            CampaignAction.OPEN_ADS_MANAGER,
            CampaignAction.REPORT,
        ]
        link, report = buttons(alert)[1:]
        assert link["url"] == LIVE.ads_manager_url
        assert parse_action_value(report["value"]).campaign_id == LIVE.id
        assert report["text"]["text"] == "Report" and "url" not in report
        assert "> spent SGD 0.00 by 18:00" in alert["blocks"][0]["text"]["text"]
        assert_slack_accepts("message", alert)


def test_a_paused_campaign_is_not_offered_pause() -> None:
    alert = build_pacing_alert("account_blocked", make_summary(status="paused"), None)
    assert [b["action_id"] for b in buttons(alert)] == [
        CampaignAction.OPEN_ADS_MANAGER,
        CampaignAction.REPORT,
    ]


def test_reminder_mentions_people_and_groups() -> None:
    reminder = build_approval_reminder(LIVE, ["U0BOB", "S0APPROVERS"], "waiting for 5 h")
    assert reminder["text"].startswith(":alarm_clock: <@U0BOB> <!subteam^S0APPROVERS>: ")
    assert "still waiting for approval (waiting for 5 h)" in reminder["text"]
    assert_slack_accepts("message", reminder)


def test_hostile_text_is_escaped() -> None:
    summary = hostile_summary(status="active")
    assert_escaped(build_pacing_alert("overspend", summary, HOSTILE * 50))
    assert_escaped(build_approval_reminder(summary, ["U0BOB"], HOSTILE))
    assert_slack_accepts("message", build_pacing_alert("overspend", summary, HOSTILE * 50))
