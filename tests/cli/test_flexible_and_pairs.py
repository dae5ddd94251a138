"""A 9:16/4:5 placement pair makes one ad with two assets, and creative_mode flexible makes one
ad of every video (issue 14), through ``python -m bot create`` against the Graph API emulator as
strict as Meta (asset_feed_spec rules, the flexible ad format's limits)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from sandbox.graph_emulator import Fault, GraphEmulator
from tests.cli.test_several_videos import object_rows, run
from tests.helpers import nothing_sent_but_budget_reads, write_campaign
from tests.media import make_test_image, make_test_video

TEXTS = ["Meet AINOTE 2", "Notes that write themselves"]
HEADLINES = ["AINOTE 2 is here", "E-ink, all day", "Write anywhere"]


@pytest.fixture(scope="module")
def cuts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A vertical and a Feed cut of one launch film, and two other films (1 s, 5 fps, small)."""
    folder = tmp_path_factory.mktemp("cuts")
    for name, (width, height, seconds) in {
        "launch_9x16": (360, 640, 1.0),
        "launch_4x5": (360, 450, 1.0),
        "teaser": (360, 640, 1.2),
        "demo": (360, 360, 1.0),
    }.items():
        make_test_video(folder / f"{name}.mp4", seconds=seconds, fps=5, width=width, height=height)
    (folder / "teaser-copy.mp4").write_bytes((folder / "teaser.mp4").read_bytes())
    return folder


def campaign(folder: Path, cuts: Path, names: list[str], **overrides: object) -> Path:
    fields: dict[str, object] = {
        "video": None,
        "primary_text": None,
        "headline": None,
        "headlines": ["AINOTE 2 is here"],
        "videos": [str(cuts / name) for name in names],
        "primary_texts": TEXTS[:1],
    }
    fields.update(overrides)
    return write_campaign(folder, **fields)


def test_a_9x16_and_4x5_pair_makes_one_ad_with_two_assets(
    graph: GraphEmulator, meta_env, tmp_path, cuts
):
    code, out = run("create", str(campaign(tmp_path, cuts, ["launch_9x16.mp4", "launch_4x5.mp4"])))

    assert code == 0, out
    assert [len(graph.objects(k)) for k in ("advideo", "adcreative", "ad")] == [2, 1, 1]
    (creative,) = graph.objects("adcreative")
    feed = creative["asset_feed_spec"]
    by_label = {v["adlabels"][0]["name"]: v["video_id"] for v in feed["videos"]}
    titles = {v["id"]: v["title"] for v in graph.objects("advideo")}
    assert titles[by_label["vertical"]].startswith("1. launch_9x16.mp4")
    assert titles[by_label["feed"]].startswith("2. launch_4x5.mp4")
    stories, feed_rule = feed["asset_customization_rules"]
    assert stories["customization_spec"]["instagram_positions"] == ["story", "reels"]
    assert (stories["video_label"], feed_rule["video_label"]) == (
        {"name": "vertical"},
        {"name": "feed"},
    )
    assert "video_data" not in creative["object_story_spec"]  # 1443048 otherwise
    (ad,) = graph.objects("ad")
    assert ad["creative_id"] == creative["id"] and ad["status"] == "PAUSED"
    # Both videos are rows of their own; the one creative and ad are the campaign's first.
    rows = {(kind, key): rest for kind, key, *rest in object_rows(meta_env)}
    assert {k for k in rows if k[0] == "video"} == {("video", "main"), ("video", "2")}
    assert rows[("creative", "main")][3] == "video:main"
    assert tuple(rows[("ad", "main")][2:]) == ("adset:main", "creative:main")
    assert "launch_9x16.mp4 + launch_4x5.mp4" in out


def test_an_incomplete_pair_is_refused_before_anything_is_uploaded(
    graph: GraphEmulator, meta_env, tmp_path, cuts
):
    code, out = run("create", str(campaign(tmp_path, cuts, ["launch_9x16.mp4", "teaser.mp4"])))
    assert code == 1, out
    assert "  - videos: " in out and "launch_9x16.mp4 has no launch_4x5 or launch_1x1" in out
    assert nothing_sent_but_budget_reads(graph)


def test_flexible_mode_makes_one_ad_with_every_video_and_text(
    graph: GraphEmulator, meta_env, tmp_path, cuts
):
    path = campaign(
        tmp_path,
        cuts,
        ["teaser.mp4", "demo.mp4", "launch_9x16.mp4", "teaser-copy.mp4"],
        creative_mode="flexible",
        primary_texts=TEXTS,
        headlines=HEADLINES,
    )
    code, out = run("create", str(path))

    assert code == 0, out
    # The copy is the teaser's bytes: one Meta video, shown once in the group.
    assert [len(graph.objects(k)) for k in ("advideo", "adcreative", "ad")] == [3, 1, 1]
    (ad,) = graph.objects("ad")
    (group,) = ad["creative_asset_groups_spec"]["groups"]
    titles = {v["id"]: v["title"].split(" · ")[0] for v in graph.objects("advideo")}
    assert [titles[v["video_id"]] for v in group["videos"]] == [
        "1. teaser.mp4",
        "2. demo.mp4",
        "3. launch_9x16.mp4",
    ]
    texts = [(t["text_type"], t["text"]) for t in group["texts"]]
    assert texts[:5] == [("primary_text", t) for t in TEXTS] + [("headline", h) for h in HEADLINES]
    assert group["call_to_action"]["type"] == "SHOP_NOW"
    # One ad keeps the account's names as they are (no " 1" after them).
    campaign_name = graph.objects("campaign")[0]["name"]
    assert ad["name"] == f"{campaign_name} | teaser"
    assert "(4 videos (teaser.mp4, demo.mp4, launch_9x16.mp4, teaser-copy.mp4))" in out


def test_a_lost_answer_to_the_flexible_ad_is_adopted_not_doubled(
    graph: GraphEmulator, meta_env, tmp_path, cuts
):
    lost = graph.inject(Fault(drop_connection=True, times=1, path_contains="/ads", method="POST"))
    path = campaign(tmp_path, cuts, ["teaser.mp4", "demo.mp4"], creative_mode="flexible")
    code, out = run("create", str(path))
    assert (code, lost.fired) == (0, 1), out
    assert len(graph.objects("ad")) == 1
    with sqlite3.connect(meta_env) as conn:
        (ad_id,) = conn.execute("SELECT meta_id FROM meta_objects WHERE kind='ad'").fetchone()
    assert ad_id == graph.objects("ad")[0]["id"]


def test_a_lost_answer_to_the_pairs_creative_is_adopted_not_doubled(
    graph: GraphEmulator, meta_env, tmp_path, cuts
):
    lost = graph.inject(
        Fault(drop_connection=True, times=1, path_contains="/adcreatives", method="POST")
    )
    code, out = run("create", str(campaign(tmp_path, cuts, ["launch_4x5.mp4", "launch_9x16.mp4"])))
    assert (code, lost.fired) == (0, 1), out
    assert len(graph.objects("adcreative")) == 1
    assert graph.objects("ad")[0]["creative_id"] == graph.objects("adcreative")[0]["id"]


def test_a_refused_flexible_ad_rolls_back_and_keeps_every_video(
    graph: GraphEmulator, meta_env, tmp_path, cuts
):
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
    path = campaign(tmp_path, cuts, ["teaser.mp4", "demo.mp4"], creative_mode="flexible")
    code, out = run("create", str(path))

    assert code == 1, out
    assert "This ad can't be created right now." in out
    assert [len(graph.objects(k)) for k in ("campaign", "adset", "adcreative", "ad")] == [0] * 4
    assert len(graph.objects("advideo")) == 2  # Meta's refusal was not about them
    with sqlite3.connect(meta_env) as conn:
        statuses = dict(conn.execute("SELECT kind || ':' || key, status FROM meta_objects"))
    assert statuses["creative:main"] == "deleted" and statuses["video:2"] == "created"


def test_the_dry_run_shows_the_pairs_creative_and_the_flexible_ads_group(
    graph: GraphEmulator, meta_env, tmp_path, cuts
):
    pair = campaign(tmp_path, cuts, ["launch_9x16.mp4", "launch_4x5.mp4", "teaser.mp4"])
    code, out = run("create", str(pair), "--dry-run")
    assert code == 0, out
    assert "creative (ad 1 of 2)" in out and "ad (ad 2 of 2)" in out
    assert "asset_feed_spec=" in out and '"video_label": {"name": "feed"}' in out
    assert "<bytes of launch_4x5.mp4>" in out
    flexible = campaign(
        tmp_path, cuts, ["teaser.mp4", "demo.mp4"], creative_mode="flexible", primary_texts=TEXTS
    )
    code, out = run("create", str(flexible), "--dry-run")
    assert code == 0, out
    assert "creative_asset_groups_spec=" in out and '{"video_id": "<video_id 2>"}' in out
    assert nothing_sent_but_budget_reads(graph)


def test_a_flexible_ad_groups_images_beside_its_videos(
    graph: GraphEmulator, meta_env, tmp_path, cuts
):
    hero = tmp_path / "hero.jpg"
    make_test_image(hero, width=1080, height=1350)
    path = campaign(
        tmp_path,
        cuts,
        ["teaser.mp4", "demo.mp4"],
        creative_mode="flexible",
        images=[str(hero)],
        primary_texts=TEXTS,
    )
    code, out = run("create", str(path))

    assert code == 0, out
    assert [len(graph.objects(k)) for k in ("advideo", "adcreative", "ad")] == [2, 1, 1]
    (group,) = graph.objects("ad")[0]["creative_asset_groups_spec"]["groups"]
    digest = hashlib.md5(hero.read_bytes()).hexdigest()  # Meta's image hash: the bytes' md5
    assert group["images"] == [{"hash": digest}] and len(group["videos"]) == 2
    rows = {(kind, key): rest for kind, key, *rest in object_rows(meta_env)}
    assert rows[("image", "main")][0] == digest
    assert "(2 videos, 1 image (teaser.mp4, demo.mp4, hero.jpg))" in out
