"""Report charts as PNG bytes: daily spend bars (with the daily budget) and a ROAS line.

Drawn with matplotlib's object API on the Agg canvas: no display, no pyplot global state, so
charts can be drawn from worker threads at once. ``CHART_SIZE`` is 1200 x 675 px (16:9): Slack
shows it whole in a thread and it stays legible when scaled down on a phone.

Every chart carries its time range, time zone, currency and attribution (the report caption) in
its subtitle, so a PNG forwarded on its own still says what it shows.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from meta.domain.insights import DailyInsight
from meta.domain.money import offset
from meta.domain.report_table import money

CHART_SIZE = (1200, 675)  # pixels
_DPI = 100
_SPEND = "#4a7bd0"
_BUDGET = "#9aa4b2"
_ROAS = "#e0822b"


def daily_chart_png(
    days: Sequence[DailyInsight],
    *,
    currency: str,
    title: str,
    subtitle: str,
    daily_budget_minor: int | None = None,
) -> bytes:
    """The PNG of ``days``: spend bars on the left axis, ROAS (value / spend) on the right."""
    width, height = CHART_SIZE
    figure = Figure(figsize=(width / _DPI, height / _DPI), dpi=_DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    factor = offset(currency)
    labels = [d.day.strftime("%d %b") for d in days]
    positions = list(range(len(days)))
    spend = [d.spend_minor / factor for d in days]
    axes.bar(positions, spend, color=_SPEND, label=f"Spend ({currency})", width=0.7)
    if daily_budget_minor:
        axes.axhline(
            daily_budget_minor / factor,
            color=_BUDGET,
            linestyle="--",
            linewidth=1.2,
            label=f"Daily budget {money(daily_budget_minor, currency)}",
        )
    axes.set_ylabel(f"Spend ({currency})")
    axes.yaxis.set_major_formatter(
        FuncFormatter(lambda value, _pos: money(round(value * factor), currency))
    )
    axes.set_ylim(bottom=0, top=max([*spend, (daily_budget_minor or 0) / factor, 1.0]) * 1.2)
    step = max(1, len(days) // 12)  # at most ~12 date labels
    axes.set_xticks(positions[::step], labels[::step])
    axes.set_xlim(-0.6, len(days) - 0.4)

    roas_axes = axes.twinx()
    roas_points = [(i, d.roas) for i, d in enumerate(days) if d.roas is not None]
    if roas_points:
        xs, ys = zip(*roas_points, strict=True)
        roas_axes.plot(xs, ys, color=_ROAS, marker="o", linewidth=2, label="ROAS")
    roas_axes.set_ylabel("ROAS (purchase value / spend)")
    roas_axes.set_ylim(bottom=0, top=max([y for _, y in roas_points] + [1.0]) * 1.25)
    roas_axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:.1f}x"))

    handles, names = axes.get_legend_handles_labels()
    more_handles, more_names = roas_axes.get_legend_handles_labels()
    axes.legend(handles + more_handles, names + more_names, loc="upper left", frameon=False)
    figure.suptitle(title, fontsize=15, x=0.01, ha="left", y=0.98)
    axes.set_title(subtitle, fontsize=10, loc="left", color="#555555")
    if not any(d.impressions or d.spend_minor for d in days):
        axes.text(
            0.5, 0.5, "No delivery in this range", transform=axes.transAxes,
            ha="center", va="center", fontsize=14, color="#777777",
        )  # fmt: skip
    figure.tight_layout(rect=(0, 0, 1, 0.95))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI)
    return buffer.getvalue()
