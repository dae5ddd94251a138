"""The report message: what it says, and that Slack would take it (emulator's Block Kit judge)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from handlers.blocks.report import build_report, chart_alt_text, chart_filename
from handlers.command_text import Subcommand, parse_command_text
from meta.domain.insights import CampaignInsights, DailyInsight, DateRange
from meta.services.reports import CampaignReport
from tests.handlers.factories import assert_slack_accepts, hostile_summary, make_summary

END = date(2026, 12, 1)


def _report(days: int = 7, spend: int = 4500, **summary: object) -> CampaignReport:
    span = DateRange(END - timedelta(days=days - 1), END)
    rows = tuple(
        DailyInsight(d, spend, 5000, 4000, 60, 2, spend * 2) if spend else DailyInsight(d)
        for d in span.days()
    )
    insights = CampaignInsights("9", "SGD", "Asia/Singapore", span, ("7d_click", "1d_view"), rows)
    return CampaignReport(
        summary=make_summary(daily_budget_minor=5000, **summary),
        insights=insights,
        generated_at=datetime(2026, 12, 1, 4, tzinfo=UTC),
    )


def test_totals_table_and_context_in_one_valid_message() -> None:
    payload = build_report(_report())
    assert_slack_accepts("message", payload)
    text = str(payload["blocks"])
    assert "SGD 315.00 of SGD 350.00 (90%)" in text  # 7 x 45.00 against 7 x 50.00
    assert "*ROAS*\\n2.00x" in text and "*Cost per purchase*\\nSGD 22.50" in text
    assert "2026-11-25 to 2026-12-01 (Asia/Singapore) · amounts in SGD" in text
    assert "attribution: 7-day click, 1-day view" in text
    assert "Purchases of the last 7 days can still grow" in text
    assert payload["text"].startswith("Report for AINOTE2 launch SG, 2026-11-25 to 2026-12-01")


def test_a_campaign_that_never_ran_says_so() -> None:
    never = build_report(_report(spend=0, campaign_id=None))
    assert "it was never created in Meta" in str(never["blocks"])
    quiet = build_report(_report(spend=0))
    assert "Meta reports no delivery for it" in str(quiet["blocks"])
    assert "ROAS \u2013" in quiet["text"]


def test_ninety_days_and_hostile_names_stay_within_slacks_limits() -> None:
    report = _report(days=90)
    long = CampaignReport(
        hostile_summary(daily_budget_minor=5000), report.insights, report.generated_at
    )
    payload = build_report(long)
    assert_slack_accepts("message", payload)
    tables = [b for b in payload["blocks"] if b["type"] == "section" and "```" in b["text"]["text"]]
    assert (
        sum(
            b["text"]["text"].count("\n2026-") + b["text"]["text"].startswith("```2026")
            for b in tables
        )
        >= 89
    )
    mrkdwn = [b for b in payload["blocks"] if b["type"] != "header"]  # plain_text cannot ping
    assert "<!channel>" not in str(mrkdwn) and "<!channel>" not in payload["text"]
    assert chart_filename(report) == "adbee-report-12-2026-09-03-2026-12-01.png"
    assert len(chart_alt_text(long)) <= 1000


def test_report_command_text() -> None:
    named = parse_command_text("report AINOTE2 launch SG 30d")
    assert (named.subcommand, named.campaign_ref, named.range_text) == (
        Subcommand.REPORT, "AINOTE2 launch SG", "30d"
    )  # fmt: skip
    numbered = parse_command_text("report #12 2026-11-01..2026-11-07")
    assert (numbered.campaign_id, numbered.range_text) == (12, "2026-11-01..2026-11-07")
    assert parse_command_text("report 12").range_text is None
    empty = parse_command_text("report")
    assert empty.subcommand is Subcommand.HELP and "needs a campaign" in (empty.note or "")
