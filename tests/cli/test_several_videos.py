"""A campaign file with several videos makes one creative and one ad per video (issue 14,
creative_mode ads), against the Graph API emulator as Meta, through ``python -m bot create``."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from sandbox.graph_emulator import Fault, GraphEmulator
from tests.helpers import nothing_sent_but_budget_reads, write_campaign
from tests.media import distinct_copy

ROOT = Path(__file__).resolve().parents[2]
TEXTS = ["Meet AINOTE 2", "Notes that write themselves", "E-ink, all day"]


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def three_videos(folder: Path) -> list[str]:
    paths = []
    for name in ("cut-a.mp4", "cut-b.mp4", "cut-c.mp4"):
        distinct_copy(ROOT / "creatives" / "ainote2.mp4", folder / name)
        paths.append(str(folder / name))
    return paths


def campaign_file(folder: Path, **overrides: object) -> Path:
    fields: dict[str, object] = {
        "video": None,
        "primary_text": None,
        "videos": three_videos(folder),
        "primary_texts": TEXTS,
    }
    fields.update(overrides)
    return write_campaign(folder, **fields)


def object_rows(db: Path) -> list[tuple[str, str, str | None, int, str | None, str | None]]:
    """(kind, key, Meta id, pending, parent kind:key, uses kind:key) of every meta_objects row."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT o.kind, o.key, o.meta_id, o.pending, p.kind || ':' || p.key, "
            "u.kind || ':' || u.key FROM meta_objects o "
            "LEFT JOIN meta_objects p ON p.id = o.parent_id "
            "LEFT JOIN meta_objects u ON u.id = o.uses_id ORDER BY o.kind, o.key"
        ).fetchall()
    return [tuple(row) for row in rows]


def test_three_videos_make_three_paused_ads_in_the_one_ad_set(
    graph: GraphEmulator, meta_env, tmp_path
):
    code, out = run("create", str(campaign_file(tmp_path)))

    assert code == 0, out
    assert [
        len(graph.objects(k)) for k in ("campaign", "adset", "advideo", "adcreative", "ad")
    ] == [
        1,
        1,
        3,
        3,
        3,
    ]
    adset = graph.objects("adset")[0]
    videos = {v["id"]: v for v in graph.objects("advideo")}
    creatives = {c["id"]: c for c in graph.objects("adcreative")}
    shown = []
    for ad in sorted(graph.objects("ad"), key=lambda a: a["name"]):
        assert ad["adset_id"] == adset["id"] and ad["status"] == "PAUSED"
        creative = creatives[ad["creative_id"]]
        data = creative["object_story_spec"]["video_data"]
        shown.append(
            (ad["name"], creative["name"], data["message"], videos[data["video_id"]]["title"])
        )
    # The account's naming templates, each ad named from its own video, numbered.
    campaign = graph.objects("campaign")[0]["name"]
    assert [(a, c, m) for a, c, m, _t in shown] == [
        (f"{campaign} | cut-{x} {n}", f"{campaign} - creative {n}", TEXTS[n - 1])
        for n, x in ((1, "a"), (2, "b"), (3, "c"))
    ]
    assert [t.split(" · ")[0] for *_x, t in shown] == [
        "1. cut-a.mp4",
        "2. cut-b.mp4",
        "3. cut-c.mp4",
    ]
    # Each ad, creative and video is its own meta_objects row, linked to its own siblings.
    rows = {(kind, key): rest for kind, key, *rest in object_rows(meta_env)}
    for key in ("main", "2", "3"):
        ad_id, pending, parent, uses = rows[("ad", key)]
        assert (pending, parent, uses) == (0, "adset:main", f"creative:{key}")
        assert rows[("creative", key)][3] == f"video:{key}"
        assert ad_id in out
    assert "ad 3 " in out and "cut-c.mp4" in out


def test_the_dry_run_shows_each_videos_upload_creative_and_ad(
    graph: GraphEmulator, meta_env, tmp_path
):
    code, out = run("create", str(campaign_file(tmp_path)), "--dry-run")
    assert code == 0, out
    assert nothing_sent_but_budget_reads(graph)
    for index in (1, 2, 3):
        assert f"creative (video {index} of 3)" in out
        assert f"ad (video {index} of 3)" in out
        assert f"<bytes of cut-{'abc'[index - 1]}.mp4>" in out
    assert "| cut-c 3" in out  # ad 3 named from its own video


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"primary_texts": TEXTS[:2]}, "primary_texts", "2 texts for 3 videos"),
        ({"video": "creatives/ainote2.mp4"}, "videos", "either video or videos"),
    ],
)
def test_bad_lists_exit_1_naming_the_field_before_meta(
    graph, meta_env, tmp_path, overrides, field, words
):
    code, out = run("create", str(campaign_file(tmp_path, **overrides)))
    assert code == 1, out
    assert f"  - {field}: " in out and words in out
    assert nothing_sent_but_budget_reads(graph)


def test_a_refused_ad_rolls_back_every_creative_and_keeps_the_videos(
    graph: GraphEmulator, meta_env, tmp_path
):
    # Every creative exists before the first ad goes out; Meta refuses that ad for good.
    graph.inject(
        Fault(
            code=100,
            times=1,
            path_contains="/ads",
            method="POST",
            error_user_title="Ad Not Created",
            error_user_msg="This ad can't be created right now.",
        )
    )
    code, out = run("create", str(campaign_file(tmp_path)))

    assert code == 1, out
    assert "This ad can't be created right now." in out
    assert [len(graph.objects(k)) for k in ("campaign", "adset", "adcreative", "ad")] == [0] * 4
    assert len(graph.objects("adcreative", include_deleted=True)) == 3
    assert len(graph.objects("advideo")) == 3  # Meta's refusal was not about them
    for video in graph.objects("advideo"):
        assert video["id"] in out
    rows = object_rows(meta_env)
    assert {(kind, key) for kind, key, *_r in rows if kind == "video"} == {
        ("video", "main"),
        ("video", "2"),
        ("video", "3"),
    }
