"""Image ads beside video ads (issue 14, ``images:``): one creative and one ad per image in the
campaign's one ad set, through ``python -m bot create`` against the Graph API emulator as Meta."""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from sandbox.graph_emulator import Fault, GraphEmulator
from tests.cli.test_several_videos import object_rows
from tests.helpers import nothing_sent_but_budget_reads, write_campaign
from tests.media import make_test_image, make_test_video

ROOT = Path(__file__).resolve().parents[2]
TEXTS = ["Meet AINOTE 2", "Notes that write themselves", "E-ink, all day"]


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def two_videos_and_an_image(folder: Path, **overrides: object) -> Path:
    shutil.copyfile(ROOT / "creatives" / "ainote2.mp4", folder / "cut-a.mp4")
    make_test_video(folder / "cut-b.mp4", seconds=1.5)  # other bytes: a video of its own
    videos = [str(folder / "cut-a.mp4"), str(folder / "cut-b.mp4")]
    make_test_image(folder / "hero.jpg", width=1080, height=1350)
    fields: dict[str, object] = {
        "video": None,
        "primary_text": None,
        "videos": videos,
        "images": [str(folder / "hero.jpg")],
        "primary_texts": TEXTS,
        "description": "Free shipping in SG",
    }
    fields.update(overrides)
    return write_campaign(folder, **fields)


def test_two_videos_and_an_image_make_three_paused_ads_in_the_one_ad_set(
    graph: GraphEmulator, meta_env, tmp_path
):
    code, out = run("create", str(two_videos_and_an_image(tmp_path)))

    assert code == 0, out
    counts = [len(graph.objects(k)) for k in ("campaign", "adset", "advideo", "adcreative", "ad")]
    assert counts == [1, 1, 2, 3, 3]
    digest = hashlib.md5((tmp_path / "hero.jpg").read_bytes()).hexdigest()
    creatives = {c["id"]: c for c in graph.objects("adcreative")}
    ads = sorted(graph.objects("ad"), key=lambda a: a["name"])
    assert all(ad["status"] == "PAUSED" for ad in ads)
    image_ad = creatives[ads[2]["creative_id"]]
    link_data = image_ad["object_story_spec"]["link_data"]
    assert link_data == {
        "image_hash": digest,
        "link": link_data["link"],
        "message": TEXTS[2],
        "name": link_data["name"],
        "description": "Free shipping in SG",
        "call_to_action": {"type": "SHOP_NOW", "value": {"link": link_data["link"]}},
    }
    assert "video_data" in creatives[ads[0]["creative_id"]]["object_story_spec"]
    # The image is its own meta_objects row (its Meta id the hash), used by the third creative.
    rows = {(kind, key): rest for kind, key, *rest in object_rows(meta_env)}
    assert rows[("image", "3")][:2] == [digest, 0]
    assert rows[("creative", "3")][3] == "image:3"
    assert rows[("ad", "3")][3] == "creative:3"
    assert ("video", "3") not in rows
    assert f"image {digest}, hero.jpg)" in out


def test_the_dry_run_lists_the_image_upload_with_the_hash_meta_will_answer(
    graph: GraphEmulator, meta_env, tmp_path
):
    code, out = run("create", str(two_videos_and_an_image(tmp_path)), "--dry-run")

    assert code == 0, out
    assert nothing_sent_but_budget_reads(graph)
    digest = hashlib.md5((tmp_path / "hero.jpg").read_bytes()).hexdigest()
    assert "/adimages" in out and "image upload" in out
    assert "<bytes of hero.jpg (multipart file part)>" in out
    assert digest in out  # link_data.image_hash, known before anything is sent
    assert "image upload (answer: images.<name>.hash, the md5 of the bytes) (ad 3 of 3)" in out
    assert "creative (ad 3 of 3)" in out and "ad (ad 3 of 3)" in out


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda folder: (folder / "hero.jpg").write_text("not a picture"), "not a JPEG or PNG"),
        (lambda folder: make_test_image(folder / "hero.jpg", width=500, height=500), "600 px"),
        (lambda folder: make_test_image(folder / "hero.jpg", width=2400, height=1000), "1.91:1"),
    ],
)
def test_a_bad_image_exits_1_naming_the_images_field_before_meta(
    graph: GraphEmulator, meta_env, tmp_path, make, words
):
    path = two_videos_and_an_image(tmp_path)
    make(tmp_path)
    code, out = run("create", str(path))
    assert code == 1, out
    assert "  - images: hero.jpg" in out and words in out
    assert nothing_sent_but_budget_reads(graph)


def test_texts_count_every_ad_videos_and_images(graph, meta_env, tmp_path):
    code, out = run("create", str(two_videos_and_an_image(tmp_path, primary_texts=TEXTS[:2])))
    assert code == 1, out
    assert "  - primary_texts: 2 texts for 3 ads (2 videos, 1 images)" in out


def test_a_refused_ad_rolls_back_the_image_too_and_keeps_the_video(
    graph: GraphEmulator, meta_env, tmp_path
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
    path = two_videos_and_an_image(tmp_path, primary_texts=TEXTS[:1])
    code, out = run("create", str(path))

    assert code == 1, out
    assert "This ad can't be created right now." in out
    assert [len(graph.objects(k)) for k in ("campaign", "adset", "adcreative", "ad")] == [0] * 4
    assert len(graph.objects("advideo")) == 2  # kept: Meta's refusal was not about them
    deleted = [r for r in graph.requests if r.method == "DELETE" and r.path.endswith("/adimages")]
    assert [r.status for r in deleted] == [200]  # the image went after its creative
    assert {(kind, key) for kind, key, *_r in object_rows(meta_env) if kind == "image"} == {
        ("image", "3")
    }


def test_a_rollback_keeps_an_image_another_campaigns_creative_shows(
    graph: GraphEmulator, meta_env, tmp_path
):
    # Meta addresses images by content: two campaigns of one account showing the same picture
    # share one image. The second one's rollback must not take it from the first.
    first = two_videos_and_an_image(tmp_path, primary_texts=TEXTS[:1])
    assert run("create", str(first))[0] == 0
    second = write_campaign(
        tmp_path,
        "second.yaml",
        name="AINOTE2 second launch",
        images=[str(tmp_path / "hero.jpg")],
    )
    graph.inject(Fault(code=100, times=1, path_contains="/ads", method="POST"))
    code, out = run("create", str(second))

    assert code == 1, out
    digest = hashlib.md5((tmp_path / "hero.jpg").read_bytes()).hexdigest()
    shown = [
        c["object_story_spec"].get("link_data", {}).get("image_hash")
        for c in graph.objects("adcreative")
    ]
    assert shown.count(digest) == 1  # the first campaign's image ad, intact
    deleted = [r for r in graph.requests if r.method == "DELETE" and r.path.endswith("/adimages")]
    assert deleted == []
    assert "Could not delete" not in out
