"""App Home: an approver and a requester open the Home tab and see the three groups.

Real bot, real Socket Mode: ``app_home_opened`` goes out only because the manifest subscribes to
it, and the emulator judges the published view as Slack does (``home``, ≤ 100 blocks).
"""

from __future__ import annotations

from handlers.ids import CampaignAction
from tests.e2e.conftest import APPROVER, CAMPAIGNS, REQUESTER
from tests.e2e.test_campaign_story import create_campaign


def headers(view: dict) -> list[str]:
    return [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]


def test_home_shows_three_groups_to_an_approver_and_a_requester(slack, bot) -> None:
    create_campaign(slack)

    slack.open_app_home(APPROVER)
    mine = slack.wait_for_home(APPROVER, predicate=lambda v: "AdBee #1" in str(v))
    assert headers(mine) == ["Waiting for your approval (1)", "Scheduled (0)", "Live (0)"]

    slack.open_app_home(REQUESTER)
    theirs = slack.wait_for_home(REQUESTER, predicate=lambda v: "AdBee #1" in str(v))
    assert headers(theirs) == ["Live (0)", "Scheduled (0)", "Waiting for approval (1)"]
    assert "_yours_" in str(theirs)
    assert slack.problems == []

    # The approver approves from the Home tab itself; both tabs follow without being reopened.
    slack.click_home_button(APPROVER, CampaignAction.APPROVE)
    for user in (APPROVER, REQUESTER):
        view = slack.wait_for_home(
            user, predicate=lambda v: "Scheduled (1)" in headers(v), timeout=10
        )
        assert any(h.startswith("Waiting") and h.endswith("(0)") for h in headers(view))


def test_a_refused_click_on_the_home_tab_is_explained_in_the_apps_messages(slack, bot) -> None:
    create_campaign(slack)
    slack.open_app_home(REQUESTER)
    slack.wait_for_home(REQUESTER, predicate=lambda v: "AdBee #1" in str(v))
    slack.click_home_button(REQUESTER, CampaignAction.APPROVE)
    refusal = slack.wait_until(
        lambda: [m for m in slack.messages(REQUESTER) if "cannot approve" in m.get("text", "")]
    )
    assert "only approvers" in refusal[0]["text"]


def test_without_the_event_subscription_nothing_is_published(slack, bot) -> None:
    slack.subscribed_events.discard("app_home_opened")
    assert slack.open_app_home(REQUESTER) is None
    assert slack.home_view(REQUESTER) is None


def test_a_live_campaign_shows_todays_spend_and_roas_from_meta(slack, bot) -> None:
    """The live group's line carries Meta's Insights for today, in the account's currency."""
    create_campaign(slack)
    row = bot.services.store.list_campaigns()[0]
    slack.slash_command(
        user=APPROVER, channel=CAMPAIGNS, command="/campaign", text=f"activate {row.id}"
    )
    slack.wait_until(lambda: bot.services.store.get(row.id).status == "active", timeout=15)

    slack.open_app_home(APPROVER)
    view = slack.wait_for_home(
        APPROVER, predicate=lambda v: "Live (1)" in headers(v) and "Today: spent" in str(v)
    )
    line = next(b["text"]["text"] for b in view["blocks"] if b.get("block_id") == f"home-c{row.id}")
    assert "Today: spent SGD " in line and " · ROAS " in line
    assert "no figures from Meta yet" not in line
    assert slack.problems == []
