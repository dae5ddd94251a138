"""The create form is answered without waiting for Meta.

Slack shows "We had some trouble connecting" to a person whose submission is not acknowledged
within 3 seconds. The form's check needs Meta's minimum daily budget of the chosen account; the
bot reads every account's figure when it starts (and hourly ahead of its expiry), so a
submission's check costs no Graph call: with 20 people submitting at once over five accounts,
those reads had put about 300 ms per account, one after another, in front of the acks.
"""

from __future__ import annotations

from meta.domain.accounts import load_accounts
from tests.e2e.conftest import ROOT
from tests.e2e.test_campaign_story import create_campaign


def _budget_reads(graph) -> list:  # type: ignore[no-untyped-def]
    return [r for r in graph.requests if r.path.endswith("/minimum_budgets")]


def test_the_bot_reads_every_accounts_minimum_budget_at_start_and_none_in_the_ack(
    slack, graph, bot
):
    accounts = load_accounts(ROOT / "configs" / "accounts.yaml").all()
    expected = {f"/{account.ad_account_id}/minimum_budgets" for account in accounts}

    def warmed() -> bool:
        return {r.path.split("/", 2)[-1] for r in _budget_reads(graph)} >= {
            path.lstrip("/") for path in expected
        }

    slack.wait_until(warmed, timeout=20, message="the bot did not read the minimum budgets")
    graph.clear_requests()

    card = create_campaign(slack)

    assert card  # the campaign was checked against Meta's figure and created
    assert _budget_reads(graph) == []  # ... read before anyone submitted, not in the ack
