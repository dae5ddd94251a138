"""The daily digest: totals, best and worst, what needs attention; JSON through the outbox."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from handlers.blocks.digest import build_digest
from meta.domain.digest import CampaignDay, Digest, attention
from meta.domain.insights import DailyInsight
from tests.handlers.factories import HOSTILE, assert_escaped, assert_slack_accepts

DAY = date(2026, 12, 2)


def day(spend: int, value: int, purchases: int = 3, impressions: int = 5000) -> DailyInsight:
    return DailyInsight(
        day=DAY,
        spend_minor=spend,
        impressions=impressions,
        reach=impressions // 2,
        clicks=impressions // 100,
        purchases=purchases,
        purchase_value_minor=value,
    )


def digest(*campaigns: CampaignDay) -> Digest:
    return Digest(
        account_key="iflytek-sg",
        account_name="iFLYTEK Singapore",
        currency="SGD",
        timezone="Asia/Singapore",
        day=DAY,
        attribution="7-day click, 1-day view",
        campaigns=campaigns,
        history=(day(5000, 10000),),
    )


GOOD = CampaignDay(1, "Good", 5000, day(5000, 15000))
BAD = CampaignDay(2, "Bad", 5000, day(4000, 2000), attention="spent without a purchase")


def test_totals_best_worst_and_attention() -> None:
    reply = build_digest(digest(GOOD, BAD))
    body = str(reply["blocks"])
    assert "*Spend*\\nSGD 90.00" in body and "*ROAS*\\n1.89x" in body
    assert "Best: *Good* (AdBee #1): ROAS 3.00x" in body
    assert "Worst: *Bad* (AdBee #2): ROAS 0.50x" in body
    assert "*Needs attention*\\n• *Bad* (AdBee #2) spent without a purchase" in body
    assert "Wed 02 Dec 2026, Asia/Singapore · SGD · attribution 7-day click, 1-day view" in body
    assert_slack_accepts("message", reply)


def test_one_campaign_has_no_worst_and_round_trips_through_json() -> None:
    one = digest(GOOD)
    assert one.best_and_worst() == (GOOD, None)
    assert Digest.from_json(one.to_json()) == one
    assert "Worst" not in str(build_digest(one)["blocks"])


def test_nothing_ran() -> None:
    quiet = digest(CampaignDay(1, "Idle", 5000, DailyInsight(day=DAY)))
    assert not quiet.ran and quiet.best_and_worst() == (None, None)


def test_attention_rules_for_a_whole_day() -> None:
    assert attention(GOOD) is None
    assert attention(CampaignDay(1, "x", 5000, day(0, 0, impressions=0))) == (
        "did not deliver (no impressions)"
    )
    assert "plus Meta's 75 %" in (attention(CampaignDay(1, "x", 5000, day(8751, 9000))) or "")
    assert attention(CampaignDay(1, "x", 5000, day(2499, 5000))) == (
        "spent under 50 % of its daily budget"
    )
    no_sale = CampaignDay(1, "x", 5000, day(5000, 0, purchases=0))
    assert attention(no_sale) is None
    assert attention(no_sale, no_purchase_spend_minor=3000) == "spent without a purchase"
    assert attention(GOOD, underspend_percent=Decimal(100)) is None


def test_hostile_names_are_escaped() -> None:
    hostile = CampaignDay(1, HOSTILE * 3, 5000, day(100, 0), attention="spent without a purchase")
    reply = build_digest(digest(hostile, BAD))
    assert_escaped(reply)
    assert_slack_accepts("message", reply)
