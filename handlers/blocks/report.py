"""The ``/campaign report`` message posted in the campaign's thread (pure: report in, payload out).

Totals as fields (spend against the range's budget, impressions, reach, CTR, purchases, purchase
value, ROAS, cost per purchase), then the per-day table in monospace, and a context line that
says the range, time zone, currency and attribution, so the numbers are never read out of context.
"""

from __future__ import annotations

from typing import Any

from handlers.blocks.common import Block, context, esc, header, message, section, status_label
from meta.domain import report_table as fmt
from meta.services.reports import CampaignReport

TABLE_LINES_PER_BLOCK = 24  # ~100 characters a line keeps a section inside its 3,000
# A purchase up to 7 days after a click is still counted, on the day of the ad interaction (see
# docs/reading-the-numbers.md), so recent days can grow; today is still under way.
DATA_DELAY_NOTE = (
    "Purchases of the last 7 days can still grow (7-day click window); today is still under way."
)


def build_report(report: CampaignReport) -> dict[str, Any]:
    """``{"text", "blocks"}`` for ``chat.postMessage``."""
    summary, insights = report.summary, report.insights
    currency = insights.currency
    totals = insights.totals
    budget = report.daily_budget_minor * len(insights.days)
    spend = fmt.money_with_code(totals.spend_minor, currency)
    fields = [
        f"*Spend*\n{spend} of {fmt.money_with_code(budget, currency)} "
        f"({fmt.budget_share(totals.spend_minor, budget)})",
        f"*Impressions*\n{fmt.count(totals.impressions)}",
        f"*Reach*\n{fmt.count(totals.reach)}",
        f"*CTR*\n{fmt.percent(totals.ctr)}",
        f"*Purchases*\n{fmt.count(totals.purchases)}",
        f"*Purchase value*\n{fmt.money_with_code(totals.purchase_value_minor, currency)}",
        f"*ROAS*\n{fmt.roas(totals.roas)}",
        f"*Cost per purchase*\n{fmt.money_with_code(totals.cost_per_purchase_minor, currency)}",
    ]
    blocks: list[Block] = [
        header(f"Report: {summary.name}"),
        context(f"{esc(fmt.caption(insights))} · #{summary.id} {status_label(summary.status)}"),
        section(f"*{esc(insights.range.label)}*", fields=fields),
    ]
    if not insights.ran:
        why = (
            "it was never created in Meta"
            if summary.campaign_id is None
            else "Meta reports no delivery for it"
        )
        blocks.append(section(f":zzz: No spend and no impressions in this range: {why}."))
    lines = report.table()
    for start in range(0, len(lines), TABLE_LINES_PER_BLOCK):
        chunk = "\n".join(lines[start : start + TABLE_LINES_PER_BLOCK])
        blocks.append(section(f"```{chunk}```"))
    blocks.append(context(DATA_DELAY_NOTE))
    text = (
        f"Report for {esc(summary.name)}, {insights.range.label}: {spend} spent, "
        f"{fmt.count(totals.purchases)} purchases, ROAS {fmt.roas(totals.roas)}"
    )
    return message(text, blocks[:50])


def chart_filename(report: CampaignReport) -> str:
    span = report.insights.range
    return f"adbee-report-{report.summary.id}-{span.since.isoformat()}-{span.until.isoformat()}.png"


def chart_alt_text(report: CampaignReport) -> str:
    """What a screen reader says for the chart (Slack's ``alt_txt``)."""
    totals = report.insights.totals
    return (
        f"Daily spend bars and ROAS line for {report.summary.name}, "
        f"{report.insights.range.label}: "
        f"{fmt.money_with_code(totals.spend_minor, report.insights.currency)} spent, "
        f"ROAS {fmt.roas(totals.roas)}."
    )[:1000]
