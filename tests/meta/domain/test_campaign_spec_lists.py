"""Campaign files with lists of videos and texts (issue 14): every mistake named by its field."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from meta.domain.accounts import load_accounts
from meta.domain.errors import FieldProblem, ValidationError
from meta.domain.spec import MAX_ADS_PER_ADSET, MAX_TEXTS, CampaignSpec, build_spec

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def accounts():
    return load_accounts(ROOT / "configs" / "accounts.yaml")


@pytest.fixture
def base(tmp_path: Path) -> Path:
    for name in ("a", "b", "c"):
        shutil.copyfile(ROOT / "creatives" / "ainote2.mp4", tmp_path / f"{name}.mp4")
    return tmp_path


def request(**overrides):
    raw = {
        "account": "iflytek-sg",
        "name": "AINOTE2 launch SG",
        "daily_budget": 50,
        "start_time": "2026-12-03 20:00",
        "countries": ["SG"],
        "videos": ["a.mp4", "b.mp4", "c.mp4"],
        "primary_texts": ["Meet AINOTE 2", "Notes that write themselves", "E-ink, all day"],
        "headlines": ["AINOTE 2 is here"],
        "link": "https://shop.example.com/sg/ainote2",
        "call_to_action": "SHOP_NOW",
    }
    raw.update(overrides)
    return {k: v for k, v in raw.items() if v is not None}


def build(accounts, base, **overrides) -> CampaignSpec:
    return build_spec(request(**overrides), accounts=accounts, now=NOW, base_dir=base)


def problems(accounts, base, **overrides) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        build(accounts, base, **overrides)
    return caught.value.by_field()


def test_three_videos_make_three_ads_text_n_with_video_n(accounts, base):
    spec = build(accounts, base)
    assert spec.videos == (base / "a.mp4", base / "b.mp4", base / "c.mp4")
    assert spec.creative_mode == "ads"
    plans = spec.ads()
    assert [(p.index, p.video_path.name, p.primary_text, p.headline) for p in plans] == [
        (1, "a.mp4", "Meet AINOTE 2", "AINOTE 2 is here"),
        (2, "b.mp4", "Notes that write themselves", "AINOTE 2 is here"),
        (3, "c.mp4", "E-ink, all day", "AINOTE 2 is here"),
    ]
    assert CampaignSpec.from_json(spec.to_json()) == spec


def test_the_single_valued_fields_stay_valid_and_make_one_ad(accounts, base):
    spec = build(
        accounts,
        base,
        videos=None,
        primary_texts=None,
        headlines=None,
        video="a.mp4",
        primary_text="Meet AINOTE 2",
        headline="Here",
    )
    assert [(p.index, p.video_path.name, p.primary_text) for p in spec.ads()] == [
        (1, "a.mp4", "Meet AINOTE 2")
    ]
    assert (spec.primary_texts, spec.headlines, spec.extra_videos) == (
        ("Meet AINOTE 2",),
        ("Here",),
        (),
    )


def test_a_spec_stored_before_lists_reads_as_one_ad(accounts, base):
    stored = build(accounts, base, videos=["a.mp4"], primary_texts=["One"]).to_json()
    for key in ("extra_videos", "primary_texts", "headlines", "creative_mode"):
        stored.pop(key)
    spec = CampaignSpec.from_json(stored)
    assert [(p.video_path.name, p.primary_text, p.headline) for p in spec.ads()] == [
        ("a.mp4", "One", "AINOTE 2 is here")
    ]


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"video": "a.mp4"}, "videos", "either video or videos, not both"),
        ({"primary_text": "x"}, "primary_texts", "either primary_text or primary_texts"),
        ({"headline": "x"}, "headlines", "either headline or headlines"),
        ({"videos": []}, "videos", "a list of video files"),
        ({"videos": ["a.mp4", "nope.mp4", "c.mp4"]}, "videos", "video 2: file not found"),
        ({"videos": ["a.mp4", "b.mp4", "a.mp4"]}, "videos", "video 3: a.mp4 is listed twice"),
        (
            {"videos": [f"v{i}.mp4" for i in range(MAX_ADS_PER_ADSET + 1)]},
            "videos",
            f"at most {MAX_ADS_PER_ADSET} ads per ad set",
        ),
        ({"primary_texts": ["a"] * 2 + ["b"]}, "primary_texts", "text 2 repeats text 1"),
        (
            {"primary_texts": [f"t{i}" for i in range(MAX_TEXTS + 1)]},
            "primary_texts",
            f"6 texts; Meta allows at most {MAX_TEXTS}",
        ),
        ({"primary_texts": ["a", "b"]}, "primary_texts", "2 texts for 3 videos"),
        ({"headlines": ["a", ""]}, "headlines", "text 2 is empty"),
        ({"headlines": ["a", "b", "x" * 256]}, "headlines", "text 3 is 256 characters"),
        ({"creative_mode": "carousel"}, "creative_mode", "one of: ads, flexible"),
        ({"images": ["hero.jpg"]}, "images", "file not found: hero.jpg"),
    ],
)
def test_bad_lists_are_refused_naming_the_field(accounts, base, overrides, field, words):
    found = problems(accounts, base, **overrides)
    assert field in found, found
    assert words in found[field]


def test_every_bad_video_of_the_list_is_reported(accounts, base):
    with pytest.raises(ValidationError) as caught:
        build(accounts, base, videos=["x.mp4", "b.mp4", "y.mp4"])
    messages = [p.message for p in caught.value.problems if p.field == "videos"]
    assert messages == ["video 1: file not found: x.mp4", "video 3: file not found: y.mp4"]


def test_the_video_check_runs_on_every_video_and_names_it(accounts, base):
    def check(path: Path) -> None:
        if path.name == "b.mp4":
            raise ValidationError([FieldProblem("video", "is 3:1; Meta accepts 1:1 to 9:16")])

    with pytest.raises(ValidationError) as caught:
        build_spec(request(), accounts=accounts, now=NOW, base_dir=base, check_video=check)
    assert caught.value.by_field()["videos"] == "video 2: is 3:1; Meta accepts 1:1 to 9:16"
