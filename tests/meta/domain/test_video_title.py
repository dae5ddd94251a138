"""The video title: one text for the upload, the dry run and the lost-upload lookup, within
Meta's limit as Meta is assumed to count it (UTF-16 units, see meta/domain/video_title.py)."""

from __future__ import annotations

from meta.domain.video_title import (
    DRY_RUN_ID,
    MAX_TITLE_UNITS,
    cut_to_limit,
    utf16_units,
    video_title,
)


def test_a_short_name_is_kept_whole_with_the_adbee_id() -> None:
    assert video_title("ainote2.mp4", 42) == "ainote2.mp4 · AdBee #42"


def test_a_long_name_is_cut_but_the_adbee_id_survives() -> None:
    title = video_title("x" * 400 + ".mp4", 123456789)
    assert title.endswith(" · AdBee #123456789")
    assert utf16_units(title) <= MAX_TITLE_UNITS


def test_the_cut_does_not_depend_on_the_id_so_the_dry_run_shows_the_real_cut() -> None:
    name = "長い名前" * 80 + ".mp4"
    assert (
        video_title(name, DRY_RUN_ID).split(" · AdBee #")[0]
        == (video_title(name, 7).split(" · AdBee #")[0])
    )


def test_emoji_count_two_units_and_are_never_split() -> None:
    assert utf16_units("🎬") == 2
    assert cut_to_limit("a🎬", 2) == "a"
    assert cut_to_limit("🎬" * 200) == "🎬" * 127
