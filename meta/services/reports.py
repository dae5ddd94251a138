"""``/campaign report`` and ``python -m bot report``: one campaign's numbers over a range.

Any campaign AdBee made, whatever its status: Meta's Insights decide, and a campaign that never
reached Meta or never ran reads as zeros for every day. The range is checked in the account's
calendar before Meta is asked (``meta.domain.report_range``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from meta.domain.errors import AdBeeError
from meta.domain.insights import CampaignInsights
from meta.domain.report_range import parse_report_range
from meta.domain.report_table import caption, table_lines
from meta.graph.insights import InsightsReader
from meta.services.summary import CampaignSummary

Clock = Callable[[], datetime]


class CampaignFinder(Protocol):
    """What the reports need of ``CampaignService``: a campaign by number or name."""

    def find(self, ref: str) -> CampaignSummary | None: ...


@dataclass(frozen=True)
class CampaignReport:
    """A campaign's daily insights with what to compare them to."""

    summary: CampaignSummary
    insights: CampaignInsights
    generated_at: datetime

    @property
    def daily_budget_minor(self) -> int:
        return self.summary.daily_budget_minor

    @property
    def title(self) -> str:
        return f"{self.summary.name} (#{self.summary.id})"

    @property
    def caption(self) -> str:
        return caption(self.insights)

    def table(self) -> list[str]:
        return table_lines(self.insights, self.daily_budget_minor)


class CampaignReports:
    """Finds the campaign, checks the range, reads Meta, hands back a ``CampaignReport``."""

    def __init__(
        self,
        *,
        campaigns: CampaignFinder,
        reader: InsightsReader,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self._campaigns = campaigns
        self._reader = reader
        self._clock = clock

    def find(self, ref: str) -> CampaignSummary:
        summary = self._campaigns.find(ref)
        if summary is None:
            raise AdBeeError(f"No campaign matches {ref!r}; `/campaign list` shows them.")
        return summary

    def today(self, summary: CampaignSummary) -> date:
        """Today in the ad account's time zone (Meta's days are the account's days)."""
        return self._clock().astimezone(ZoneInfo(summary.timezone)).date()

    def report(self, ref: str, range_text: str | None = None) -> CampaignReport:
        """Raises ``ReportRangeError`` (before any call to Meta) or ``AdBeeError``."""
        summary = self.find(ref)
        span = parse_report_range(range_text, self.today(summary))
        insights = self._reader.campaign_daily(
            summary.campaign_id, span, currency=summary.currency, timezone=summary.timezone
        )
        return CampaignReport(summary=summary, insights=insights, generated_at=self._clock())


def chart_png(report: CampaignReport) -> bytes:
    """The report's PNG: daily spend against the budget, and ROAS."""
    from meta.services.charts import daily_chart_png  # matplotlib only when a chart is drawn

    return daily_chart_png(
        report.insights.days,
        currency=report.insights.currency,
        title=report.title,
        subtitle=report.caption,
        daily_budget_minor=report.daily_budget_minor,
    )
