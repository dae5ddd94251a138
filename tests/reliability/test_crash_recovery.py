"""kill -9 during each creation step, then run the same command again.

``python -m bot create`` runs as a real subprocess against the Graph API emulator in this process
and a SQLite file. The emulator holds the process at the target step; the test sees it get there
(Meta's request log, or the row's ``step``), kills it with SIGKILL, clears the fault and re-runs
the command. The second run must finish (exit 0) and Meta must hold exactly one live object of
each kind, the ones printed, with nothing left over: no duplicate and no orphan, deleted or not.

The create steps are killed *after* Meta applied the write but before AdBee learned the new id
(``Fault(delay_after_ms=...)``), the case where a naive resume creates the object twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox.graph_emulator import Fault, GraphEmulator
from tests.reliability.conftest import (
    KINDS,
    cli_env,
    db_row,
    killed_at_the_end,
    live_counts,
    printed_ids,
    run_cli,
    start_cli,
    wait_for,
    write_campaign,
)

pytestmark = pytest.mark.reliability

HOLD_MS = 20_000  # far longer than the test waits: the process is killed while held


@dataclass(frozen=True)
class CrashPoint:
    step: str  # the pipeline's Step value
    arm: Callable[[GraphEmulator], None]  # make the emulator stall the process at the step
    reached: Callable[[GraphEmulator, Path], bool]  # the process is stalled there now
    lost_create: bool  # Meta applied a create whose id AdBee never got


def _applied(graph: GraphEmulator, edge: str) -> bool:
    return any(
        r.method == "POST" and r.path.rstrip("/").endswith(f"/{edge}") and r.status == 200
        for r in graph.requests
    )


def _hold_after_write(edge: str) -> Callable[[GraphEmulator], None]:
    def arm(graph: GraphEmulator) -> None:
        graph.inject(
            Fault(delay_after_ms=HOLD_MS, path_contains=f"/{edge}", method="POST", times=1)
        )

    return arm


def _slow_processing(graph: GraphEmulator) -> None:
    graph.video_processing_seconds = 600


def _slow_chunks(graph: GraphEmulator) -> None:
    # 98 KB in 16 KiB windows: seven transfers, each answer held back a little.
    graph.chunk_size = 16 * 1024
    graph.inject(Fault(delay_after_ms=150, path_contains="/advideos", method="POST", times=None))


def _polling(graph: GraphEmulator, db: Path) -> bool:
    """The video is uploaded and AdBee is asking Meta whether it is processed.

    Not read from the row's step: that is whichever branch wrote last, and the campaign and ad
    set are made while Meta processes the video, so it often says ``create_adset`` by then (the
    wait timed out in a clean CI run, the process printing "Creating ad set: done").
    """
    row = db_row(db)
    return bool(row and row["status"] == "creating" and graph.objects("advideo")) and any(
        r.method == "GET" and r.params.get("fields") == "status" for r in graph.requests
    )


def _mid_transfer(graph: GraphEmulator, db: Path) -> bool:
    """Some chunks are in (the saved session has moved on) and the upload is not finished."""
    session = json.loads((db_row(db) or {}).get("upload_session") or "null")
    return bool(session) and 0 < int(session["next_offset"]) < int(session["file_size"])


CRASH_POINTS = {
    # upload: Meta created the video (upload start) but the answer never reached AdBee
    "upload_start": CrashPoint(
        "upload_video",
        _hold_after_write("advideos"),
        lambda g, _db: _applied(g, "advideos"),
        True,
    ),
    # upload: killed between two chunks; the saved session resumes it
    "upload_transfer": CrashPoint(
        "upload_video", _slow_chunks, lambda g, db: _mid_transfer(g, db), False
    ),
    "processing_wait": CrashPoint("wait_for_processing", _slow_processing, _polling, False),
    "creative": CrashPoint(
        "create_creative",
        _hold_after_write("adcreatives"),
        lambda g, _db: _applied(g, "adcreatives"),
        True,
    ),
    "campaign": CrashPoint(
        "create_campaign",
        _hold_after_write("campaigns"),
        lambda g, _db: _applied(g, "campaigns"),
        True,
    ),
    "adset": CrashPoint(
        "create_adset",
        _hold_after_write("adsets"),
        lambda g, _db: _applied(g, "adsets"),
        True,
    ),
    "ad": CrashPoint(
        "create_ad", _hold_after_write("ads"), lambda g, _db: _applied(g, "ads"), True
    ),
}


@pytest.mark.parametrize("where", list(CRASH_POINTS))
def test_kill_9_during_a_step_then_rerun_resumes_with_one_of_each(
    where: str, graph: GraphEmulator, tmp_path: Path
) -> None:
    point = CRASH_POINTS[where]
    db = tmp_path / "adbee.db"
    env = cli_env(graph, db)
    path = write_campaign(tmp_path)
    point.arm(graph)

    process = start_cli(env, "create", str(path), out=tmp_path / "first-run.txt")
    with killed_at_the_end(process, tmp_path / "first-run.txt"):
        wait_for(lambda: point.reached(graph, db) or process.poll() is not None, timeout=45)

    row = db_row(db)
    assert row is not None and row["status"] == "creating", row
    if point.lost_create:  # recorded before the call went out: the re-run looks first
        assert point.step in row["pending_writes"], row
    graph.clear_faults()
    graph.video_processing_seconds = 0.2

    code, out = run_cli(env, "create", str(path))

    assert code == 0, out
    assert "everything PAUSED" in out
    assert live_counts(graph) == dict.fromkeys(KINDS, 1), out
    for kind in ("campaign", "adset", "adcreative", "ad"):
        assert len(graph.objects(kind, include_deleted=True)) == 1, f"{kind} was created twice"
    # A video whose upload answer was lost may be uploaded again, but the lost one is deleted.
    assert [
        v for v in graph.objects("advideo", include_deleted=True) if v.get("status") != "DELETED"
    ] == graph.objects("advideo")
    if where == "upload_start":  # the lost video was found by its title and deleted
        assert len(graph.objects("advideo", include_deleted=True)) == 2
    shown = printed_ids(out)
    assert shown == {kind: graph.objects(kind)[0]["id"] for kind in KINDS}, out
    if point.lost_create and point.step != "upload_video":
        assert "from the interrupted run" in out, out
    final = db_row(db)
    assert final is not None and final["status"] == "created" and final["pending_writes"] == "[]"
    campaign = graph.objects("campaign")[0]
    assert campaign["status"] == "PAUSED"
    assert graph.objects("ad")[0]["adset_id"] == graph.objects("adset")[0]["id"]
