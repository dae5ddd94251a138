"""check_video refuses every kind of bad file with a message naming the problem and the fix.

Videos are generated with PyAV (tests/media.py); each is a few KB and takes milliseconds.
"""

from __future__ import annotations

import os
import time
import tracemalloc
import zipfile
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meta.domain.errors import VideoRejectedError
from meta.video.check import (
    VideoInfo,
    VideoLimits,
    aspect_ratio_accepted,
    check_video,
    describe_ratio,
)
from meta.video.kinds import describe_kind, sniff_kind
from tests.media import (
    META_ACCEPTED_FORMATS,
    META_ACCEPTED_KINDS,
    make_sparse_video,
    make_test_audio,
    make_test_video,
)

DEFAULT_LIMITS = VideoLimits()


def refusal(path: Path, limits: VideoLimits = DEFAULT_LIMITS) -> str:
    with pytest.raises(VideoRejectedError) as caught:
        check_video(path, limits)
    problems = caught.value.problems
    assert [p.field for p in problems] == ["video"]
    return problems[0].message


# ------------------------------------------------------------------------------ accepted


@pytest.mark.parametrize(
    ("width", "height"),
    [(360, 640), (360, 360), (640, 360), (432, 540), (480, 854)],  # 9:16 1:1 16:9 4:5 ~9:16
)
def test_accepts_common_ad_shapes(tmp_path: Path, width: int, height: int) -> None:
    path = make_test_video(tmp_path / "ad.mp4", width=width, height=height, audio=True)
    info = check_video(path)
    assert info == VideoInfo(
        path=path,
        size_bytes=path.stat().st_size,
        container="mp4",
        codec="h264",
        width=width,
        height=height,
        duration_seconds=pytest.approx(1.0, abs=0.03),
        fps=24.0,
        has_audio=True,
        warnings=info.warnings,
    )
    # below Meta's recommended 1080 px on the short side: a warning, never a refusal
    assert info.warnings == (
        f"ad.mp4 is {width}x{height} px; Meta recommends at least 1080 px on the short side, "
        "as smaller videos look less sharp once Meta scales them to fill a phone screen.",
    )


def test_accepts_hevc_in_mov_without_audio(tmp_path: Path) -> None:
    path = make_test_video(tmp_path / "clip.mov", codec="libx265", container="mov")
    info = check_video(path)
    assert (info.container, info.codec, info.has_audio) == ("mov", "hevc", False)


def test_accepts_a_faststart_mp4(tmp_path: Path) -> None:
    info = check_video(make_test_video(tmp_path / "web.mp4", faststart=True))
    assert info.codec == "h264"


def test_portrait_phone_video_uses_the_displayed_shape(tmp_path: Path) -> None:
    """Phones store portrait video as landscape pixels plus a 90° rotation."""
    path = make_test_video(tmp_path / "phone.mp4", width=640, height=360, rotation=90)
    info = check_video(path)
    assert (info.width, info.height) == (360, 640)


def test_mpeg4_part2_is_accepted_with_adbees_advice(tmp_path: Path) -> None:
    info = check_video(make_test_video(tmp_path / "old.mp4", codec="mpeg4"))
    assert info.codec == "mpeg4"
    assert (
        "old.mp4 uses MPEG-4 Part 2 video. Meta accepts it, but AdBee recommends H.264 or "
        "H.265/HEVC: Meta re-encodes it, and an H.264 export usually looks better after that. "
        "This is AdBee's advice, not a Meta rule."
    ) in info.warnings


def test_low_frame_rate_is_a_warning(tmp_path: Path) -> None:
    info = check_video(make_test_video(tmp_path / "slow.mp4", fps=12, seconds=1.5))
    assert "slow.mp4 plays at 12 fps; Meta recommends 24 to 60 fps." in info.warnings


# ------------------------------------------------------------------------------ what Meta accepts


@pytest.mark.parametrize("name", sorted(META_ACCEPTED_FORMATS))
def test_every_format_meta_accepts_passes(tmp_path: Path, name: str) -> None:
    """ProRes/MJPEG MOV, animated GIF, VP9 WebM, AV1, MKV, AVI, MPEG-TS, 3GP: all valid for Meta."""
    info = check_video(make_test_video(tmp_path / name, **META_ACCEPTED_FORMATS[name]))  # type: ignore[arg-type]
    assert (info.container, info.codec) == META_ACCEPTED_KINDS[name]
    assert info.duration_seconds == pytest.approx(1.0, abs=0.05)
    assert not any("libdav1d" in w or "libsvtav1" in w for w in info.warnings)


@pytest.mark.parametrize(
    ("name", "label", "reason"),
    [
        ("prores.mov", "Apple ProRes", "it is an editing format"),
        ("mjpeg.mov", "Motion JPEG", "every frame is a full JPEG picture"),
    ],
)
def test_heavy_codecs_get_adbees_advice_not_a_refusal(
    tmp_path: Path, name: str, label: str, reason: str
) -> None:
    info = check_video(make_test_video(tmp_path / name, **META_ACCEPTED_FORMATS[name]))  # type: ignore[arg-type]
    advice = [w for w in info.warnings if label in w]
    assert len(advice) == 1
    assert advice[0].startswith(
        f"{name} uses {label} video. Meta accepts it, but AdBee recommends H.264 or H.265/HEVC: "
        f"{reason}"
    )
    assert advice[0].endswith("This is AdBee's advice, not a Meta rule.")


@pytest.mark.parametrize("name", ["vp9.webm", "av1.mp4", "animated.gif", "h264.mkv"])
def test_codecs_metas_specs_name_get_no_advice(tmp_path: Path, name: str) -> None:
    info = check_video(make_test_video(tmp_path / name, **META_ACCEPTED_FORMATS[name]))  # type: ignore[arg-type]
    assert not any("AdBee recommends" in w for w in info.warnings)


@pytest.mark.parametrize(
    ("name", "kwargs", "starts"),
    [
        ("short.webm", {"codec": "libvpx-vp9", "container": "webm", "seconds": 0.5},
         "short.webm is 0.5 s long; Meta needs at least 1 s."),
        ("wide.mkv", {"container": "matroska", "width": 420, "height": 180},
         "wide.mkv is 21:9 (420x180); Meta accepts aspect ratios from 9:16"),
        ("wide.gif", {"codec": "gif", "container": "gif", "fps": 25, "width": 420, "height": 180},
         "wide.gif is 21:9 (420x180)"),
        ("tiny.avi", {"container": "avi", "width": 64, "height": 112},
         "tiny.avi is 64x112 px; Meta needs at least 120 px on each side"),
        ("short.ts", {"container": "mpegts", "seconds": 0.5}, "short.ts is 0.5"),
        ("tall.3gp", {"container": "3gp", "width": 180, "height": 420}, "tall.3gp is 9:21"),
        ("short.mov", {"codec": "mjpeg", "container": "mov", "seconds": 0.5},
         "short.mov is 0.5 s long"),
    ],
)  # fmt: skip
def test_the_rules_still_apply_in_every_format(tmp_path: Path, name, kwargs, starts) -> None:
    assert refusal(make_test_video(tmp_path / name, **kwargs)).startswith(starts)


@pytest.mark.parametrize(("name", "container"), [("long.mkv", "matroska"), ("long.mp4", "mp4")])
def test_longer_than_241_minutes_is_refused_in_any_container(tmp_path, name, container) -> None:
    path = make_sparse_video(tmp_path / name, seconds=242 * 60, container=container)
    assert refusal(path) == f"{name} is 4 h 2 min long; Meta accepts at most 4 h 1 min."


def test_sharpness_warning_only_below_metas_1080_px(tmp_path: Path) -> None:
    """1080x1920 and 1080x1080 are Meta's recommended sizes: no warning. 720x1280 gets one."""
    for width, height in ((1080, 1920), (1080, 1080)):
        path = make_test_video(tmp_path / f"ad{width}x{height}.mp4", width=width, height=height)
        assert check_video(path).warnings == ()
    info = check_video(make_test_video(tmp_path / "hd.mp4", width=720, height=1280))
    assert info.warnings == (
        "hd.mp4 is 720x1280 px; Meta recommends at least 1080 px on the short side, as smaller "
        "videos look less sharp once Meta scales them to fill a phone screen.",
    )


def test_limits_are_configurable(tmp_path: Path) -> None:
    path = make_test_video(tmp_path / "ad.mp4", width=640, height=360)
    assert not check_video(path, VideoLimits(recommended_min_short_side_px=0)).warnings


def test_a_large_file_is_checked_without_reading_it(tmp_path: Path) -> None:
    """A valid MP4 followed by a sparse 1 GiB 'free' box: fast, little memory, still accepted."""
    path = make_test_video(tmp_path / "huge.mp4")
    original = path.stat().st_size
    gib = 1024**3
    with path.open("ab") as f:
        f.write(gib.to_bytes(4, "big") + b"free")
        f.truncate(original + gib)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        info = check_video(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.size_bytes == original + gib
    assert time.perf_counter() - started < 1.0
    assert peak < 1024 * 1024


# ------------------------------------------------------------------------------ refused: the file


def test_missing_file(tmp_path: Path) -> None:
    assert refusal(tmp_path / "nope.mp4") == (
        f"The video file nope.mp4 does not exist ({tmp_path / 'nope.mp4'})."
    )


def test_directory(tmp_path: Path) -> None:
    (tmp_path / "dir.mp4").mkdir()
    assert refusal(tmp_path / "dir.mp4") == "dir.mp4 is a folder, not a video file."


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.mp4").write_bytes(b"")
    assert "empty.mp4 is empty (0 bytes)" in refusal(tmp_path / "empty.mp4")


def test_oversized_file(tmp_path: Path) -> None:
    path = make_test_video(tmp_path / "ad.mp4")
    message = refusal(path, VideoLimits(max_bytes=1000))
    assert message.startswith("ad.mp4 is ") and "up to 1000 bytes" in message


# ------------------------------------------------------------------------------ refused: not a video


def _zip_bytes(tmp_path: Path) -> bytes:
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("notes.txt", "hello")
    return archive.read_bytes()


@pytest.mark.parametrize(
    ("content", "looks_like"),
    [
        (b"Our summer sale starts now!\n" * 20, "plain text"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200), "a JPEG image"),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "a PNG image"),
        (b"%PDF-1.7\n" + bytes(100), "a PDF document"),
        (b"<!DOCTYPE html><html><body>Sign in to Slack</body></html>", "an HTML web page"),
        (b'{"ok": false, "error": "file_not_found"}', "JSON text"),
        (None, "a ZIP archive"),
    ],
)
def test_disguised_non_videos_are_named(tmp_path: Path, content, looks_like) -> None:
    path = tmp_path / "ad.mp4"
    path.write_bytes(content if content is not None else _zip_bytes(tmp_path))
    assert refusal(path) == (
        f"ad.mp4 is not a video file (its content looks like {looks_like}); "
        "send a video file (an H.264 MP4 is the safest choice)."
    )


def test_a_broken_gif_is_named_as_one(tmp_path: Path) -> None:
    path = tmp_path / "ad.gif"
    path.write_bytes(b"GIF89a" + bytes(100))
    assert refusal(path) == (
        "ad.gif looks like a GIF image but cannot be read; it is probably damaged. "
        "Export or download it again."
    )


def test_unrecognised_bytes(tmp_path: Path) -> None:
    path = tmp_path / "ad.mp4"
    path.write_bytes(bytes(range(256)) * 20)
    assert "its content is not a format AdBee recognises" in refusal(path)


@pytest.mark.parametrize("faststart", [False, True])
@pytest.mark.parametrize("keep", [0.5, 0.9, 0.999])
def test_truncated_mp4(tmp_path: Path, faststart: bool, keep: float) -> None:
    full = make_test_video(tmp_path / "full.mp4", seconds=2, audio=True, faststart=faststart)
    data = full.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * keep)])
    message = refusal(cut)
    assert message.startswith("cut.mp4 is incomplete")
    assert "Download or export it again." in message


def test_mp4_without_its_index(tmp_path: Path) -> None:
    """Only ftyp + mdat: a recording that stopped before the index was written."""
    mdat = b"\x00\x00\x00\x10mdat" + bytes(8)
    ftyp = b"\x00\x00\x00\x14ftypisom\x00\x00\x02\x00isom"
    path = tmp_path / "rec.mp4"
    path.write_bytes(ftyp + mdat)
    assert "has no MP4 index ('moov' section)" in refusal(path)


def test_audio_only(tmp_path: Path) -> None:
    path = make_test_audio(tmp_path / "song.mp4")
    assert refusal(path) == (
        "song.mp4 contains only audio, no video track; a video ad needs pictures: "
        "send a video file (an H.264 MP4 is the safest choice)."
    )


# ------------------------------------------------------------------------------ refused: format


def test_a_container_meta_does_not_list_is_refused(tmp_path: Path) -> None:
    """MXF (broadcast masters) is a real video format, but not on Meta's list of upload formats."""
    message = refusal(make_test_video(tmp_path / "master.mxf", codec="mpeg2video", container="mxf"))
    assert message == (
        "master.mxf is a MXF (Material eXchange Format) file, which is not among the video "
        "formats Meta accepts. Export it as an H.264 MP4."
    )


def test_a_still_gif_is_not_a_video(tmp_path: Path) -> None:
    path = make_test_video(
        tmp_path / "logo.gif", codec="gif", container="gif", fps=25, seconds=0.04
    )
    assert refusal(path) == (
        "logo.gif is a still GIF image (one picture); a video ad needs moving pictures of at "
        "least 1 s: send a video file (an H.264 MP4 is the safest choice)."
    )


# ------------------------------------------------------------------------------ refused: shape


def test_cinema_wide_21_9(tmp_path: Path) -> None:
    message = refusal(make_test_video(tmp_path / "wide.mp4", width=420, height=180))
    assert message.startswith(
        "wide.mp4 is 21:9 (420x180); Meta accepts aspect ratios from 9:16 (vertical) to "
        "16:9 (horizontal)"
    )


def test_rotated_tall_9_21(tmp_path: Path) -> None:
    path = make_test_video(tmp_path / "tall.mp4", width=420, height=180, rotation=90)
    assert refusal(path).startswith("tall.mp4 is 9:21 (180x420)")


def test_too_small(tmp_path: Path) -> None:
    message = refusal(make_test_video(tmp_path / "tiny.mp4", width=64, height=112))
    assert message.startswith("tiny.mp4 is 64x112 px; Meta needs at least 120 px on each side")


def test_too_short(tmp_path: Path) -> None:
    message = refusal(make_test_video(tmp_path / "blink.mp4", seconds=0.5))
    assert message == "blink.mp4 is 0.5 s long; Meta needs at least 1 s."


def test_too_long_via_limits(tmp_path: Path) -> None:
    path = make_test_video(tmp_path / "ad.mp4", seconds=2)
    assert refusal(path, VideoLimits(max_duration_seconds=1.5)) == (
        "ad.mp4 is 2 s long; Meta accepts at most 1.5 s."
    )


def test_default_duration_limit_is_metas_241_minutes() -> None:
    assert VideoLimits().max_duration_seconds == 241 * 60
    assert VideoLimits().max_bytes == 4 * 1024**3


# ------------------------------------------------------------------------------ aspect: properties

sides = st.integers(min_value=1, max_value=20_000)


@st.composite
def shapes(draw: st.DrawFn) -> tuple[int, int]:
    """Any size, or one within a few pixels of the 16:9 + 1 % edge where rounding bugs hide."""
    if draw(st.booleans()):
        h = draw(st.integers(min_value=5_000, max_value=20_000))  # big: fine ratio steps
        edge = h * 16 * 101 // 900
        return draw(st.integers(edge - 2, edge + 2)), h
    return draw(sides), draw(sides)


@given(shapes())
def test_aspect_acceptance_is_symmetric_between_portrait_and_landscape(shape) -> None:
    w, h = shape
    assert aspect_ratio_accepted(w, h) == aspect_ratio_accepted(h, w)


@given(sides, sides, st.integers(min_value=1, max_value=50))
def test_aspect_acceptance_ignores_scale(w: int, h: int, k: int) -> None:
    assert aspect_ratio_accepted(w, h) == aspect_ratio_accepted(w * k, h * k)


@given(st.integers(min_value=9, max_value=10_000), st.data())
def test_every_ratio_between_9_16_and_16_9_is_accepted(h: int, data: st.DataObject) -> None:
    w = data.draw(st.integers(min_value=-(-h * 9 // 16), max_value=h * 16 // 9))
    assert aspect_ratio_accepted(w, h)


@given(st.integers(min_value=1, max_value=10_000), st.data())
def test_ratios_beyond_16_9_plus_tolerance_are_refused(h: int, data: st.DataObject) -> None:
    limit = Fraction(16, 9) * Fraction(101, 100)
    smallest_refused = int(limit * h) + 1
    w = data.draw(st.integers(min_value=smallest_refused, max_value=smallest_refused * 3))
    assert not aspect_ratio_accepted(w, h)
    assert not aspect_ratio_accepted(h, w)


def test_aspect_boundaries_exactly() -> None:
    assert aspect_ratio_accepted(1920, 1080) and aspect_ratio_accepted(1080, 1920)
    assert aspect_ratio_accepted(854, 480)  # 1.779, encoder rounding of 16:9
    assert aspect_ratio_accepted(1795, 1000) and not aspect_ratio_accepted(1796, 1000)
    assert aspect_ratio_accepted(1000, 1795) and not aspect_ratio_accepted(1000, 1796)
    assert not aspect_ratio_accepted(2560, 1080) and not aspect_ratio_accepted(0, 10)
    assert describe_ratio(Fraction(2560, 1080)) == "21:9"
    assert describe_ratio(Fraction(1080, 1350)) == "4:5"
    assert describe_ratio(Fraction(300, 100)) == "3:1"


# ------------------------------------------------------------------------------ sniffing


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", "mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", "mov"),
        (b"\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00", "m4a"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "heic"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm", "webm"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "avi"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml", "office"),
        (b"PK\x03\x04" + bytes(30), "zip"),
        (b"ID3\x04\x00", "mp3"),
        (b"\x1f\x8b\x08\x00", "gzip"),
        (b"MZ\x90\x00", "exe"),
        (b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'/>", "svg"),
        (b"\xef\xbb\xbf  <html lang='en'>", "html"),
        (b"caf\xc3\xa9 cr\xc3\xa8me\n", "text"),
        (b"\x00\x01\x02\x03\x04\x05", None),
        (b"", None),
    ],
)
def test_sniff_kind(head: bytes, kind: str | None) -> None:
    assert sniff_kind(head) == kind


def test_sniff_kind_labels() -> None:
    assert describe_kind("zip") == "a ZIP archive"
    assert describe_kind(None) == "an unrecognised format"


def test_sniff_generated_media(tmp_path: Path) -> None:
    ts = make_test_video(tmp_path / "a.ts", container="mpegts")
    mov = make_test_video(tmp_path / "a.mov", container="mov")
    assert sniff_kind(ts.read_bytes()[:4096]) == "mpegts"
    assert sniff_kind(mov.read_bytes()[:4096]) == "mov"
    assert sniff_kind(os.urandom(0)) is None
