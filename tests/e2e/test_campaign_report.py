"""``/campaign report``: the table and the chart land in the campaign's thread; bad ranges don't.

The campaign is made through Slack as a user would; its delivery comes from the Graph emulator's
Insights model (switched ACTIVE in "Ads Manager" and backdated three days), so the numbers are
Meta's, whatever AdBee's own status says.
"""

from __future__ import annotations

import struct
import time

from meta.services.charts import CHART_SIZE
from tests.e2e.conftest import CAMPAIGNS, REQUESTER
from tests.e2e.test_campaign_story import campaign_id_of, create_campaign


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG signature and IHDR chunk (PNG spec, section 11.2.2)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _report(slack, text: str) -> None:
    slack.slash_command(user=REQUESTER, channel=CAMPAIGNS, command="/campaign", text=text)


def _live_in_meta(graph, days: int) -> str:
    campaign = graph.objects("campaign")[0]["id"]
    for kind in ("campaign", "adset", "ad"):
        graph.edit_object(graph.objects(kind)[0]["id"], status="ACTIVE")
    graph.backdate_delivery(campaign, time.time() - days * 86400)
    return campaign


def test_report_posts_a_table_and_a_png_chart_in_the_thread(slack, graph, bot):
    card = create_campaign(slack)
    number = campaign_id_of(card)
    _live_in_meta(graph, days=3)

    _report(slack, f"report {number} 7d")
    thread = slack.wait_until(
        lambda: (t := slack.thread(CAMPAIGNS, card["ts"])) and any(m.get("files") for m in t) and t,
        timeout=15,
    )
    table = next(m for m in thread[1:] if "Report for" in m.get("text", ""))
    body = str(table["blocks"])
    assert "AINOTE2 launch SG" in body and "```Day" in body
    assert "attribution: 7-day click, 1-day view" in body and "amounts in SGD" in body
    assert "(Asia/Singapore)" in body
    assert "Total" in body and "ROAS" in body
    rows = [line for line in body.split("\\n") if line[:4].isdigit()]
    assert len(rows) == 7  # every day of the range, zeros before the campaign ran
    assert sum(1 for line in rows if line.split()[1] != "0.00") >= 3

    shared = next(m for m in thread[1:] if m.get("files"))
    file = shared["files"][0]
    assert file["name"].endswith(".png") and file["name"].startswith(f"adbee-report-{number}-")
    png = slack.file_content(file["id"])
    assert _png_size(png) == CHART_SIZE
    assert all(not m.get("files") for m in slack.messages(CAMPAIGNS)), "thread, not channel"
    slack.wait_until(
        lambda: any("posted in its thread" in e["text"] for e in slack.ephemerals(REQUESTER))
    )


def test_a_campaign_that_never_ran_reports_zeros(slack, graph, bot):
    card = create_campaign(slack)
    number = campaign_id_of(card)
    _report(slack, "report AINOTE2 launch SG yesterday")
    thread = slack.wait_until(
        lambda: (t := slack.thread(CAMPAIGNS, card["ts"])) and any(m.get("files") for m in t) and t,
        timeout=15,
    )
    table = next(m for m in thread[1:] if "Report for" in m.get("text", ""))
    body = str(table["blocks"])
    assert "No spend and no impressions in this range: Meta reports no delivery" in body
    assert f"#{number}" in body and "SGD 0.00 spent" in table["text"]


def test_a_bad_range_is_an_ephemeral_error_and_nothing_is_read_or_posted(slack, graph, bot):
    card = create_campaign(slack)
    number = campaign_id_of(card)
    graph.clear_requests()
    cases = {
        "2026-12-09..2026-12-01": "ends before it starts",
        "2099-01-01": "reaches into the future",
        "2026-02-30": "not a date on the calendar",
        "400d": "a report covers 1 to 90 days",
    }
    for given, expected in cases.items():
        _report(slack, f"report {number} {given}")
        slack.wait_until(
            lambda e=expected: any(e in m["text"] for m in slack.ephemerals(REQUESTER)), timeout=5
        )
    assert not [r for r in graph.requests if r.path.endswith("/insights")]
    thread = slack.thread(CAMPAIGNS, card["ts"])
    assert not any("Report for" in m.get("text", "") or m.get("files") for m in thread)
