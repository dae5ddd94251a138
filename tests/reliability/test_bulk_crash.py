"""kill -9 in the middle of a 10-campaign bulk launch, then the same ``python -m bot create
--sheet`` again: exactly ten campaigns, nothing made twice (issue 14, Done when).

A real CLI process against the Graph emulator in this process, killed from outside at a bad
moment: Meta has applied a write whose answer it is holding (``Fault(delay_after_ms=...)``), so
the process dies between Meta's write and learning its id. The re-run skips the campaigns the
first run finished (same rows, same values), adopts the held object by its name, and makes the
rest; every kind of object in Meta is counted, deleted ones included, and the one video the ten
share was uploaded once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.graph_emulator import Fault, GraphEmulator
from tests.helpers import write_sheet
from tests.reliability.conftest import cli_env, killed_at_the_end, run_cli, start_cli, wait_for

pytestmark = pytest.mark.reliability

HOLD_MS = 20_000  # far longer than the test waits: the process is killed while Meta holds it


def posts(graph: GraphEmulator, edge: str, **body: str) -> int:
    return sum(
        1
        for r in graph.requests
        if r.method == "POST"
        and r.path.rstrip("/").endswith(edge)
        and r.status == 200
        and all(r.body.get(k) == v for k, v in body.items())
    )


# The moment of the kill: the write Meta is holding the answer to (edge), and which writes to
# that edge went through before it (counted by ``body``); ``slow`` delays the first such write,
# so the hold is armed between two writes that follow each other closely.
MOMENTS = {
    "the 6th campaign's ad set, made by Meta, its id not yet known": ("/adsets", {}, 5, False),
    "the shared video's first chunk, sent to Meta, its answer not back": (
        "/advideos",
        {"upload_phase": "start"},
        1,
        True,
    ),
}


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_kill_9_in_the_middle_of_a_ten_campaign_bulk_then_rerun_makes_ten_once(
    graph: GraphEmulator, tmp_path: Path, moment: str
) -> None:
    edge, body, before, slow = MOMENTS[moment]
    path = write_sheet(tmp_path, rows=10)
    db = tmp_path / "adbee.db"
    env = cli_env(graph, db)
    if slow:
        graph.inject(Fault(delay_after_ms=1000, path_contains=edge, method="POST", times=1))

    first = tmp_path / "first-run.txt"
    process = start_cli(env, "create", "--sheet", str(path), out=first)
    with killed_at_the_end(process, first):
        wait_for(lambda: posts(graph, edge, **body) >= before or process.poll() is not None, 120)
        graph.inject(Fault(delay_after_ms=HOLD_MS, path_contains=edge, method="POST", times=1))
        wait_for(lambda: posts(graph, edge) > before or process.poll() is not None, 120)
    assert len(graph.objects("campaign")) < 10  # killed in the middle, not at the end

    graph.clear_faults()
    code, out = run_cli(env, "create", "--sheet", str(path), timeout=240)

    assert code == 0, out
    finished_before = first.read_text().count("-> created")
    assert out.count(" already created -> created") == finished_before, out
    for kind in ("campaign", "adset", "adcreative", "ad"):
        assert len(graph.objects(kind, include_deleted=True)) == 10, f"{kind}: {out}"
    assert len(graph.objects("advideo", include_deleted=True)) == 1
    assert posts(graph, "/advideos", upload_phase="start") == 1
    assert len({c["name"] for c in graph.objects("campaign")}) == 10

    # A third run finds all ten made and makes nothing.
    writes = posts(graph, "")
    code, out = run_cli(env, "create", "--sheet", str(path), timeout=120)
    assert code == 0, out
    assert out.count(" already created -> created") == 10
    assert posts(graph, "") == writes
