"""Numbers of a report as people read them: per-currency money, thousands separators, one table.

The Slack view and the CLI print the same monospace table, so a figure never differs between the
two. Money follows Meta's currency offsets (``meta.domain.money``): JPY and the other offset-1
currencies have no decimals, the rest two.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from meta.domain.insights import CampaignInsights, DailyInsight
from meta.domain.money import offset

NONE = "\u2013"  # an en dash: a ratio without a denominator (no spend, no impressions, no purchase)


def money(minor: int | None, currency: str) -> str:
    """``1,234.50`` (two decimals) or ``1,235`` (offset-1 currencies); no currency code."""
    if minor is None:
        return NONE
    factor = offset(currency)
    if factor == 1:
        return f"{minor:,}"
    major = (Decimal(minor) / factor).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{major:,.2f}"


def money_with_code(minor: int | None, currency: str) -> str:
    """``SGD 1,234.50``."""
    return NONE if minor is None else f"{currency} {money(minor, currency)}"


def count(value: int) -> str:
    return f"{value:,}"


def percent(value: float | None) -> str:
    return NONE if value is None else f"{value:.2f}%"


def roas(value: float | None) -> str:
    return NONE if value is None else f"{value:.2f}x"


def budget_share(spend_minor: int, budget_minor: int) -> str:
    """Spend as a share of the daily budget, ``87%``."""
    if budget_minor <= 0:
        return NONE
    return f"{round(spend_minor * 100 / budget_minor)}%"


_COLUMNS = (
    ("Day", 10, "<"),
    ("Spend", 11, ">"),
    ("Budget", 7, ">"),
    ("Impr.", 9, ">"),
    ("Reach", 9, ">"),
    ("CTR", 7, ">"),
    ("Purch.", 7, ">"),
    ("Value", 11, ">"),
    ("ROAS", 7, ">"),
    ("Cost/purch.", 11, ">"),
)


def _line(cells: list[str]) -> str:
    parts = [
        f"{cell:{align}{width}}" for cell, (_, width, align) in zip(cells, _COLUMNS, strict=True)
    ]
    return " ".join(parts).rstrip()


def _cells(label: str, row: DailyInsight, budget_minor: int, currency: str) -> list[str]:
    return [
        label,
        money(row.spend_minor, currency),
        budget_share(row.spend_minor, budget_minor),
        count(row.impressions),
        count(row.reach),
        percent(row.ctr),
        count(row.purchases),
        money(row.purchase_value_minor, currency),
        roas(row.roas),
        money(row.cost_per_purchase_minor, currency),
    ]


def table_lines(insights: CampaignInsights, daily_budget_minor: int) -> list[str]:
    """Header, one line per day, a rule, the totals (budget share against the range's budget)."""
    lines = [_line([name for name, _, _ in _COLUMNS])]
    for day in insights.days:
        lines.append(_cells_line(day.day.isoformat(), day, daily_budget_minor, insights.currency))
    lines.append("-" * len(lines[0]))
    total_budget = daily_budget_minor * len(insights.days)
    lines.append(_cells_line("Total", insights.totals, total_budget, insights.currency))
    return lines


def _cells_line(label: str, row: DailyInsight, budget_minor: int, currency: str) -> str:
    return _line(_cells(label, row, budget_minor, currency))


def caption(insights: CampaignInsights) -> str:
    """What every figure carries: range, time zone, currency, attribution."""
    return (
        f"{insights.range.label} ({insights.timezone}) · amounts in {insights.currency} · "
        f"attribution: {insights.attribution_label}"
    )
