"""The App Home tab: three groups, approvers' queue first, the channel cards' buttons."""

from __future__ import annotations

from handlers.blocks.home import MAX_PER_GROUP, TodayNumbers, build_home
from handlers.ids import CampaignAction
from tests.handlers.factories import (
    NOW,
    START,
    assert_escaped,
    assert_slack_accepts,
    hostile_summary,
    make_summary,
)

WAITING = make_summary(id=1, status="created", requested_by="U0ALICE")
SCHEDULED = make_summary(id=2, status="scheduled", activate_at=START, approved_by="U0BOB")
LIVE = make_summary(id=3, status="active", activated_at=NOW, requested_by="U0ALICE")
PAUSED = make_summary(id=4, status="paused")
DONE = make_summary(id=5, status="rejected")


def headers(view):
    return [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]


def buttons(view, campaign_id):
    return [
        e["action_id"]
        for b in view["blocks"]
        if b["type"] == "actions" and b["block_id"].startswith(f"home-c{campaign_id}-")
        for e in b["elements"]
    ]


def text(view):
    return "\n".join(b["text"]["text"] for b in view["blocks"] if b["type"] == "section")


def test_an_approver_sees_what_waits_for_them_first():
    view = build_home(
        user_id="U0BOB", is_approver=True, campaigns=[LIVE, SCHEDULED, WAITING, PAUSED], now=NOW
    )
    assert view["type"] == "home"
    assert headers(view) == ["Waiting for your approval (1)", "Scheduled (1)", "Live (2)"]
    assert buttons(view, 1) == [
        CampaignAction.APPROVE,
        CampaignAction.REJECT,
        CampaignAction.EDIT,
        CampaignAction.DUPLICATE,
    ]
    edit, dup = CampaignAction.EDIT, CampaignAction.DUPLICATE  # every campaign card has both
    assert buttons(view, 2) == [CampaignAction.ACTIVATE, CampaignAction.CANCEL, edit, dup]
    assert buttons(view, 3) == [CampaignAction.PAUSE, CampaignAction.SYNC, edit, dup]
    assert buttons(view, 4) == [CampaignAction.RESUME, CampaignAction.SYNC, edit, dup]
    assert_slack_accepts("home", view)


def test_a_requester_sees_live_first_and_their_own_campaigns_first():
    other_live = make_summary(id=9, status="active", requested_by="U0CAROL")
    view = build_home(
        user_id="U0ALICE",
        is_approver=False,
        campaigns=[other_live, LIVE, WAITING],
        now=NOW,
    )
    assert headers(view) == ["Live (2)", "Scheduled (0)", "Waiting for approval (1)"]
    body = text(view)
    assert body.index("AdBee #3") < body.index("AdBee #9")  # own first, though older
    assert "(AdBee #3) · _yours_" in body
    assert "Nothing is scheduled." in str(view)
    assert_slack_accepts("home", view)


def test_finished_campaigns_are_not_on_the_dashboard():
    view = build_home(user_id="U0BOB", is_approver=True, campaigns=[DONE], now=NOW)
    assert "AdBee #5" not in str(view)


def test_live_campaigns_show_todays_spend_and_roas_when_known():
    view = build_home(
        user_id="U0BOB",
        is_approver=True,
        campaigns=[LIVE, PAUSED],
        now=NOW,
        today={3: TodayNumbers(spend_text="SGD 12.34", roas_text="2.50")},
    )
    body = text(view)
    assert "Today: spent SGD 12.34 · ROAS 2.50" in body
    assert "Today: no figures from Meta yet" in body  # #4 has none


def test_every_block_id_is_unique_and_the_view_stays_within_100_blocks():
    many = [make_summary(id=i, status=s) for i in range(1, 61) for s in ("created",)]
    many += [make_summary(id=100 + i, status="active") for i in range(60)]
    many += [make_summary(id=200 + i, status="scheduled", activate_at=START) for i in range(60)]
    view = build_home(user_id="U0BOB", is_approver=True, campaigns=many, now=NOW)
    ids = [b["block_id"] for b in view["blocks"] if "block_id" in b]
    assert len(ids) == len(set(ids))
    assert len(view["blocks"]) <= 100
    assert headers(view) == ["Waiting for your approval (60)", "Scheduled (60)", "Live (60)"]
    assert f"…and {60 - MAX_PER_GROUP} more" in str(view)
    assert_slack_accepts("home", view)


def test_hostile_names_are_escaped():
    view = build_home(
        user_id="U0BOB",
        is_approver=True,
        campaigns=[hostile_summary(status=s, id=i) for i, s in enumerate(("created", "active"), 1)],
        now=NOW,
    )
    assert_escaped(view)
    assert_slack_accepts("home", view)
