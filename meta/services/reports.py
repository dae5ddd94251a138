"""``/campaign report`` and ``python -m bot report``: one campaign's numbers over a range.

Any campaign AdBee made, whatever its status: Meta's Insights decide, and a campaign that never
reached Meta or never ran reads as zeros for every day. The range is checked in the account's
calendar before Meta is asked (``meta.domain.report_range``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from meta.domain.errors import AdBeeError
from meta.domain.insights import CampaignInsights, DailyInsight, DateRange
from meta.domain.report_range import parse_report_range
from meta.domain.report_table import caption, money_with_code, roas, table_lines
from meta.graph.insights import InsightsReader
from meta.services.summary import CampaignSummary

log = logging.getLogger(__name__)
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

    def today_totals(self, summary: CampaignSummary) -> DailyInsight:
        """Today (the account's day) as one row; raises what the Insights reader raises."""
        today = self.today(summary)
        insights = self._reader.campaign_daily(
            summary.campaign_id,
            DateRange(today, today),
            currency=summary.currency,
            timezone=summary.timezone,
        )
        return insights.totals


@dataclass(frozen=True)
class TodayFigure:
    """Today's spend and ROAS of one campaign, formatted in the account's currency."""

    spend_text: str
    roas_text: str


class TodayFigures:
    """Today's spend and ROAS for the Home tab, read at most once per campaign per ``ttl``.

    Every Home tab shows the same live campaigns, so a round of publishing (or several people
    opening the tab within a few minutes) must not cost one Insights call per viewer; Meta's
    own numbers lag by minutes anyway. A campaign Meta fails to answer for is left out (its
    line says there are no figures yet) and asked again next time.
    """

    def __init__(
        self,
        reports: CampaignReports,
        *,
        ttl_seconds: float = 300.0,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self._reports = reports
        self._ttl = ttl_seconds
        self._clock = clock
        self._cache: dict[int, tuple[datetime, TodayFigure]] = {}
        self._lock = threading.Lock()

    def read(self, summaries: Sequence[CampaignSummary]) -> dict[int, TodayFigure]:
        now = self._clock()
        figures: dict[int, TodayFigure] = {}
        for summary in summaries:
            with self._lock:
                cached = self._cache.get(summary.id)
            if cached is not None and (now - cached[0]).total_seconds() < self._ttl:
                figures[summary.id] = cached[1]
                continue
            try:
                row = self._reports.today_totals(summary)
            except Exception as exc:  # the tab shows "no figures from Meta yet" for this one
                log.warning("could not read today's figures of #%s: %r", summary.id, exc)
                continue
            figure = TodayFigure(
                spend_text=money_with_code(row.spend_minor, summary.currency),
                roas_text=roas(row.roas),
            )
            with self._lock:
                self._cache[summary.id] = (now, figure)
            figures[summary.id] = figure
        return figures


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
