"""An ad account near Meta's rate limit: Alice's next campaign waits, and Slack says why.

AdBee starts no new work in an ad account whose usage, as Meta's headers report it, is at or above
``META_USAGE_CEILING`` (50 %): Meta would throttle the whole account for a minute or more. Such a
request used to show nothing in Slack until the usage fell; now its message says it is waiting
for the account's usage, and becomes its progress and card once it starts.
"""

from __future__ import annotations

from handlers.ids import CampaignCreateBlock as B
from tests.e2e.conftest import CAMPAIGNS, REQUESTER
from tests.e2e.test_campaign_story import (
    approval_message,
    create_campaign,
    good_values,
    has_approve,
    open_form,
    upload_video,
)

WAITING = "is waiting: Meta reports"


def test_a_request_held_for_the_accounts_usage_says_so_then_goes_ahead(slack, graph, bot):
    probe = bot.services.graph.usage
    # A small score limit: one creation (about 26 points) takes the account over half of it;
    # Meta's usage headers say so, and that the window empties within seconds.
    graph.max_score = 40
    graph.score_decay_seconds = 12.0
    create_campaign(slack)
    [account] = probe.peak
    assert probe.percent(account) >= 50, probe.peak

    view = open_form(slack)
    slack.submit_view(
        user=REQUESTER,
        view_id=view["id"],
        values={**good_values(upload_video(slack)), B.NAME: "AINOTE2 second launch"},
    )
    waiting = slack.wait_until(
        lambda: next((m for m in slack.messages(CAMPAIGNS) if WAITING in m["text"]), None),
        timeout=10,
    )
    assert "AINOTE2 second launch" in waiting["text"] and "below 50 %" in waiting["text"]
    assert "nothing was sent to Meta yet" in waiting["text"]

    # The usage falls (the limit back to Meta's usual); once the account's reading is over,
    # the same message turns into the creation's progress, then points at its card.
    graph.max_score = 9000

    def second_card():
        approval_message(slack)
        cards = [m for m in slack.messages(CAMPAIGNS) if has_approve(m)]
        return cards if len(cards) == 2 else None

    slack.wait_until(second_card, timeout=90)
    versions = slack.message_history(CAMPAIGNS, waiting["ts"])
    assert WAITING in versions[0]["text"]
    assert any("AINOTE2 second launch" in v["text"] for v in versions[1:])
    assert "its approval card is below" in versions[-1]["text"]
    assert len(graph.objects("campaign")) == 2
