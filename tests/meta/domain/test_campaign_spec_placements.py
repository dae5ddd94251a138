"""One flexible ad of every video, and placement pairs (a 9:16 cut for Stories and Reels beside a
4:5 or 1:1 cut for Feed in one ad): what the campaign file's names and the files' own measured
ratios make, and every mistake refused naming the field before anything is uploaded (issue 14)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from meta.domain.accounts import load_accounts
from meta.domain.errors import ValidationError
from meta.domain.spec import (
    MAX_FLEXIBLE_MEDIA,
    AdFormat,
    CampaignSpec,
    Placement,
    build_spec,
)
from meta.video.check import check_video
from tests.media import make_test_video
from tests.meta.domain import test_campaign_spec_lists as lists

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
VERTICAL, PORTRAIT, SQUARE = (360, 640), (360, 450), (360, 360)


@pytest.fixture(scope="module")
def accounts():
    return load_accounts(ROOT / "configs" / "accounts.yaml")


@pytest.fixture(scope="module")
def cuts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tiny real videos of each shape (1 s at 5 fps: the check measures them by content)."""
    folder = tmp_path_factory.mktemp("cuts")
    shapes = {
        "launch_9x16": VERTICAL,
        "launch_4x5": PORTRAIT,
        "launch_1x1": SQUARE,
        "teaser_9x16": VERTICAL,
        "teaser_4x5": PORTRAIT,
        "wrong_9x16": PORTRAIT,  # named vertical, made for Feed
        "wrong_4x5": PORTRAIT,
        "plain": VERTICAL,
    }
    for name, (width, height) in shapes.items():
        make_test_video(folder / f"{name}.mp4", seconds=1.0, fps=5, width=width, height=height)
    return folder


def request(**overrides):
    """The list test's campaign with a placement pair and a plain video, two texts."""
    fields = {
        "videos": ["launch_9x16.mp4", "launch_4x5.mp4", "plain.mp4"],
        "primary_texts": ["Meet AINOTE 2", "Notes that write themselves"],
    }
    return lists.request(**{**fields, **overrides})


def build(accounts, cuts, **overrides) -> CampaignSpec:
    return build_spec(
        request(**overrides), accounts=accounts, now=NOW, base_dir=cuts, check_video=check_video
    )


def refused(accounts, cuts, **overrides) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        build(accounts, cuts, **overrides)
    return caught.value.by_field()


def test_a_9x16_and_4x5_pair_is_one_ad_beside_a_plain_video(accounts, cuts):
    spec = build(accounts, cuts)
    pair, plain = spec.ads()
    assert pair.format is AdFormat.PLACEMENTS and plain.format is AdFormat.VIDEO
    assert [(v.path.name, v.placement, v.key) for v in pair.videos] == [
        ("launch_9x16.mp4", Placement.VERTICAL, "main"),
        ("launch_4x5.mp4", Placement.FEED, "2"),
    ]
    # The plain video is the third upload (its video row "3") and the second ad (ad "2").
    assert (plain.key, plain.videos[0].key, plain.primary_text) == (
        "2",
        "3",
        "Notes that write themselves",
    )
    assert pair.media_name == "launch_9x16.mp4 + launch_4x5.mp4"
    # The pair is named from the stem its files share.
    assert "launch" in spec.ad_names[0][1] and "9x16" not in spec.ad_names[0][1]
    assert CampaignSpec.from_json(spec.to_json()) == spec


def test_the_feed_cut_may_come_first_and_be_square(accounts, cuts):
    spec = build(
        accounts, cuts, videos=["launch_1x1.mp4", "launch_9x16.mp4"], primary_texts=["One"]
    )
    (ad,) = spec.ads()
    assert [(v.path.name, v.placement) for v in ad.videos] == [
        ("launch_9x16.mp4", Placement.VERTICAL),
        ("launch_1x1.mp4", Placement.FEED),
    ]
    assert spec.ad_names == ()  # one ad: the names it always had


@pytest.mark.parametrize(
    ("videos", "words"),
    [
        (["launch_9x16.mp4", "plain.mp4"], "launch_9x16.mp4 has no launch_4x5 or launch_1x1"),
        (["teaser_4x5.mp4", "plain.mp4"], "teaser_4x5.mp4 has no teaser_9x16 beside it"),
        (
            ["launch_9x16.mp4", "launch_4x5.mp4", "launch_1x1.mp4"],
            "launch has both a 4:5 and a 1:1 cut",
        ),
        (["wrong_9x16.mp4", "wrong_4x5.mp4"], "wrong_9x16.mp4 is named 9:16 but measures 360x450"),
    ],
)
def test_an_incomplete_or_mismeasured_pair_is_refused_naming_videos(accounts, cuts, videos, words):
    found = refused(accounts, cuts, videos=videos, primary_texts=["One"])
    assert words in found["videos"], found


def test_texts_count_per_ad_not_per_file(accounts, cuts):
    found = refused(accounts, cuts, primary_texts=["a", "b", "c"])
    assert "3 texts for 2 ads" in found["primary_texts"]


def test_flexible_makes_one_ad_of_every_video_and_every_text(accounts, cuts):
    spec = build(
        accounts,
        cuts,
        creative_mode="flexible",
        videos=["plain.mp4", "launch_9x16.mp4", "teaser_9x16.mp4"],
        headlines=["Here", "Now", "AINOTE 2"],
    )
    (ad,) = spec.ads()
    assert ad.format is AdFormat.FLEXIBLE
    assert [v.key for v in ad.videos] == ["main", "2", "3"]  # no pairing in a flexible ad
    assert spec.placement_pairs == () and spec.ad_names == ()
    assert (spec.primary_texts, spec.headlines) == (
        ("Meet AINOTE 2", "Notes that write themselves"),
        ("Here", "Now", "AINOTE 2"),
    )
    assert CampaignSpec.from_json(spec.to_json()).ads() == spec.ads()


def test_a_flexible_ad_takes_at_most_ten_videos(accounts, cuts, tmp_path):
    names = []
    for n in range(MAX_FLEXIBLE_MEDIA + 1):
        (tmp_path / f"v{n}.mp4").write_bytes((cuts / "plain.mp4").read_bytes())
        names.append(str(tmp_path / f"v{n}.mp4"))
    found = refused(accounts, cuts, creative_mode="flexible", videos=names)
    assert "11 videos in one flexible ad; AdBee sends at most 10" in found["videos"]
    assert build(accounts, cuts, creative_mode="flexible", videos=names[:10]).ads()[0].videos


def test_a_flexible_ad_counts_its_images_among_its_ten_assets(accounts, cuts, tmp_path):
    images = []
    for n in range(MAX_FLEXIBLE_MEDIA):
        (tmp_path / f"i{n}.jpg").write_bytes(b"\xff\xd8 not checked here")
        images.append(str(tmp_path / f"i{n}.jpg"))
    spec = build(accounts, cuts, creative_mode="flexible", videos=["plain.mp4"], images=images[:2])
    (ad,) = spec.ads()
    assert [p.name for p in ad.group_images] == ["i0.jpg", "i1.jpg"]
    assert ad.media_name == "1 video, 2 images (plain.mp4, i0.jpg, i1.jpg)"
    found = refused(accounts, cuts, creative_mode="flexible", videos=["plain.mp4"], images=images)
    assert "1 video and 10 images in one flexible ad" in found["images"]
