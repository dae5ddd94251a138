"""Ephemeral replies: help, lists, one campaign, accounts."""

from __future__ import annotations

from handlers.blocks.listing import (
    MAX_ROWS,
    build_accounts,
    build_campaign_list,
    build_campaign_status,
    build_help,
)
from handlers.forms import parse_command_text
from handlers.ids import CampaignAction
from meta.domain.accounts import Regulation
from tests.handlers.factories import (
    HOSTILE,
    NOW,
    assert_escaped,
    assert_slack_accepts,
    hostile_summary,
    make_account,
    make_summary,
    mrkdwn_texts,
)


def text(payload):
    return "\n".join(mrkdwn_texts(payload))


def test_help_lists_every_subcommand_and_is_ephemeral():
    reply = build_help()
    assert reply["response_type"] == "ephemeral"
    for sub in ("create", "list", "status", "accounts", "cancel", "reschedule", "pause",
                "resume", "activate", "sync", "help"):  # fmt: skip
        assert f"`/campaign {sub}" in text(reply)
    assert_slack_accepts("message", reply)


def test_help_says_what_was_not_understood_escaped():
    request = parse_command_text("&lt;!channel&gt;")
    reply = build_help(request.note)
    assert "I don't know `&lt;!channel&gt;`" in text(reply)
    assert_escaped(reply)
    assert_escaped(build_help(HOSTILE * 100))
    assert_slack_accepts("message", build_help(HOSTILE * 100))


def test_empty_list_points_to_create():
    reply = build_campaign_list([], account_key="iflytek-sg")
    assert "No campaigns in `iflytek-sg` yet" in text(reply)


def test_list_shows_status_budget_and_start():
    reply = build_campaign_list([make_summary(status="active"), make_summary(id=13)])
    body = text(reply)
    assert "*AINOTE2 launch SG* (AdBee #12) · :large_green_circle: live" in body
    assert "SGD 50.00/day · starts Thu 3 Dec 2026, 20:00 SGT · SG, MY" in body
    assert ":eyes: awaiting approval" in body


def test_long_lists_are_cut_inside_the_block_limit():
    summaries = [hostile_summary(id=i) for i in range(1, 120)]
    reply = build_campaign_list(summaries, account_key=HOSTILE)
    assert f"and {119 - MAX_ROWS} more" in text(reply)
    assert_slack_accepts("message", reply)
    assert_escaped(reply)


def test_status_reply_has_facts_error_and_buttons():
    summary = make_summary(status="activation_failed", error="Payment method declined")
    reply = build_campaign_status(summary, now=NOW)
    body = text(reply)
    assert ":red_circle: activation failed" in body and "Payment method declined" in body
    actions = [b for b in reply["blocks"] if b["type"] == "actions"]
    assert actions[0]["elements"][0]["action_id"] == CampaignAction.ACTIVATE
    assert_slack_accepts("message", reply)
    hostile = build_campaign_status(hostile_summary(status="paused"), now=NOW)
    assert_slack_accepts("message", hostile)
    assert_escaped(hostile)


def test_accounts_show_currency_timezone_cap_and_regulation():
    accounts = [
        make_account(),
        make_account(key="iflytek-us", name="iFLYTEK US", currency="USD",
                     timezone="America/Los_Angeles", regulation=Regulation(), max_daily_budget=None),
    ]  # fmt: skip
    body = text(build_accounts(accounts))
    assert "*iFLYTEK Singapore* (`iflytek-sg`) · `act_1234567890`" in body
    assert "SGD · Asia/Singapore · max SGD 2000/day · Singapore targeting ready" in body
    assert "USD · America/Los_Angeles · no cap · Singapore targeting not set up" in body
    many = build_accounts([make_account(key=f"a{i}", name=HOSTILE) for i in range(60)])
    assert_slack_accepts("message", many)
    assert_escaped(many)
    assert "No ad accounts" in text(build_accounts([]))
