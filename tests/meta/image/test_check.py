"""Image files are judged by their content against Meta's image ad specs, before any upload."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from meta.domain.errors import ImageRejectedError
from meta.image.check import check_image, describe_image, looks_like_image_file
from tests.media import make_test_image, make_test_video


def refusal(source: Path | bytes, **kwargs: object) -> str:
    with pytest.raises(ImageRejectedError) as refused:
        check_image(source, **kwargs)  # type: ignore[arg-type]
    (problem,) = refused.value.problems
    assert problem.field == "images"
    return problem.message


@pytest.mark.parametrize(
    ("width", "height", "fmt", "ratio"),
    [(1080, 1080, "JPEG", "1:1"), (1200, 628, "JPEG", "1.91:1"), (1080, 1350, "PNG", "4:5")],
)
def test_feed_shapes_in_jpeg_or_png_pass_without_a_word(width, height, fmt, ratio, tmp_path):
    path = tmp_path / "hero.img"
    data = make_test_image(path, width=width, height=height, format=fmt)
    info = check_image(path)
    assert (info.width, info.height, info.format, info.warnings) == (width, height, fmt.lower(), ())
    assert info.md5 == hashlib.md5(data).hexdigest()  # the hash Meta will give it
    assert f"{width}x{height} px ({ratio})" in describe_image(info)


def test_bytes_from_a_slack_download_are_checked_the_same_way():
    info = check_image(make_test_image(width=1080, height=1920, format="PNG"), name="story.png")
    assert info.format == "png"
    assert info.warnings == (
        "story.png is 9:16: Stories and Reels show it whole, Feed shows a 4:5 crop of its middle",
    )


def test_a_small_image_passes_with_metas_recommendation():
    (warning,) = check_image(make_test_image(width=800, height=800), name="a.jpg").warnings
    assert "Meta recommends at least 1080 px" in warning


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (500, 500, "at least 600 px wide"),
        (2400, 1000, "9:16 (vertical) to 1.91:1 (landscape)"),
        (600, 1400, "9:16 (vertical) to 1.91:1 (landscape)"),
    ],
)
def test_sizes_and_shapes_meta_refuses_or_crops_everywhere_are_refused(width, height, expected):
    assert expected in refusal(make_test_image(width=width, height=height), name="x.jpg")


def test_the_content_decides_not_the_name(tmp_path):
    png = tmp_path / "hero.jpg"
    make_test_image(png, format="PNG")
    assert check_image(png).format == "png"
    video = make_test_video(tmp_path / "cut.jpg", seconds=0.5)
    assert "is a video (an MP4 video), not an image; list it under videos" in refusal(video)
    webp = make_test_image(format="WEBP")
    assert "looks like a WebP image); Meta's image ads take JPG or PNG" in refusal(webp, name="w")
    assert "not an image" in refusal(b"\x00\x01\x02 nothing known", name="blob")


def test_damaged_empty_and_oversized_files_are_refused(tmp_path):
    whole = make_test_image(width=1080, height=1080, format="PNG")
    assert "cannot be read; it is probably damaged" in refusal(whole[: len(whole) // 2], name="c")
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    assert "is empty" in refusal(empty)
    big = tmp_path / "huge.jpg"
    with big.open("wb") as f:
        f.truncate(31 * 1024 * 1024)
    assert "Meta takes images up to 30.0 MB" in refusal(big)
    assert "does not exist" in refusal(tmp_path / "missing.jpg")


def test_validate_tells_images_from_other_files(tmp_path):
    png = tmp_path / "hero"
    make_test_image(png, format="PNG")
    assert looks_like_image_file(png)
    assert looks_like_image_file(tmp_path / "any.JPG")
    assert not looks_like_image_file(make_test_video(tmp_path / "ad.mp4", seconds=0.5))
