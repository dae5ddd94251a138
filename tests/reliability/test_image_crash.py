"""kill -9 after Meta stored an ad image but before AdBee learned its hash, then run the same
``python -m bot create`` again: the image is adopted by its md5, never uploaded twice (issue 14).

As in ``test_several_videos_crash``: a real subprocess against the Graph emulator in this
process, the emulator holding the answer to ``POST act_<id>/adimages`` (``Fault(delay_after_ms=
...)``, so Meta stored the image), SIGKILL from outside, then the re-run reads
``act_<id>/adimages?hashes=[<md5>]``, adopts the image and finishes both ads.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from sandbox.graph_emulator import Fault, GraphEmulator
from tests.media import make_test_image
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


def _image_posts(graph: GraphEmulator) -> int:
    return sum(1 for r in graph.requests if r.method == "POST" and r.path.endswith("/adimages"))


def _rows(db: Path) -> list[tuple[str, str, str | None, int]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute(
            "select kind, key, meta_id, pending from meta_objects where kind = 'image'"
        ).fetchall()


def test_kill_9_while_metas_answer_to_the_image_upload_is_on_its_way_then_rerun(
    graph: GraphEmulator, tmp_path: Path
) -> None:
    image = tmp_path / "hero.jpg"
    digest = hashlib.md5(make_test_image(image, width=1080, height=1350)).hexdigest()
    path = write_campaign(
        tmp_path, video=str(ROOT / "creatives" / "ainote2.mp4"), images=[str(image)]
    )
    db = tmp_path / "adbee.db"
    env = cli_env(graph, db)
    held = graph.inject(
        Fault(delay_after_ms=HOLD_MS, path_contains="/adimages", method="POST", times=1)
    )

    process = start_cli(env, "create", str(path), out=tmp_path / "first-run.txt")
    with killed_at_the_end(process, tmp_path / "first-run.txt"):
        # Recorded once Meta applied it; the answer is then held back until the kill.
        wait_for(lambda: _image_posts(graph) == 1 or process.poll() is not None, timeout=30)
    assert held.fired == 1
    row = db_row(db)
    assert row is not None and row["status"] == "creating", row
    assert _rows(db) == [("image", "2", None, 1)]  # marked pending before the upload went out

    graph.clear_faults()
    code, out = run_cli(env, "create", str(path))

    assert code == 0, out
    assert f"found image {digest}" in out, out
    assert _image_posts(graph) == 1  # adopted through ?hashes=[...], not uploaded again
    assert _rows(db) == [("image", "2", digest, 0)]
    for kind, count in (("campaign", 1), ("adset", 1), ("adcreative", 2), ("ad", 2)):
        assert len(graph.objects(kind, include_deleted=True)) == count, f"{kind}: {out}"
    shown = [
        c["object_story_spec"].get("link_data", {}).get("image_hash")
        for c in graph.objects("adcreative")
    ]
    assert digest in shown
    final = db_row(db)
    assert final is not None and final["status"] == "created"
