"""Campaign files with images (issue 14, ``images:``): one image ad each, after the videos'
ads, every image checked by content and every mistake named by the ``images`` field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from meta.domain.errors import ValidationError
from meta.domain.spec import MAX_ADS_PER_ADSET, CampaignSpec, build_spec
from meta.image.check import check_image
from tests.media import make_test_image
from tests.meta.domain.test_campaign_spec_lists import NOW, request

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def base(tmp_path: Path) -> Path:
    for name in ("a", "b", "c"):
        shutil.copyfile(ROOT / "creatives" / "ainote2.mp4", tmp_path / f"{name}.mp4")
    return tmp_path


def build(accounts, base: Path, **overrides) -> CampaignSpec:
    return build_spec(
        request(**overrides), accounts=accounts, now=NOW, base_dir=base, check_image=check_image
    )


def problems(accounts, base: Path, **overrides) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        build(accounts, base, **overrides)
    return caught.value.by_field()


def test_images_make_ads_after_the_videos_keys_and_texts_continuing(accounts, base):
    make_test_image(base / "hero.jpg")
    make_test_image(base / "story.png", width=1080, height=1920, format="PNG")
    texts = ["One", "Two", "Three", "Four", "Five"]
    spec = build(
        accounts,
        base,
        videos=["a.mp4", "b.mp4", "c.mp4"],
        images=["hero.jpg", "story.png"],
        primary_texts=texts,
    )
    plans = spec.ads()
    assert [(p.key, p.asset.name, p.primary_text) for p in plans] == [
        ("main", "a.mp4", "One"),
        ("2", "b.mp4", "Two"),
        ("3", "c.mp4", "Three"),
        ("4", "hero.jpg", "Four"),
        ("5", "story.png", "Five"),
    ]
    assert [p.image_path is not None for p in plans] == [False, False, False, True, True]
    assert any("Feed shows a 4:5 crop" in w for w in spec.warnings)  # the 9:16 story
    assert CampaignSpec.from_json(spec.to_json()) == spec
    assert len(spec.ad_names) == 5  # each image ad named from its own file, like the videos


def test_one_image_is_a_list_of_one(accounts, base):
    make_test_image(base / "hero.jpg")
    spec = build(accounts, base, videos=["a.mp4"], primary_texts=["One"], images="hero.jpg")
    assert [p.asset.name for p in spec.ads()] == ["a.mp4", "hero.jpg"]


@pytest.mark.parametrize(
    ("images", "words"),
    [
        (["missing.jpg"], "file not found: missing.jpg"),
        (["hero.jpg", "hero.jpg"], "image 2: hero.jpg is listed twice (image 1)"),
        (["a.mp4"], "is a video (an MP4 video), not an image; list it under videos"),
        ({"hero": "x"}, "a list of image files"),
    ],
)
def test_bad_images_are_refused_naming_the_field(accounts, base, images, words):
    make_test_image(base / "hero.jpg")
    found = problems(accounts, base, primary_texts=["One"], images=images)
    assert words in found["images"]


def test_ads_count_videos_and_images_against_metas_limit(accounts, base):
    names = []
    for n in range(MAX_ADS_PER_ADSET - 2):
        make_test_image(base / f"{n}.jpg", width=600, height=600, colour=(n, 0, 0))
        names.append(f"{n}.jpg")
    assert (
        "make 51 ads; Meta allows at most 50"
        in problems(accounts, base, primary_texts=["One"], images=names)["images"]
    )


def test_a_campaign_of_images_only_is_refused_saying_so(accounts, base):
    make_test_image(base / "hero.jpg")
    found = problems(accounts, base, videos=None, primary_texts=["One"], images=["hero.jpg"])
    assert "image ads go beside at least one video for now" in found["video"]
