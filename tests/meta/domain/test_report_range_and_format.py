"""The report's range grammar and number formatting: pure functions, no Meta, no Slack."""

from __future__ import annotations

from datetime import date

import pytest

from meta.domain.insights import (
    CampaignInsights,
    DailyInsight,
    DateRange,
    major_to_minor,
    parse_row,
)
from meta.domain.report_range import ReportRangeError, looks_like_range, parse_report_range
from meta.domain.report_table import budget_share, caption, money, money_with_code, table_lines

TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("text", "since", "until"),
    [
        (None, date(2026, 11, 25), TODAY),
        ("today", TODAY, TODAY),
        ("Yesterday", date(2026, 11, 30), date(2026, 11, 30)),
        ("7d", date(2026, 11, 25), TODAY),
        ("30d", date(2026, 11, 2), TODAY),
        ("2026-11-03", date(2026, 11, 3), date(2026, 11, 3)),
        ("2026-11-01..2026-11-30", date(2026, 11, 1), date(2026, 11, 30)),
    ],
)
def test_ranges_in_the_account_calendar(text: str | None, since: date, until: date) -> None:
    assert parse_report_range(text, TODAY) == DateRange(since, until)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("2026-11-30..2026-11-01", "ends before it starts; write the earlier day first, e.g. `2026-11-01..2026-11-30`"),
        ("2026-12-02", "reaches into the future: today is 2026-12-01"),
        ("2026-11-31", "`2026-11-31` is not a date on the calendar"),
        ("0d", "a report covers 1 to 90 days"),
        ("91d", "a report covers 1 to 90 days"),
        ("2026-01-01..2026-11-30", "covers 334 days; a report covers at most 90"),
        ("2023-01-01", "more than 37 months ago"),
        ("last-week", "is not a time range; use `today`"),
    ],
)  # fmt: skip
def test_bad_ranges_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(ReportRangeError) as refused:
        parse_report_range(text, TODAY)
    assert says in refused.value.message


def test_what_looks_like_a_range_splits_a_campaign_name_from_it() -> None:
    assert looks_like_range("7d") and looks_like_range("2026-13-45..2026-01-01")
    assert not looks_like_range("Summer") and not looks_like_range("12")


def test_money_per_currency_offset_with_thousands_separators() -> None:
    assert money(123456789, "SGD") == "1,234,567.89"
    assert money_with_code(5, "USD") == "USD 0.05"
    assert money(1234567, "JPY") == "1,234,567"  # offset 1: no decimals
    assert money(1234567, "TWD") == "1,234,567"  # Meta's table, not ISO 4217
    assert money(None, "SGD") == "\u2013"
    assert budget_share(7500, 5000) == "150%" and budget_share(10, 0) == "\u2013"
    assert major_to_minor("12.345", "SGD") == 1235 and major_to_minor("1234", "JPY") == 1234


def test_a_graph_row_sums_the_asked_windows_and_prefers_omni_purchase() -> None:
    row = {
        "date_start": "2026-11-30",
        "date_stop": "2026-11-30",
        "spend": "48.10",
        "impressions": "5900",
        "reach": "5000",
        "clicks": "71",
        "actions": [
            {"action_type": "link_click", "value": "60", "7d_click": "60"},
            {"action_type": "purchase", "value": "9"},
            {"action_type": "omni_purchase", "value": "4", "7d_click": "3", "1d_view": "1"},
        ],
        "action_values": [
            {"action_type": "omni_purchase", "value": "120.50", "7d_click": "120.50"}
        ],
    }
    day = parse_row(row, "SGD")
    assert (day.spend_minor, day.purchases, day.purchase_value_minor) == (4810, 4, 12050)
    assert day.roas == pytest.approx(12050 / 4810) and day.cost_per_purchase_minor == 1202
    assert day.ctr == pytest.approx(71 * 100 / 5900)


def test_the_table_has_every_day_the_totals_and_its_caption() -> None:
    span = DateRange(date(2026, 11, 29), TODAY)
    days = (
        DailyInsight(date(2026, 11, 29)),
        DailyInsight(date(2026, 11, 30), 512345, 61000, 50000, 900, 12, 1543210),
        DailyInsight(TODAY, 100000, 12000, 11000, 120, 0, 0),
    )
    insights = CampaignInsights("1", "SGD", "Asia/Singapore", span, ("7d_click", "1d_view"), days)
    lines = table_lines(insights, daily_budget_minor=500000)
    assert lines[0].split() == [
        "Day", "Spend", "Budget", "Impr.", "Reach", "CTR", "Purch.", "Value", "ROAS", "Cost/purch."
    ]  # fmt: skip
    assert lines[1].split()[1:3] == ["0.00", "0%"]
    assert lines[2].split() == [
        "2026-11-30", "5,123.45", "102%", "61,000", "50,000", "1.48%", "12", "15,432.10", "3.01x",
        "426.95",
    ]  # fmt: skip
    assert lines[3].split()[-2:] == ["0.00x", "\u2013"]  # spent, sold nothing: ROAS 0, no cost
    assert lines[-1].split()[:3] == ["Total", "6,123.45", "41%"]  # of 3 x 5,000.00
    assert caption(insights) == (
        "2026-11-29 to 2026-12-01 (Asia/Singapore) · amounts in SGD · "
        "attribution: 7-day click, 1-day view"
    )
