"""The report chart: a real PNG of the size Slack gets, for any currency, with or without data."""

from __future__ import annotations

import io
from datetime import date, timedelta

import matplotlib.image
import pytest

from meta.domain.insights import DailyInsight
from meta.services.charts import CHART_SIZE, daily_chart_png

START = date(2026, 11, 1)


@pytest.mark.parametrize(
    ("currency", "days", "spend"),
    [("SGD", 7, 4800), ("JPY", 30, 480000), ("SGD", 90, 0)],  # JPY: Meta offset 1
)
def test_chart_is_a_png_of_the_slack_size(currency: str, days: int, spend: int) -> None:
    rows = [
        DailyInsight(START + timedelta(days=i), spend, spend * 2, spend, spend // 40, 2, spend * 3)
        for i in range(days)
    ]
    png = daily_chart_png(
        rows, currency=currency, title="AINOTE2 (#12)", subtitle="range · attribution",
        daily_budget_minor=spend or 5000,
    )  # fmt: skip
    pixels = matplotlib.image.imread(io.BytesIO(png), format="png")
    width, height = CHART_SIZE
    assert pixels.shape == (height, width, 4)
    assert pixels[..., :3].std() > 0.05  # something is drawn, not a blank canvas
