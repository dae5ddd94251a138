"""The dry run shows what the real run sends, and a video's title fits Meta's limit everywhere.

``python -m bot create FILE --dry-run`` is how a team checks a campaign before it goes out; every
parameter it prints must be the one the real run then sends (only ids Meta or the database assign
are placeholders). The video's title is cut to Meta's limit (less than 255, counted in UTF-16
units, see ``meta/domain/video_title.py``) with the AdBee id kept, and the lookup for a lost upload
compares that same cut title.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from meta.domain.video_title import MAX_TITLE_UNITS, utf16_units
from sandbox.graph_emulator import Fault
from tests.helpers import write_campaign

ROOT = Path(__file__).resolve().parents[2]


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def dry_run_calls(out: str) -> list[tuple[str, str, dict[str, str]]]:
    """(label, path after the version, params) of every request the dry run printed."""
    calls = []
    for block in re.split(r"\n\n(?=\d+\. )", out)[1:]:
        lines = block.splitlines()
        label = lines[0].split(". ", 1)[1]
        path = re.sub(r"^\S+ https?://[^/]+/v\d+\.\d+/", "", lines[1].strip())
        params = dict(line.strip().split("=", 1) for line in lines[2:] if "=" in line)
        calls.append((label, path, params))
    return calls


def decoded(value: str) -> object:
    try:
        return json.loads(value)
    except ValueError:
        return value


def same_as_printed(printed: dict[str, str], sent: dict[str, str], ids: dict[str, str]) -> None:
    """Every printed parameter was sent with that value (placeholders stand for Meta's ids)."""
    assert set(printed) == set(sent), (sorted(printed), sorted(sent))
    for key, shown in printed.items():
        if re.fullmatch(r"<[^<>]+>", shown) and shown not in ids:
            continue  # what Meta's answers decide, e.g. <from start>, <window start>
        for placeholder, real in ids.items():
            shown = shown.replace(placeholder, real)
        assert decoded(shown) == decoded(sent[key]), key


def video_copy(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    shutil.copyfile(ROOT / "creatives" / "ainote2.mp4", path)
    return path


@pytest.mark.usefixtures("meta_env")
def test_the_dry_run_prints_exactly_what_the_real_run_then_sends(graph, tmp_path):
    path = write_campaign(tmp_path)
    code, out = run("create", str(path), "--dry-run")
    assert code == 0, out
    printed = dry_run_calls(out)
    assert graph.requests == []

    code, created = run("create", str(path))
    assert code == 0, created
    adbee_id = re.search(r"AdBee #(\d+)", created)[1]
    sent = [r for r in graph.requests if r.method == "POST"]

    def first(edge: str, phase: str | None = None):  # type: ignore[no-untyped-def]
        return next(
            r
            for r in sent
            if r.path.rstrip("/").endswith(edge) and r.body.get("upload_phase") == phase
        )

    by_label = {label: params for label, _path, params in printed}
    [creative] = graph.objects("adcreative")
    video_data = creative["object_story_spec"]["video_data"]
    ids = {
        "<AdBee id>": adbee_id,
        "<video_id>": video_data["video_id"],
        "<preferred thumbnail uri>": video_data["image_url"],
        "<creative_id>": creative["id"],
        "<campaign_id>": graph.objects("campaign")[0]["id"],
        "<adset_id>": graph.objects("adset")[0]["id"],
    }
    same_as_printed(by_label["video upload start"], first("/advideos", "start").body, ids)
    transfer = first("/advideos", "transfer")
    same_as_printed(
        by_label["video upload transfer (repeated per chunk)"],
        {**transfer.body, **dict.fromkeys(transfer.files, "<bytes>")},
        ids,
    )
    same_as_printed(by_label["video upload finish"], first("/advideos", "finish").body, ids)
    for label, edge in (
        ("creative", "/adcreatives"),
        ("campaign", "/campaigns"),
        ("ad set", "/adsets"),
        ("ad", "/ads"),
    ):
        same_as_printed(by_label[label], first(edge).body, ids)
    [video] = graph.objects("advideo")
    assert video["title"] == f"ainote2.mp4 · AdBee #{adbee_id}"


@pytest.mark.usefixtures("meta_env")
def test_a_long_file_name_with_an_emoji_is_cut_as_meta_counts_and_keeps_the_adbee_id(
    graph, tmp_path
):
    # 249 characters but 250 UTF-16 units: cutting by characters would leave 255 units.
    video = video_copy(tmp_path, "a" * 243 + "🎬" + ".mp4")
    code, out = run("create", str(write_campaign(tmp_path, video=str(video))))

    assert code == 0, out
    [uploaded] = graph.objects("advideo")
    title = uploaded["title"]
    assert utf16_units(title) <= MAX_TITLE_UNITS
    assert re.search(r" · AdBee #\d+$", title), title
    assert title.startswith("a" * 200)


@pytest.mark.usefixtures("meta_env")
def test_an_upload_whose_answer_was_lost_is_found_by_its_cut_title_and_removed(graph, tmp_path):
    video = video_copy(tmp_path, "b" * 245 + ".mp4")
    path = write_campaign(tmp_path, video=str(video))
    # Meta creates the video at the upload start, then the connection drops before the answer.
    graph.inject(Fault(drop_connection=True, times=1, path_contains="/advideos", method="POST"))
    code, out = run("create", str(path))
    assert code == 1, out
    assert len(graph.objects("advideo")) == 1  # created in Meta, unknown to AdBee

    code, out = run("create", str(path))

    assert code == 0, out
    live = graph.objects("advideo")
    assert len(live) == 1, [v["title"] for v in live]  # the lost one was found and removed
    assert all(utf16_units(v["title"]) <= MAX_TITLE_UNITS for v in live)
