"""kill -9 between "new creative" and "ad switched", then run the edit again: it finishes once.

``python -m bot edit`` runs as a real subprocess against the Graph API emulator in this process
and a SQLite file. The emulator holds the process on the ad's switch to the new creative (Meta
validates it first: that answer is held); the test kills the process from outside with SIGKILL,
clears the fault and runs ``python -m bot edit <id>`` again. The interrupted edit must finish
from its last committed step: no second creative, one switch of the ad, the old creative kept.
A second variant kills it after Meta made the creative but before AdBee learned its id.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.bootstrap import build_services
from meta.domain.records import EditStatus
from sandbox.graph_emulator import Fault, GraphEmulator
from tests.campaign_harness import APPROVER, POLICY, REQUESTER, ROOT, settings_for
from tests.media import distinct_copy
from tests.reliability.conftest import (
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
EXAMPLE = ROOT / "creatives" / "ainote2.mp4"
NEW_TEXT = "Meet AINOTE 2: the notebook that writes your meeting notes for you."


def edit_row(db: Path) -> dict[str, Any] | None:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("select * from campaign_edits order by id desc limit 1").fetchone()
        return dict(row) if row else None


def posts(graph: GraphEmulator, path_end: str, *, validating: bool) -> list[Any]:
    return [
        r
        for r in graph.requests
        if r.method == "POST"
        and r.path.rstrip("/").endswith(path_end)
        and r.status == 200
        and ("validate_only" in str(r.params.get("execution_options"))) == validating
    ]


@pytest.mark.parametrize("where", ["before_the_switch", "creative_answer_lost"])
def test_kill_9_mid_edit_then_run_again_finishes_it_once(
    where: str, graph: GraphEmulator, tmp_path: Path
) -> None:
    db = tmp_path / "adbee.db"
    env = cli_env(graph, db)
    code, out = run_cli(env, "create", str(write_campaign(tmp_path)), timeout=60)
    assert code == 0, out
    campaign = db_row(db)
    assert campaign is not None
    old_creative, ad = str(campaign["creative_id"]), str(campaign["ad_id"])
    if where == "before_the_switch":  # the creative is made and committed; the ad not switched
        graph.inject(Fault(delay_after_ms=HOLD_MS, path_contains=f"/{ad}", method="POST"))

        def reached() -> bool:
            return bool(posts(graph, f"/{ad}", validating=True))
    else:  # Meta makes the creative, the answer never reaches AdBee
        graph.inject(
            Fault(
                delay_after_ms=HOLD_MS,
                path_contains="/adcreatives",
                method="POST",
                validate_only=False,
            )
        )

        def reached() -> bool:
            return len(graph.objects("adcreative")) == 2

    process = start_cli(
        env,
        "edit",
        str(campaign["id"]),
        "--set",
        f"primary_text={NEW_TEXT}",
        out=tmp_path / "first-run.txt",
    )
    with killed_at_the_end(process, tmp_path / "first-run.txt"):
        wait_for(lambda: reached() or process.poll() is not None, timeout=30)

    stopped = edit_row(db)
    assert stopped is not None and stopped["status"] == "applying", stopped
    assert graph.get_object(ad)["creative_id"] == old_creative  # type: ignore[index]
    graph.clear_faults()

    code, out = run_cli(env, "edit", str(campaign["id"]), timeout=60)

    assert code == 0, out
    assert re.search(r"Finishing edit \d+, interrupted earlier", out), out
    finished = edit_row(db)
    assert finished is not None and finished["status"] == "applied", finished
    new_creative = json.loads(finished["progress"])["creative_id"]
    creatives = graph.objects("adcreative", include_deleted=True)
    assert sorted(c["id"] for c in creatives) == sorted([old_creative, new_creative]), out
    assert graph.get_object(ad)["creative_id"] == new_creative  # type: ignore[index]
    assert len(posts(graph, f"/{ad}", validating=False)) == 1  # switched once
    message = graph.get_object(new_creative)["object_story_spec"]["video_data"]["message"]  # type: ignore[index]
    assert message == NEW_TEXT
    assert graph.get_object(old_creative)["status"] == "ACTIVE"  # type: ignore[index]
    again_code, again = run_cli(
        env, "edit", str(campaign["id"]), "--set", f"primary_text={NEW_TEXT}"
    )
    assert again_code == 0 and "Nothing to change" in again, again


def test_kill_9_between_two_ads_of_a_three_ad_edit_then_run_again_finishes_it_once(
    graph: GraphEmulator, tmp_path: Path
) -> None:
    """A headline fix on a campaign of three ads: a new creative per ad, each switched in turn.
    Killed while the second ad's switch is held, the edit finishes from there: every ad switched
    exactly once, three new creatives (none made twice), the first ad's switch not sent again."""
    db = tmp_path / "adbee.db"
    env = cli_env(graph, db)
    videos = [str(distinct_copy(EXAMPLE, tmp_path / f"cut-{cut}.mp4")) for cut in "abc"]
    path = write_campaign(tmp_path, video=None, videos=videos)
    code, out = run_cli(env, "create", str(path), timeout=90)
    assert code == 0, out
    campaign = db_row(db)
    assert campaign is not None
    ads = [str(ad["id"]) for ad in graph.objects("ad")]
    old = {str(ad["id"]): str(ad["creative_id"]) for ad in graph.objects("ad")}
    assert len(ads) == 3
    first, second, _third = sorted(ads, key=lambda a: graph.get_object(a)["name"])  # type: ignore[index]
    graph.inject(Fault(delay_after_ms=HOLD_MS, path_contains=f"/{second}", method="POST"))

    process = start_cli(
        env,
        "edit",
        str(campaign["id"]),
        "--set",
        "headline=AINOTE 2 writes your notes",
        out=tmp_path / "first-run.txt",
    )
    with killed_at_the_end(process, tmp_path / "first-run.txt"):
        wait_for(
            lambda: bool(posts(graph, f"/{second}", validating=True)) or process.poll() is not None,
            timeout=60,
        )

    stopped = edit_row(db)
    assert stopped is not None and stopped["status"] == "applying", stopped
    done = json.loads(stopped["progress"])["done"]
    assert "switched:main" in done and "switched:2" not in done, done
    assert graph.get_object(first)["creative_id"] != old[first]  # type: ignore[index]
    assert graph.get_object(second)["creative_id"] == old[second]  # type: ignore[index]
    graph.clear_faults()

    code, out = run_cli(env, "edit", str(campaign["id"]), timeout=60)

    assert code == 0, out
    assert re.search(r"Finishing edit \d+, interrupted earlier", out), out
    finished = edit_row(db)
    assert finished is not None and finished["status"] == "applied", finished
    made = json.loads(finished["progress"])["creative_ids"]
    assert len(made) == 3
    creatives = graph.objects("adcreative", include_deleted=True)
    assert len(creatives) == 6, [c["name"] for c in creatives]  # three old, three new
    for ad in ads:
        creative = str(graph.get_object(ad)["creative_id"])  # type: ignore[index]
        assert creative != old[ad] and creative in made.values()
        title = graph.get_object(creative)["object_story_spec"]["video_data"]["title"]  # type: ignore[index]
        assert title == "AINOTE 2 writes your notes"
        assert len(posts(graph, f"/{ad}", validating=False)) == 1, ad  # switched once each


@pytest.mark.parametrize("where", ["upload_answer_lost", "video_processing", "new_ad_answer_lost"])
def test_kill_9_in_an_approved_new_video_edit_then_run_again_finishes_it_once(
    where: str, graph: GraphEmulator, tmp_path: Path
) -> None:
    """An added video, approved: the process applying it is killed after Meta opened the upload
    but before its answer arrived, while Meta processes the uploaded video (the upload
    committed), or after Meta made the new ad but before its answer arrived. Run again, the edit
    finishes from there: one upload kept, one new creative, one new ad."""
    db = tmp_path / "adbee.db"
    env = cli_env(graph, db)
    code, out = run_cli(env, "create", str(write_campaign(tmp_path)), timeout=60)
    assert code == 0, out
    campaign = db_row(db)
    assert campaign is not None
    cut = distinct_copy(EXAMPLE, tmp_path / "cut-b.mp4")
    services = build_services(settings_for(f"sqlite:///{db}", graph), base_dir=ROOT)
    try:
        edits = services.edits(POLICY)
        asked = edits.submit(campaign["id"], {"add_video": str(cut)}, REQUESTER, source="test")
        assert asked.awaiting is not None
        # Approved; the approver's process stops before applying it (the resume's case).
        assert services.edit_store is not None
        assert services.edit_store.update_edit(
            asked.awaiting.id,
            from_statuses=[EditStatus.AWAITING_APPROVAL],
            status=EditStatus.APPLYING,
            approved_by=APPROVER.user_id,
        )
    finally:
        services.engine.dispose()
    if where == "upload_answer_lost":  # Meta opened the upload; its answer never arrived
        graph.inject(
            Fault(delay_after_ms=HOLD_MS, path_contains="/advideos", method="POST", times=1)
        )

        def reached() -> bool:
            return len(graph.objects("advideo")) == 2
    elif where == "video_processing":
        graph.video_processing_seconds = 3600  # still processing when the process is killed

        def reached() -> bool:  # uploaded and committed; Meta still processing it
            return len(graph.objects("advideo")) == 2 and _video_row_recorded(db)
    else:
        graph.inject(
            Fault(delay_after_ms=HOLD_MS, path_contains="/ads", method="POST", validate_only=False)
        )

        def reached() -> bool:
            return len(graph.objects("ad")) == 2

    process = start_cli(env, "edit", str(campaign["id"]), out=tmp_path / "first-run.txt")
    with killed_at_the_end(process, tmp_path / "first-run.txt"):
        wait_for(lambda: reached() or process.poll() is not None, timeout=60)

    stopped = edit_row(db)
    assert stopped is not None and stopped["status"] == "applying", stopped
    graph.clear_faults()
    graph.video_processing_seconds = 0.2

    code, out = run_cli(env, "edit", str(campaign["id"]), timeout=60)

    assert code == 0, out
    assert re.search(r"Finishing edit \d+, interrupted earlier", out), out
    finished = edit_row(db)
    assert finished is not None and finished["status"] == "applied", finished
    progress = json.loads(finished["progress"])
    # Uploaded once: a lost upload is cleaned up by its title before the next one.
    assert len(graph.objects("advideo")) == 2
    made = 3 if where == "upload_answer_lost" else 2  # the orphan, deleted
    assert len(graph.objects("advideo", include_deleted=True)) == made
    assert len(graph.objects("adcreative", include_deleted=True)) == 2  # one new creative
    ads = graph.objects("ad", include_deleted=True)
    assert len(ads) == 2 and progress["new_ad_id"] in {str(ad["id"]) for ad in ads}
    new_ad = graph.get_object(progress["new_ad_id"])
    assert new_ad is not None and new_ad["creative_id"] == progress["creative_ids"]["new"]


def _video_row_recorded(db: Path) -> bool:
    """The edit's video has its Meta id committed (the upload is done; processing follows)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        row = conn.execute(
            "select meta_id from meta_objects where kind = 'video' and key like 'edit-%' "
            "and meta_id is not null and not pending"
        ).fetchone()
        return row is not None
