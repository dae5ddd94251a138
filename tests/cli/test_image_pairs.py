"""A 9:16/4:5 image pair makes one ad with two images (issue 14, placement-specific pairs among
``images:``): the 9:16 cut in Stories and Reels, the 4:5 cut in Feed, through
``python -m bot create`` against the Graph API emulator (image_label rules, image hashes of the
account)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from sandbox.graph_emulator import Fault, GraphEmulator
from tests.cli.test_flexible_and_pairs import campaign
from tests.cli.test_several_videos import object_rows, run
from tests.helpers import nothing_sent_but_budget_reads
from tests.media import make_test_image, make_test_video


@pytest.fixture(scope="module")
def cuts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The campaign's one video (image ads go beside at least one video for now)."""
    folder = tmp_path_factory.mktemp("cuts")
    make_test_video(folder / "teaser.mp4", seconds=1.0, fps=5, width=360, height=640)
    return folder


@pytest.fixture()
def pictures(tmp_path: Path) -> Path:
    """A 9:16 and a 4:5 cut of one hero picture, a 1:1 one, and a square named 9:16 (small JPEGs)."""
    folder = tmp_path / "pictures"
    folder.mkdir()
    for name, (width, height, colour) in {
        "hero_9x16": (720, 1280, (200, 40, 40)),
        "hero_4x5": (720, 900, (40, 200, 40)),
        "promo_1x1": (720, 720, (40, 40, 200)),
        "square_9x16": (720, 720, (90, 90, 90)),
    }.items():
        make_test_image(folder / f"{name}.jpg", width=width, height=height, colour=colour)
    return folder


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()  # Meta's image hash: the bytes' md5


def with_images(tmp_path: Path, cuts: Path, pictures: Path, names: list[str]) -> Path:
    return campaign(tmp_path, cuts, ["teaser.mp4"], images=[str(pictures / n) for n in names])


def test_a_9x16_and_4x5_image_pair_makes_one_ad_with_two_images(
    graph: GraphEmulator, meta_env, tmp_path, cuts, pictures
):
    # The Feed cut listed first: the pair is still one ad, its 9:16 cut in Stories and Reels.
    path = with_images(tmp_path, cuts, pictures, ["hero_4x5.jpg", "hero_9x16.jpg"])
    code, out = run("create", str(path))

    assert code == 0, out
    assert [len(graph.objects(k)) for k in ("adcreative", "ad")] == [2, 2]
    creative = next(c for c in graph.objects("adcreative") if "asset_feed_spec" in c)
    feed = creative["asset_feed_spec"]
    assert feed["ad_formats"] == ["SINGLE_IMAGE"]
    by_label = {image["adlabels"][0]["name"]: image["hash"] for image in feed["images"]}
    assert by_label == {
        "vertical": md5(pictures / "hero_9x16.jpg"),
        "feed": md5(pictures / "hero_4x5.jpg"),
    }
    stories, feed_rule = feed["asset_customization_rules"]
    assert stories["customization_spec"]["facebook_positions"] == ["story", "facebook_reels"]
    assert (stories["image_label"], feed_rule["image_label"]) == (
        {"name": "vertical"},
        {"name": "feed"},
    )
    assert "link_data" not in creative["object_story_spec"]
    ad = next(a for a in graph.objects("ad") if a["creative_id"] == creative["id"])
    assert ad["status"] == "PAUSED"
    # Two image rows for the one ad (its 9:16 cut keyed like the ad, the Feed cut beside it).
    rows = {(kind, key): rest for kind, key, *rest in object_rows(meta_env)}
    assert rows[("image", "2")][0] == md5(pictures / "hero_9x16.jpg")
    assert rows[("image", "2-feed")][0] == md5(pictures / "hero_4x5.jpg")
    assert rows[("creative", "2")][3] == "image:2"
    assert "hero_9x16.jpg + hero_4x5.jpg" in out


@pytest.mark.parametrize(
    ("names", "said"),
    [
        (["hero_9x16.jpg"], "hero_9x16.jpg has no hero_4x5 or hero_1x1 beside it"),
        (["hero_4x5.jpg"], "hero_4x5.jpg has no hero_9x16 beside it"),
        (["square_9x16.jpg", "hero_4x5.jpg"], "square_9x16.jpg is named 9:16 but measures 720x720"),
    ],
    ids=["no-feed-cut", "no-vertical-cut", "mismeasured"],
)
def test_an_incomplete_or_mismeasured_image_pair_is_refused_before_any_upload(
    graph: GraphEmulator, meta_env, tmp_path, cuts, pictures, names, said
):
    code, out = run("create", str(with_images(tmp_path, cuts, pictures, names)))
    assert code == 1, out
    assert "  - images: " in out and said in out
    assert nothing_sent_but_budget_reads(graph)


def test_a_doubled_feed_cut_is_refused_naming_images(
    graph: GraphEmulator, meta_env, tmp_path, cuts, pictures
):
    (pictures / "hero_1x1.jpg").write_bytes((pictures / "promo_1x1.jpg").read_bytes())
    names = ["hero_9x16.jpg", "hero_4x5.jpg", "hero_1x1.jpg"]
    code, out = run("create", str(with_images(tmp_path, cuts, pictures, names)))
    assert code == 1, out
    assert "  - images: hero has both a 4:5 and a 1:1 cut" in out
    assert nothing_sent_but_budget_reads(graph)


def test_a_lost_answer_to_the_image_pairs_creative_is_adopted_not_doubled(
    graph: GraphEmulator, meta_env, tmp_path, cuts, pictures
):
    # The first creative posted is the image pair's (the video's waits for Meta's processing).
    path = with_images(tmp_path, cuts, pictures, ["hero_9x16.jpg", "hero_4x5.jpg"])
    lost = graph.inject(
        Fault(drop_connection=True, times=2, path_contains="/adcreatives", method="POST")
    )
    code, out = run("create", str(path))
    assert (code, lost.fired) == (0, 2), out
    assert len(graph.objects("adcreative")) == 2
    uploads = [r for r in graph.requests if r.method == "POST" and r.path.endswith("/adimages")]
    assert len(uploads) == 2
    shown = {ad["creative_id"] for ad in graph.objects("ad")}
    assert shown == {c["id"] for c in graph.objects("adcreative")}


def test_the_dry_run_shows_both_image_uploads_and_the_pairs_creative(
    graph: GraphEmulator, meta_env, tmp_path, cuts, pictures
):
    path = with_images(tmp_path, cuts, pictures, ["hero_9x16.jpg", "hero_4x5.jpg"])
    code, out = run("create", str(path), "--dry-run")
    assert code == 0, out
    assert "<bytes of hero_9x16.jpg" in out and "<bytes of hero_4x5.jpg" in out
    assert '"ad_formats": ["SINGLE_IMAGE"]' in out and '"image_label": {"name": "feed"}' in out
    assert md5(pictures / "hero_4x5.jpg") in out
    code, out = run("validate", str(path))
    assert code == 0, out
    assert "ads:       2, one per video, placement pair or image" in out
    assert "2. hero_9x16.jpg + hero_4x5.jpg (images):" in out
    assert nothing_sent_but_budget_reads(graph)


def test_validate_warns_of_feeds_crop_only_for_an_image_feed_shows(
    graph: GraphEmulator, meta_env, tmp_path, cuts, pictures
):
    """A pair's 9:16 cut shows only in Stories and Reels (Feed shows its 4:5 cut): no Feed crop
    warning for it. A 9:16 image that is not in a pair still gets one, as Feed would crop it."""
    crop = "hero_9x16.jpg is 9:16: Stories and Reels show it whole, Feed shows a 4:5 crop"
    code, out = run(
        "validate", str(with_images(tmp_path, cuts, pictures, ["hero_9x16.jpg", "hero_4x5.jpg"]))
    )
    assert code == 0, out
    assert "hero_9x16.jpg + hero_4x5.jpg" in out and crop not in out
    assert "hero_9x16.jpg is 720 px wide" in out  # its other warnings stay

    flexible = campaign(
        tmp_path,
        cuts,
        ["teaser.mp4"],
        creative_mode="flexible",
        images=[str(pictures / "hero_9x16.jpg"), str(pictures / "hero_4x5.jpg")],
    )
    code, out = run("validate", str(flexible))
    assert code == 0, out
    assert crop in out  # a flexible ad pairs nothing: Meta may show it in Feed
