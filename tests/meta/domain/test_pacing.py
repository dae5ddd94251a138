"""Pacing and health rules, on numbers alone."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from meta.domain.money import format_minor
from meta.domain.pacing import (
    AccountHealth,
    Condition,
    LiveCampaign,
    PacingRules,
    check_account,
    check_campaign,
)

SGT = ZoneInfo("Asia/Singapore")
RULES = PacingRules(no_purchase_spend_minor=3000)


def money(minor: int) -> str:
    return format_minor(minor, "SGD")


def live(**changes: object) -> LiveCampaign:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=SGT)
    values: dict[str, object] = {
        "daily_budget_minor": 5000,
        "activated_at": now - timedelta(days=2),
        "now": now,
        "spend_today_minor": 2500,
        "impressions_since_activation": 30_000,
        "spend_since_activation_minor": 12_500,
        "purchases_since_activation": 4,
    }
    values.update(changes)
    return LiveCampaign(**values)  # type: ignore[arg-type]


def conditions(campaign: LiveCampaign, rules: PacingRules = RULES) -> list[Condition]:
    return [f.condition for f in check_campaign(campaign, rules, money)]


def test_a_healthy_campaign_has_no_findings() -> None:
    assert conditions(live()) == []


def test_no_delivery_after_the_configured_hours_only() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=SGT)
    quiet = {"impressions_since_activation": 0, "spend_since_activation_minor": 0,
             "spend_today_minor": 0, "purchases_since_activation": 0}  # fmt: skip
    assert conditions(live(activated_at=now - timedelta(hours=2, minutes=59), **quiet)) == []
    found = check_campaign(live(activated_at=now - timedelta(hours=3), **quiet), RULES, money)
    assert [f.condition for f in found] == [Condition.NO_DELIVERY]
    assert "no impressions in the 3.0 h since it went live" in found[0].detail


def test_underspend_is_judged_from_the_local_hour_on_and_scaled_to_the_time_live() -> None:
    at_17 = datetime(2026, 12, 1, 17, 59, tzinfo=SGT)
    at_18 = datetime(2026, 12, 1, 18, 0, tzinfo=SGT)
    assert conditions(live(now=at_17, spend_today_minor=1000)) == []
    found = check_campaign(live(now=at_18, spend_today_minor=2499), RULES, money)
    assert [f.condition for f in found] == [Condition.UNDERSPEND]
    assert "spent SGD 24.99 by 18:00, below SGD 25.00 (50 % of the daily budget" in found[0].detail
    assert conditions(live(now=at_18, spend_today_minor=2500)) == []
    # Live since 09:00 only: half of today so far, so half of the 50 % is expected.
    noon = datetime(2026, 12, 1, 9, 0, tzinfo=SGT)
    assert conditions(live(now=at_18, activated_at=noon, spend_today_minor=1300)) == []
    assert conditions(live(now=at_18, activated_at=noon, spend_today_minor=1200)) == [
        Condition.UNDERSPEND
    ]
    later = PacingRules(underspend_by=time(20, 0), underspend_percent=Decimal(10))
    assert conditions(live(now=at_18, spend_today_minor=0), later) == []


def test_overspend_is_above_budget_plus_metas_75_percent() -> None:
    assert conditions(live(spend_today_minor=8750)) == []  # 50 + 75 % = 87.50: Meta's pacing
    found = check_campaign(live(spend_today_minor=8751), RULES, money)
    assert [f.condition for f in found] == [Condition.OVERSPEND]
    assert "plus Meta's 75 % daily flexibility (SGD 87.50)" in found[0].detail


def test_spend_without_purchase_needs_the_account_threshold() -> None:
    spent = {"spend_since_activation_minor": 3000, "purchases_since_activation": 0}
    assert conditions(live(**spent)) == [Condition.NO_PURCHASE]
    assert conditions(live(**spent), PacingRules()) == []  # no threshold: off
    assert conditions(live(spend_since_activation_minor=2999, purchases_since_activation=0)) == []


def test_account_status_and_spend_cap() -> None:
    assert check_account(AccountHealth(account_status=1), money) is None
    disabled = check_account(AccountHealth(account_status=2, disable_reason=1), money)
    assert disabled is not None and disabled.condition is Condition.ACCOUNT_BLOCKED
    assert "disabled (ads integrity policy)" in disabled.detail
    unsettled = check_account(AccountHealth(account_status=3), money)
    assert unsettled is not None and "unsettled" in unsettled.detail
    capped = check_account(
        AccountHealth(account_status=1, spend_cap_minor=10_000, amount_spent_minor=10_000), money
    )
    assert capped is not None and "reached its spend cap: SGD 100.00 spent of SGD 100.00" in (
        capped.detail
    )
    uncapped = AccountHealth(account_status=1, spend_cap_minor=0, amount_spent_minor=10**9)
    assert check_account(uncapped, money) is None
