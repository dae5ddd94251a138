"""An ad-ops person edits a campaign from a terminal: the diff, Meta's checks, and the account's
approval rule (what needs an approver is left for Slack, never applied from here)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.cli import main
from sandbox.graph_emulator import GraphEmulator
from tests.campaign_harness import ROOT
from tests.helpers import write_campaign
from tests.media import distinct_copy


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


@pytest.mark.usefixtures("meta_env")
def test_lower_applies_raise_is_left_for_slack_and_bad_values_send_nothing(
    graph: GraphEmulator, tmp_path: Path
) -> None:
    code, out = run("create", str(write_campaign(tmp_path)))
    assert code == 0, out
    campaign = graph.objects("campaign")[0]

    code, out = run("edit", "1", "--set", "daily_budget=40")
    assert code == 0, out
    assert "Applies now:\n  Daily budget: SGD 50.00 → SGD 40.00" in out
    assert "Applied edit 1." in out
    assert graph.get_object(campaign["id"])["daily_budget"] == 4000  # type: ignore[index]

    code, out = run("edit", "1", "--set", "daily_budget=80", "--set", "countries=SG,MY")
    assert code == 1, out
    assert "Needs approval in Slack:\n  Daily budget: SGD 40.00 → SGD 80.00" in out
    assert "Not applied: 2 change(s) need an approver. Ask in Slack: /campaign edit 1" in out
    assert graph.get_object(campaign["id"])["daily_budget"] == 4000  # type: ignore[index]

    graph.clear_requests()
    code, out = run("edit", "1", "--set", "daily_budget=lots", "--set", "start_time=tomorrow")
    assert code == 1, out
    assert "daily_budget:" in out and "start_time: is moved with a reschedule" in out
    assert all(r.method == "GET" for r in graph.requests)


@pytest.mark.usefixtures("meta_env")
def test_a_new_video_from_the_terminal_is_checked_then_left_for_an_approver_in_slack(
    graph: GraphEmulator, tmp_path: Path
) -> None:
    code, out = run("create", str(write_campaign(tmp_path)))
    assert code == 0, out
    cut = distinct_copy(ROOT / "creatives" / "ainote2.mp4", tmp_path / "cut-b.mp4")
    graph.clear_requests()

    code, out = run("edit", "1", "--add-video", str(cut))
    assert code == 1, out
    assert "Needs approval in Slack:\n  New ad with the video: cut-b.mp4" in out
    assert "Ask in Slack: /campaign edit 1" in out
    assert all(r.method == "GET" for r in graph.requests)  # nothing uploaded, nothing made

    fake = tmp_path / "final.mp4"
    fake.write_text("not a video")
    code, out = run("edit", "1", "--set", f"video={fake}")
    assert code == 1 and "video:" in out, out
    assert all(r.method == "GET" for r in graph.requests)
