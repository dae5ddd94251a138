"""Image placement pairs (issue 14): ``hero_9x16.jpg`` beside ``hero_4x5.jpg`` (or ``_1x1``) in
``images:`` make one ad, the ratios measured from the pictures, not read from their names; every
incomplete, doubled or mismeasured pair is refused naming ``images`` before anything is sent."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from meta.domain.errors import ValidationError
from meta.domain.spec import AdFormat, CampaignSpec, build_spec, feed_image_key
from meta.image.check import check_image
from tests.media import make_test_image
from tests.meta.domain.test_campaign_spec_lists import NOW, request

ROOT = Path(__file__).resolve().parents[3]
SHAPES = {
    "hero_9x16": (720, 1280),
    "hero_4x5": (720, 900),
    "hero_1x1": (720, 720),
    "promo_9x16": (720, 1280),
    "promo_1x1": (720, 720),
    "flat_9x16": (720, 900),  # named vertical, made for Feed
    "plain": (1080, 1080),
}


@pytest.fixture
def base(tmp_path: Path) -> Path:
    shutil.copyfile(ROOT / "creatives" / "ainote2.mp4", tmp_path / "a.mp4")
    for number, (name, (width, height)) in enumerate(SHAPES.items()):
        make_test_image(tmp_path / f"{name}.jpg", width=width, height=height, colour=(number, 9, 9))
    return tmp_path


def build(accounts, base: Path, images: list[str], **overrides) -> CampaignSpec:
    fields = {"videos": ["a.mp4"], "images": images, **overrides}
    return build_spec(
        request(**fields), accounts=accounts, now=NOW, base_dir=base, check_image=check_image
    )


def problems(accounts, base: Path, images: list[str], **overrides) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        build(accounts, base, images, **overrides)
    return caught.value.by_field()


def test_a_pair_is_one_ad_at_the_place_of_its_first_file_with_its_vertical_cut_first(
    accounts, base
):
    spec = build(
        accounts,
        base,
        ["hero_4x5.jpg", "plain.jpg", "hero_9x16.jpg", "promo_9x16.jpg", "promo_1x1.jpg"],
        primary_texts=["Video", "Hero", "Plain", "Promo"],
    )
    assert spec.image_pairs == ((3, 1), (4, 5))
    plans = spec.ads()
    assert [(p.key, p.format, p.media_name, p.primary_text) for p in plans] == [
        ("main", AdFormat.VIDEO, "a.mp4", "Video"),
        ("2", AdFormat.IMAGE_PLACEMENTS, "hero_9x16.jpg + hero_4x5.jpg", "Hero"),
        ("3", AdFormat.IMAGE, "plain.jpg", "Plain"),
        ("4", AdFormat.IMAGE_PLACEMENTS, "promo_9x16.jpg + promo_1x1.jpg", "Promo"),
    ]
    assert feed_image_key(plans[1].key) == "2-feed"
    assert CampaignSpec.from_json(spec.to_json()) == spec  # the pairs are kept with the creation
    assert [names[1].rsplit(" | ", 1)[-1] for names in spec.ad_names][1] == "hero"


def test_texts_count_a_pair_as_one_ad(accounts, base):
    found = problems(
        accounts, base, ["hero_9x16.jpg", "hero_4x5.jpg"], primary_texts=["One", "Two", "Three"]
    )
    assert "3 texts for 2 ads" in found["primary_texts"]


@pytest.mark.parametrize(
    ("images", "words"),
    [
        (["hero_9x16.jpg", "plain.jpg"], "hero_9x16.jpg has no hero_4x5 or hero_1x1 beside it"),
        (["hero_1x1.jpg"], "hero_1x1.jpg has no hero_9x16 beside it"),
        (
            ["hero_9x16.jpg", "hero_4x5.jpg", "hero_1x1.jpg"],
            "hero has both a 4:5 and a 1:1 cut; a placement pair takes one Feed cut",
        ),
        (["flat_9x16.jpg", "hero_4x5.jpg"], "flat_9x16.jpg is named 9:16 but measures 720x900"),
    ],
    ids=["no-feed-cut", "no-vertical-cut", "two-feed-cuts", "mismeasured"],
)
def test_a_bad_pair_is_refused_naming_images(accounts, base, images, words):
    found = problems(accounts, base, images)
    assert words in found["images"], found
    assert "videos" not in found


def test_flexible_mode_pairs_nothing_but_still_checks_the_named_ratio(accounts, base):
    spec = build(accounts, base, ["hero_9x16.jpg", "plain.jpg"], creative_mode="flexible")
    assert spec.image_pairs == () and len(spec.ads()) == 1
    found = problems(accounts, base, ["flat_9x16.jpg"], creative_mode="flexible")
    assert "is named 9:16 but measures 720x900" in found["images"]
