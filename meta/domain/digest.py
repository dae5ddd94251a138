"""The daily digest of one ad account: yesterday's totals, best and worst campaign, attention.

Pure: built from daily Insights rows already read; serialised to JSON for the alert outbox (the
digest is queued like an alert, so a Slack outage delays it and a second replica or a restart
cannot post it twice: its outbox key is ``digest:<account>:<day>``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal

from meta.domain.insights import DailyInsight
from meta.domain.pacing import DAILY_FLEXIBILITY_PERCENT


@dataclass(frozen=True)
class CampaignDay:
    """One campaign's numbers for the digest's day."""

    adbee_id: int
    name: str
    daily_budget_minor: int
    day: DailyInsight
    attention: str | None = None  # why someone should look (``attention``), None when fine

    @property
    def ran(self) -> bool:
        return bool(self.day.spend_minor or self.day.impressions)


@dataclass(frozen=True)
class Digest:
    account_key: str
    account_name: str
    currency: str
    timezone: str
    day: date
    attribution: str
    campaigns: tuple[CampaignDay, ...]
    # Account totals of the last days up to ``day`` (the chart), oldest first.
    history: tuple[DailyInsight, ...] = field(default_factory=tuple)

    @property
    def ran(self) -> bool:
        return any(c.ran for c in self.campaigns)

    @property
    def totals(self) -> DailyInsight:
        total = DailyInsight(day=self.day)
        for c in self.campaigns:
            total = add_days(total, c.day)
        return total

    def best_and_worst(self) -> tuple[CampaignDay | None, CampaignDay | None]:
        """Highest and lowest ROAS among campaigns that spent; worst is None with one only."""
        spent = sorted(
            (c for c in self.campaigns if c.day.spend_minor > 0),
            key=lambda c: (c.day.roas or 0.0, -c.adbee_id),
        )
        if not spent:
            return None, None
        return spent[-1], (spent[0] if len(spent) > 1 else None)

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=str, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Digest:
        data = json.loads(text)
        return cls(
            account_key=data["account_key"],
            account_name=data["account_name"],
            currency=data["currency"],
            timezone=data["timezone"],
            day=date.fromisoformat(data["day"]),
            attribution=data["attribution"],
            campaigns=tuple(
                CampaignDay(
                    adbee_id=c["adbee_id"],
                    name=c["name"],
                    daily_budget_minor=c["daily_budget_minor"],
                    day=_day(c["day"]),
                    attention=c.get("attention"),
                )
                for c in data["campaigns"]
            ),
            history=tuple(_day(d) for d in data["history"]),
        )


def add_days(a: DailyInsight, b: DailyInsight) -> DailyInsight:
    """``a`` plus ``b``, dated ``a.day`` (reach adds up too: an upper bound, not people)."""
    return DailyInsight(
        day=a.day,
        spend_minor=a.spend_minor + b.spend_minor,
        impressions=a.impressions + b.impressions,
        reach=a.reach + b.reach,
        clicks=a.clicks + b.clicks,
        purchases=a.purchases + b.purchases,
        purchase_value_minor=a.purchase_value_minor + b.purchase_value_minor,
    )


def _day(data: dict) -> DailyInsight:
    return DailyInsight(**{**data, "day": date.fromisoformat(data["day"])})


def attention(
    campaign: CampaignDay,
    *,
    underspend_percent: Decimal = Decimal(50),
    no_purchase_spend_minor: int | None = None,
) -> str | None:
    """Why a campaign live all of the digest's day needs someone to look, or None.

    The same thresholds as the pacing alerts, judged on the whole day: no impression, spend
    under ``underspend_percent`` of the budget, over the budget plus Meta's 75 % flexibility, or
    ``no_purchase_spend_minor`` spent without a purchase.
    """
    d, budget = campaign.day, campaign.daily_budget_minor
    if d.impressions == 0:
        return "did not deliver (no impressions)"
    if d.spend_minor > budget * (100 + DAILY_FLEXIBILITY_PERCENT) // 100:
        return "spent more than its budget plus Meta's 75 % daily flexibility"
    threshold = no_purchase_spend_minor
    if threshold is not None and d.spend_minor >= threshold and d.purchases == 0:
        return "spent without a purchase"
    if d.spend_minor < Decimal(budget) * underspend_percent / 100:
        return f"spent under {underspend_percent.normalize():f} % of its daily budget"
    return None
