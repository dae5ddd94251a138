"""An ad-ops person launches the same campaign again from a terminal: in its own ad account the
video Meta already holds is used (nothing uploaded, even once AdBee's copy of the file is gone);
in another account the video is uploaded there, as Meta's videos belong to one account."""

from __future__ import annotations

import io
import shutil
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from sandbox.graph_emulator import GraphEmulator
from tests.conftest import ROOT
from tests.helpers import write_campaign


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def video_uploads(graph: GraphEmulator) -> list[str]:
    return [r.path for r in graph.requests if r.method == "POST" and r.path.endswith("/advideos")]


def test_duplicate_reuses_the_video_in_its_account_and_uploads_it_in_another(
    graph: GraphEmulator, tmp_path: Path, meta_env: Path
) -> None:
    film = tmp_path / "film.mp4"
    shutil.copy(ROOT / "creatives" / "ainote2.mp4", film)
    code, out = run("create", str(write_campaign(tmp_path, video=str(film))))
    assert code == 0, out
    (source_video,) = [v["id"] for v in graph.objects("advideo")]
    film.unlink()  # as a Slack download is deleted once its campaign is made

    graph.clear_requests()
    code, out = run("duplicate", "1", "--name", "AINOTE2 wave 2")
    assert code == 0, out
    assert "Duplicating #1 'AINOTE2 launch SG' (iflytek-sg) as 'AINOTE2 wave 2'" in out
    assert "awaits approval in Slack" in out
    assert video_uploads(graph) == []
    creatives = [c for c in graph.objects("adcreative") if "wave 2" in str(c.get("name"))]
    assert len(creatives) == 1
    assert creatives[0]["object_story_spec"]["video_data"]["video_id"] == source_video
    assert {c["status"] for c in graph.objects("campaign")} == {"PAUSED"}

    graph.clear_requests()
    code, out = run("duplicate", "1", "--account", "iflytek-my", "--countries", "MY")
    assert code == 1, out  # the file is gone and Malaysia's account has no copy of the video
    assert "video: file not found" in out
    assert not [r for r in graph.requests if r.method != "GET"]

    shutil.copy(ROOT / "creatives" / "ainote2.mp4", film)  # attached again
    code, out = run(
        "duplicate", "AINOTE2 launch SG", "--account", "iflytek-my", "--countries", "MY"
    )
    assert code == 0, out
    uploads = video_uploads(graph)  # start, transfer..., finish: all in Malaysia's account
    assert uploads and {path.split("/", 2)[2] for path in uploads} == {"act_2234567890/advideos"}
    my = [c for c in graph.objects("campaign") if c.get("account_id") == "2234567890"]
    assert len(my) == 1
    adsets = [a for a in graph.objects("adset") if a.get("campaign_id") == my[0]["id"]]
    assert adsets[0]["targeting"]["geo_locations"]["countries"] == ["MY"]
    assert len(graph.objects("advideo")) == 2
    with sqlite3.connect(meta_env) as db:  # who, when, from which campaign: on both sides
        audit = db.execute(
            "SELECT campaign_id, actor, action, detail FROM audit_events WHERE action LIKE "
            "'duplicate%' ORDER BY id"
        ).fetchall()
    assert audit == [
        (2, "cli", "duplicate", "duplicate of #1 'AINOTE2 launch SG' (iflytek-sg → iflytek-sg)"),
        (1, "cli", "duplicated", "duplicated as #2 'AINOTE2 wave 2' (iflytek-sg → iflytek-sg)"),
        (3, "cli", "duplicate", "duplicate of #1 'AINOTE2 launch SG' (iflytek-sg → iflytek-my)"),
        (1, "cli", "duplicated", "duplicated as #3 'AINOTE2 launch SG' (iflytek-sg → iflytek-my)"),
    ]


@pytest.mark.usefixtures("meta_env")
def test_a_bad_value_is_refused_by_field_before_anything_is_sent(
    graph: GraphEmulator, tmp_path: Path
) -> None:
    code, out = run("create", str(write_campaign(tmp_path)))
    assert code == 0, out
    graph.clear_requests()
    code, out = run("duplicate", "1", "--countries", "ZZ", "--account", "iflytek-nowhere")
    assert code == 1, out
    assert "nothing was sent to Meta" in out and "account:" in out
    assert all(r.method == "GET" for r in graph.requests)
    code, out = run("duplicate", "no such campaign")
    assert code == 1 and "No campaign 'no such campaign'" in out


@pytest.mark.usefixtures("meta_env")
def test_a_duplicate_of_two_videos_and_an_image_has_the_same_three_ads_and_uploads_no_video(
    graph: GraphEmulator, tmp_path: Path
) -> None:
    from tests.cli.test_image_ads import two_videos_and_an_image

    code, out = run("create", str(two_videos_and_an_image(tmp_path)))
    assert code == 0, out
    graph.clear_requests()
    code, out = run("duplicate", "1")
    assert code == 0, out
    assert "'AINOTE2 launch SG (copy)'" in out
    assert video_uploads(graph) == []
    copy = [a for a in graph.objects("ad") if "(copy)" in str(a.get("name"))]
    assert len(copy) == 3  # two video ads and the image ad
