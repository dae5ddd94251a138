"""kill -9 after Meta made the flexible ad but before AdBee learned its id, then run the same
``python -m bot create`` again: one ad showing every video, nothing made twice (issue 14).

As in ``test_several_videos_crash``: a real subprocess against the Graph emulator in this
process, the emulator holding the answer to the ad's create (``Fault(delay_after_ms=...)``, so
Meta applied the write), SIGKILL from outside; the re-run adopts the ad by its name.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.graph_emulator import Fault, GraphEmulator
from tests.media import make_test_video
from tests.reliability.conftest import (
    cli_env,
    db_row,
    killed_at_the_end,
    run_cli,
    start_cli,
    wait_for,
    write_campaign,
)
from tests.reliability.test_several_videos_crash import HOLD_MS, _pending

pytestmark = pytest.mark.reliability


def test_kill_9_while_the_flexible_ads_answer_is_held_then_rerun_makes_one_ad(
    graph: GraphEmulator, tmp_path: Path
) -> None:
    videos = [  # three films of different bytes (the same bytes would be one Meta video)
        str(make_test_video(tmp_path / f"{name}.mp4", seconds=seconds, fps=5))
        for name, seconds in (("teaser", 1.0), ("demo", 1.2), ("film", 1.4))
    ]
    path = write_campaign(
        tmp_path,
        video=None,
        primary_text=None,
        videos=videos,
        primary_texts=["Meet AINOTE 2", "Notes that write themselves"],
        creative_mode="flexible",
    )
    db = tmp_path / "adbee.db"
    env = cli_env(graph, db)
    graph.inject(Fault(delay_after_ms=HOLD_MS, path_contains="/ads", method="POST", times=1))

    process = start_cli(env, "create", str(path), out=tmp_path / "first-run.txt")
    with killed_at_the_end(process, tmp_path / "first-run.txt"):
        wait_for(lambda: len(graph.objects("ad")) == 1 or process.poll() is not None, timeout=30)
    row = db_row(db)
    assert row is not None and row["status"] == "creating", row
    assert ("ad", "main") in _pending(db)  # marked before the post went out

    graph.clear_faults()
    code, out = run_cli(env, "create", str(path))

    assert code == 0, out
    assert "from the interrupted run" in out, out
    for kind, count in (("advideo", 3), ("adcreative", 1), ("ad", 1)):
        assert len(graph.objects(kind, include_deleted=True)) == count, f"{kind}: {out}"
    (group,) = graph.objects("ad")[0]["creative_asset_groups_spec"]["groups"]
    assert len(group["videos"]) == 3
    assert _pending(db) == []
