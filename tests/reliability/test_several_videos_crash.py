"""kill -9 after Meta made the second ad's creative but before AdBee learned its id, then run the
same ``python -m bot create`` again: three ads, nothing made twice (issue 14, per-ad resume).

As in ``test_crash_recovery``: a real subprocess against the Graph emulator in this process, the
emulator holding the answer to the second creative's create (``Fault(delay_after_ms=...)``, so
Meta applied the write), SIGKILL from outside, then the re-run must adopt that creative by its
own name ("... - creative 2") and finish the rest.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sandbox.graph_emulator import Fault, GraphEmulator
from tests.media import distinct_copy
from tests.reliability.conftest import (
    ROOT,
    cli_env,
    db_row,
    killed_at_the_end,
    run_cli,
    start_cli,
    wait_for,
    write_campaign,
)

pytestmark = pytest.mark.reliability

HOLD_MS = 20_000  # far longer than the test waits: the process is killed while held


def _creative_posts(graph: GraphEmulator) -> int:
    return sum(
        1
        for r in graph.requests
        if r.method == "POST" and r.path.rstrip("/").endswith("/adcreatives") and r.status == 200
    )


def _pending(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute(
            "select kind, key from meta_objects where pending order by kind, key"
        ).fetchall()


def test_kill_9_after_the_second_creative_then_rerun_makes_three_ads_once(
    graph: GraphEmulator, tmp_path: Path
) -> None:
    videos = []
    for name in ("cut-a.mp4", "cut-b.mp4", "cut-c.mp4"):
        distinct_copy(ROOT / "creatives" / "ainote2.mp4", tmp_path / name)
        videos.append(str(tmp_path / name))
    path = write_campaign(tmp_path, video=None, videos=videos)
    db = tmp_path / "adbee.db"
    env = cli_env(graph, db)
    # The second creative's answer is held from the start: arming it between the first and the
    # second post raced the run, and a loaded machine let both through before the hold was set.
    graph.inject(Fault(delay_after_ms=HOLD_MS, path_contains="/adcreatives", method="POST", skip=1))

    process = start_cli(env, "create", str(path), out=tmp_path / "first-run.txt")
    with killed_at_the_end(process, tmp_path / "first-run.txt"):
        # (a fresh interpreter imports for seconds on a loaded machine before its first call)
        wait_for(lambda: _creative_posts(graph) == 2 or process.poll() is not None, timeout=60)
    row = db_row(db)
    assert row is not None and row["status"] == "creating", row
    assert ("creative", "2") in _pending(db)  # marked before the post went out
    assert len(graph.objects("adcreative")) == 2 and graph.objects("ad") == []

    graph.clear_faults()
    graph.video_processing_seconds = 0.2
    code, out = run_cli(env, "create", str(path))

    assert code == 0, out
    assert "from the interrupted run" in out, out
    for kind, count in (("campaign", 1), ("adset", 1), ("adcreative", 3), ("ad", 3)):
        assert len(graph.objects(kind, include_deleted=True)) == count, f"{kind}: {out}"
    assert len(graph.objects("advideo")) == 3
    creatives = {c["id"]: c["name"] for c in graph.objects("adcreative")}
    assert sorted(creatives[ad["creative_id"]] for ad in graph.objects("ad")) == [
        f"{graph.objects('campaign')[0]['name']} - creative {n}" for n in (1, 2, 3)
    ]
    assert _pending(db) == []
    final = db_row(db)
    assert final is not None and final["status"] == "created"
