"""Pacing and health rules for a live campaign: pure functions of Meta's numbers and the clock.

Each rule answers "is something wrong right now?" for one campaign; the caller (``meta.services.
pacing``) reads Meta's figures, asks these rules, and queues one alert per campaign, condition
and local day (the outbox's dedupe key), so a condition that lasts all day alerts once.

The rules (docs/operations.md, "Pacing and health alerts"):

- ``no_delivery``: live for ``no_delivery_hours`` (``PACING_NO_DELIVERY_HOURS``, default 3)
  and not one impression since activation.
- ``underspend``: at or after ``underspend_by`` local time (default 18:00), today's spend is
  below ``underspend_percent`` (default 50 %) of the daily budget, scaled down by the part of
  the day (up to now) the campaign was live when it went live today.
- ``overspend``: today's spend above the daily budget plus Meta's daily flexibility. Since
  Marketing API v24.0 a campaign may spend up to 75 % more than its daily budget on one day
  (balanced over the Sunday-Saturday week, never more than 7 x the daily budget a week); before
  it was 25 % (Meta's v24.0 changelog, developers.facebook.com/docs/graph-api/changelog/
  version24.0; Business Help Center "About daily budgets"). More than that is not Meta pacing:
  it means the budget is not the one AdBee set.
- ``no_purchase``: spent at least ``no_purchase_spend_minor`` (``PACING_NO_PURCHASE_SPEND``,
  per account) since activation without one purchase.
- ``account_blocked``: the ad account cannot deliver: ``account_status`` other than 1 (ACTIVE)
  or 201 (ANY_ACTIVE), or ``spend_cap`` reached by ``amount_spent`` (Graph API AdAccount
  reference; both amounts are strings in minor units, ``spend_cap`` "0" means no cap).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum

# Meta's daily flexibility since v24.0: a day may spend up to 75 % over the daily budget.
DAILY_FLEXIBILITY_PERCENT = 75
# AdAccount.account_status values that deliver (1 ACTIVE, 201 ANY_ACTIVE).
DELIVERING_ACCOUNT_STATUSES = frozenset({1, 201})
ACCOUNT_STATUS_NAMES = {
    1: "active",
    2: "disabled",
    3: "unsettled (a payment failed)",
    7: "pending risk review",
    8: "pending settlement",
    9: "in grace period",
    100: "pending closure",
    101: "closed",
    201: "active",
    202: "closed",
}
# AdAccount.disable_reason values (Graph API AdAccount reference).
DISABLE_REASON_NAMES = {
    0: "no reason given",
    1: "ads integrity policy",
    2: "ads IP review",
    3: "risk payment",
    4: "gray account shut down",
    5: "ads AFC review",
    6: "business integrity RAR",
    7: "permanent close",
    8: "unused reseller account",
    9: "unused account",
    10: "umbrella ad account",
    11: "business manager integrity policy",
    12: "misrepresented ad account",
    13: "AOAB deshare legal entity",
    14: "CTX thread review",
    15: "compromised ad account",
}


# Minor units -> "SGD 12.34" in the account's currency (``meta.domain.money.format_minor``).
MoneyFormat = Callable[[int], str]


class Condition(StrEnum):
    NO_DELIVERY = "no_delivery"
    UNDERSPEND = "underspend"
    OVERSPEND = "overspend"
    NO_PURCHASE = "no_purchase"
    ACCOUNT_BLOCKED = "account_blocked"


@dataclass(frozen=True)
class PacingRules:
    no_delivery_hours: float = 3
    underspend_percent: Decimal = Decimal(50)
    underspend_by: time = time(18, 0)
    flexibility_percent: int = DAILY_FLEXIBILITY_PERCENT
    no_purchase_spend_minor: int | None = None  # off unless configured


@dataclass(frozen=True)
class LiveCampaign:
    """What the rules look at for one campaign; money in the account's minor units.

    ``now`` is aware and in the account's timezone (its local day is Meta's reporting day).
    ``*_today`` cover the local day so far; ``*_since_activation`` the local days from the
    day of activation to today.
    """

    daily_budget_minor: int
    activated_at: datetime
    now: datetime
    spend_today_minor: int
    impressions_since_activation: int
    spend_since_activation_minor: int
    purchases_since_activation: int


@dataclass(frozen=True)
class AccountHealth:
    account_status: int
    disable_reason: int = 0
    spend_cap_minor: int = 0  # 0: no cap
    amount_spent_minor: int = 0


@dataclass(frozen=True)
class Finding:
    condition: Condition
    # What is wrong, in numbers (the alert's detail), already in words for people.
    detail: str


def check_campaign(campaign: LiveCampaign, rules: PacingRules, money: MoneyFormat) -> list[Finding]:
    """Every condition that holds for ``campaign`` now, in a fixed order."""
    found: list[Finding] = []
    live_for = campaign.now - campaign.activated_at
    if (
        live_for >= timedelta(hours=rules.no_delivery_hours)
        and campaign.impressions_since_activation == 0
    ):
        found.append(
            Finding(
                Condition.NO_DELIVERY,
                f"no impressions in the {_hours(live_for)} since it went live "
                f"(alert after {_number(rules.no_delivery_hours)} h)",
            )
        )
    underspend = _underspend(campaign, rules, money)
    if underspend is not None:
        found.append(underspend)
    ceiling = campaign.daily_budget_minor * (100 + rules.flexibility_percent) // 100
    if campaign.spend_today_minor > ceiling:
        found.append(
            Finding(
                Condition.OVERSPEND,
                f"spent {money(campaign.spend_today_minor)} today, above the daily budget of "
                f"{money(campaign.daily_budget_minor)} plus Meta's {rules.flexibility_percent} % "
                f"daily flexibility ({money(ceiling)})",
            )
        )
    threshold = rules.no_purchase_spend_minor
    if (
        threshold is not None
        and campaign.spend_since_activation_minor >= threshold
        and campaign.purchases_since_activation == 0
    ):
        found.append(
            Finding(
                Condition.NO_PURCHASE,
                f"spent {money(campaign.spend_since_activation_minor)} since it went live "
                f"without a purchase (alert at {money(threshold)})",
            )
        )
    return found


def check_account(health: AccountHealth, money: MoneyFormat) -> Finding | None:
    """Why the ad account cannot deliver, or None when it can."""
    if health.account_status not in DELIVERING_ACCOUNT_STATUSES:
        status = ACCOUNT_STATUS_NAMES.get(health.account_status, f"status {health.account_status}")
        reason = DISABLE_REASON_NAMES.get(health.disable_reason, f"reason {health.disable_reason}")
        because = f" ({reason})" if health.disable_reason else ""
        return Finding(
            Condition.ACCOUNT_BLOCKED,
            f"the ad account is {status}{because} (account_status {health.account_status}, "
            f"disable_reason {health.disable_reason}): nothing in it delivers. Open Account "
            "Quality in Business Settings to see Meta's reason and request a review.",
        )
    if health.spend_cap_minor > 0 and health.amount_spent_minor >= health.spend_cap_minor:
        return Finding(
            Condition.ACCOUNT_BLOCKED,
            f"the ad account reached its spend cap: {money(health.amount_spent_minor)} spent of "
            f"{money(health.spend_cap_minor)}; nothing in it delivers until the cap is raised "
            "or reset (Billing > Account spending limit).",
        )
    return None


def _underspend(campaign: LiveCampaign, rules: PacingRules, money: MoneyFormat) -> Finding | None:
    now = campaign.now
    if now.timetz().replace(tzinfo=None) < rules.underspend_by:
        return None
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    since = max(campaign.activated_at.astimezone(now.tzinfo), midnight)
    day_so_far = (now - midnight).total_seconds()
    live_share = Decimal((now - since).total_seconds() / day_so_far) if day_so_far else Decimal(0)
    expected = int(
        Decimal(campaign.daily_budget_minor) * rules.underspend_percent / 100 * live_share
    )
    if expected <= 0 or campaign.spend_today_minor >= expected:
        return None
    share = (
        f"{rules.underspend_percent.normalize():f} % of the daily budget of "
        f"{money(campaign.daily_budget_minor)}"
    )
    if live_share < 1:
        share += f", for the {_hours(now - since)} it was live today"
    return Finding(
        Condition.UNDERSPEND,
        f"spent {money(campaign.spend_today_minor)} by {now:%H:%M}, below {money(expected)} "
        f"({share})",
    )


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.1f} h" if hours < 10 else f"{hours:.0f} h"


def _number(value: float) -> str:
    return f"{value:g}"
