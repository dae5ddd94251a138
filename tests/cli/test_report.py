"""``python -m bot report``: the table with totals and ROAS on stdout, the chart as a PNG file."""

from __future__ import annotations

import io
import re
import struct
import time
from pathlib import Path

import matplotlib.image
import pytest

from bot.cli import main
from meta.services.charts import CHART_SIZE
from sandbox.graph_emulator import GraphEmulator
from tests.helpers import write_campaign


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


@pytest.mark.usefixtures("meta_env")
def test_report_prints_the_table_and_writes_the_chart(graph: GraphEmulator, tmp_path: Path) -> None:
    code, out = run("create", str(write_campaign(tmp_path)))
    assert code == 0, out
    campaign = graph.objects("campaign")[0]["id"]
    for kind in ("campaign", "adset", "ad"):
        graph.edit_object(graph.objects(kind)[0]["id"], status="ACTIVE")
    graph.backdate_delivery(campaign, time.time() - 2 * 86400)

    chart = tmp_path / "chart.png"
    code, out = run("report", "AINOTE2", "launch", "SG", "7d", "--out", str(chart))
    assert code == 0, out
    lines = out.splitlines()
    assert "attribution: 7-day click, 1-day view" in out and "amounts in SGD" in out
    assert sum(1 for line in lines if re.match(r"^\d{4}-\d{2}-\d{2}  ", line)) == 7
    total = next(line for line in lines if line.startswith("Total:"))
    assert " spent, " in total and "ROAS " in total and "SGD " in total
    png = chart.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == CHART_SIZE
    width, height = CHART_SIZE
    assert matplotlib.image.imread(chart).shape == (height, width, 4)  # decodes: RGBA pixels
    assert f"chart: {chart}" in out


@pytest.mark.usefixtures("meta_env")
def test_report_refuses_a_bad_range_and_an_unknown_campaign(
    graph: GraphEmulator, tmp_path: Path
) -> None:
    assert run("create", str(write_campaign(tmp_path)))[0] == 0
    graph.clear_requests()
    code, out = run("report", "1", "2026-12-09..2026-12-01")
    assert code == 1 and "ends before it starts" in out
    code, out = run("report", "no such campaign")
    assert code == 1 and "No campaign matches 'no such campaign'" in out
    assert not [r for r in graph.requests if r.path.endswith("/insights")]
