"""The Home tab's today figures: one Insights read per campaign per few minutes, failing soft."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from meta.domain.insights import DailyInsight
from meta.services.reports import CampaignReports, TodayFigure, TodayFigures
from meta.services.summary import CampaignSummary
from tests.handlers.factories import make_summary


class CountingReports(CampaignReports):
    """Real ``TodayFigures`` logic over a reports double that counts reads (no Graph)."""

    def __init__(self, failing: set[int] | None = None) -> None:
        self.reads: list[int] = []
        self.failing = failing or set()

    def today_totals(self, summary: CampaignSummary) -> DailyInsight:
        self.reads.append(summary.id)
        if summary.id in self.failing:
            raise RuntimeError("(#80000) too many calls")
        day = datetime(2026, 12, 1).date()
        return DailyInsight(day=day, spend_minor=123456, purchase_value_minor=370368)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 4, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_figures_are_formatted_in_the_accounts_currency_and_cached_per_campaign() -> None:
    reports, clock = CountingReports(), Clock()
    figures = TodayFigures(reports, ttl_seconds=300, clock=clock)
    sgd = make_summary(id=1, status="active")
    first = figures.read([sgd])
    assert first == {1: TodayFigure(spend_text=f"{sgd.currency} 1,234.56", roas_text="3.00x")}
    for _viewer in range(5):  # five people open their tab: still one read
        assert figures.read([sgd]) == first
    assert reports.reads == [1]
    clock.now += timedelta(minutes=6)
    figures.read([sgd])
    assert reports.reads == [1, 1]


def test_a_meta_error_leaves_that_campaign_out_and_is_asked_again() -> None:
    reports = CountingReports(failing={2})
    figures = TodayFigures(reports, clock=Clock())
    ok, failing = make_summary(id=1, status="active"), make_summary(id=2, status="active")
    assert set(figures.read([ok, failing])) == {1}
    assert set(figures.read([ok, failing])) == {1}
    assert reports.reads == [1, 2, 2]
