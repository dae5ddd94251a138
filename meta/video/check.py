"""Check a video file locally before a single byte goes to Meta.

A chunked upload of a large file takes minutes, and Meta reports most problems only after its
processing step (or with an opaque code 352 "unsupported format"). Checking here turns those into an
immediate, specific message for the user ("ad.mp4 is 21:9; Meta accepts 9:16 to 16:9") and keeps
broken files (renamed ZIPs, half-downloaded MP4s) from ever starting an upload.

Everything is read cheaply, whatever the file size: the first 4 KiB (to name what a non-video
looks like), the MP4/MOV top-level box headers (to catch truncation), and the container index plus
one decoded frame via PyAV. The media data itself is never read in full.

Accepted (decisions, see ``VideoLimits``): what Meta accepts, not only what it recommends. Any
container on Meta's list of video file formats (MP4, MOV, 3GP, WebM, MKV, AVI, MPEG-TS, MPEG-PS,
FLV, WMV, Ogg, animated GIF; see ``meta.video.kinds.VIDEO_CONTAINER_KINDS``) holding video FFmpeg
can decode; 1 s to 241 min; aspect ratio 9:16 to 16:9 (1 % tolerance); at least 120 px on each
side; up to 4 GiB (the chunked-upload limit). Codecs other than the ones Meta's ad specs name
(H.264, H.265, and VP9/AV1 for Reels) pass with a warning that says it is AdBee's advice, not a
Meta rule: ProRes or Motion JPEG are valid, just many times larger to upload.
"""

from __future__ import annotations

import logging
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import av.error

from meta.domain.errors import VideoRejectedError
from meta.video.kinds import (
    ISO_BMFF_KINDS,
    KIND_LABELS,
    MEDIA_KINDS,
    SNIFF_BYTES,
    VIDEO_CONTAINER_KINDS,
    describe_kind,
    sniff_kind,
)

log = logging.getLogger(__name__)

GIB = 1024**3
_MAX_TOP_LEVEL_BOXES = 200_000  # fragmented MP4s have a moof+mdat pair per fragment

CODEC_LABELS: dict[str, str] = {
    "h264": "H.264",
    "hevc": "H.265/HEVC",
    "mpeg4": "MPEG-4 Part 2",
    "vp8": "VP8",
    "vp9": "VP9",
    "av1": "AV1",
    "prores": "Apple ProRes",
    "mjpeg": "Motion JPEG",
    "dnxhd": "Avid DNxHD",
    "mpeg2video": "MPEG-2",
    "mpeg1video": "MPEG-1",
    "h263": "H.263",
    "wmv3": "Windows Media Video 9",
    "theora": "Theora",
    "png": "PNG",
    "gif": "GIF",
}

# Why AdBee advises against a codec Meta accepts (AdBee's advice, not Meta's rule). Codecs not
# named here and not recommended get the generic reason.
_CODEC_ADVICE: dict[str, str] = {
    "prores": "it is an editing format, many times larger than a delivery export, so the upload "
    "takes much longer",
    "dnxhd": "it is an editing format, many times larger than a delivery export, so the upload "
    "takes much longer",
    "mjpeg": "every frame is a full JPEG picture, so the file is many times larger than an H.264 "
    "export of the same video",
}
_GENERIC_ADVICE = "Meta re-encodes it, and an H.264 export usually looks better after that"
SEND_A_VIDEO = "send a video file (an H.264 MP4 is the safest choice)"

# Meta recommends 1080 px on the short side (1080x1920 vertical, 1080x1080 square, 1920x1080
# horizontal): round2-facts "Video" and Meta's ads guide video specs.
_SHARPNESS = "smaller videos look less sharp once Meta scales them to fill a phone screen"


@dataclass(frozen=True)
class VideoLimits:
    """What AdBee accepts; defaults follow Meta's ad video specs (meta-api.md §1.1).

    ``recommended_*`` values only produce warnings: a codec outside ``recommended_codecs`` is
    accepted (Meta transcodes it) with AdBee's advice. ``containers`` are the kinds refused when
    absent (``meta.video.kinds`` names). Aspect bounds are width:height and are compared exactly
    (``Fraction``), widened by ``aspect_tolerance`` (relative) so encoder rounding such as 480x854
    still counts as 9:16.
    """

    max_bytes: int = 4 * GIB
    min_duration_seconds: float = 1.0
    max_duration_seconds: float = 241 * 60.0
    min_aspect: Fraction = Fraction(9, 16)
    max_aspect: Fraction = Fraction(16, 9)
    aspect_tolerance: Fraction = Fraction(1, 100)
    min_side_px: int = 120
    recommended_min_short_side_px: int = 1080
    recommended_fps: tuple[float, float] = (24.0, 60.0)
    containers: tuple[str, ...] = tuple(sorted(VIDEO_CONTAINER_KINDS))
    # Meta's ad video specs name H.264 and H.265; VP9 and AV1 are listed for Reels (round2-facts).
    recommended_codecs: tuple[str, ...] = ("h264", "hevc", "vp9", "av1")


@dataclass(frozen=True)
class VideoInfo:
    """What the check learned. ``width``/``height`` are as displayed (rotation and pixel shape applied).

    ``codec`` is the codec's canonical FFmpeg name (``av1``), never the decoder's (``libdav1d``).
    """

    path: Path
    size_bytes: int
    container: str
    codec: str
    width: int
    height: int
    duration_seconds: float
    fps: float | None
    has_audio: bool
    warnings: tuple[str, ...] = field(default=())


# --------------------------------------------------------------------------------------------
# Formatting helpers for messages


def _fmt_size(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{n} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _fmt_sizes(have: int, need: int) -> tuple[str, str]:
    """Two sizes that read as different even when they differ by a few bytes."""
    a, b = _fmt_size(have), _fmt_size(need)
    return (a, b) if a != b else (f"{have:,} bytes", f"{need:,} bytes")


def _fmt_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.2f}".rstrip("0").rstrip(".") + " s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


_COMMON_RATIOS = (
    (32, 9),
    (21, 9),
    (2, 1),
    (16, 9),
    (3, 2),
    (4, 3),
    (5, 4),
    (1, 1),
    (4, 5),
    (3, 4),
    (2, 3),
    (9, 16),
    (1, 2),
    (9, 21),
    (9, 32),
)


def describe_ratio(ratio: Fraction) -> str:
    """Name a ratio for messages: 21:9 for 2560x1080 (within 2 % of a common one), else 2.41:1."""
    for w, h in _COMMON_RATIOS:
        common = Fraction(w, h)
        if abs(ratio - common) <= common * Fraction(2, 100):
            return f"{w}:{h}"
    if ratio.numerator <= 50 and ratio.denominator <= 50:
        return f"{ratio.numerator}:{ratio.denominator}"
    return f"{float(ratio):.2f}:1" if ratio >= 1 else f"1:{float(1 / ratio):.2f}"


def _join_or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def describe_video(info: VideoInfo) -> str:
    """One line for people: 'an MP4 video, H.264 (h264), 1080x1920 px, 15 s, 30 fps, with audio'."""
    codec = CODEC_LABELS.get(info.codec, info.codec)
    parts = [
        KIND_LABELS.get(info.container, info.container),
        f"{codec} ({info.codec})" if codec != info.codec else codec,
        f"{info.width}x{info.height} px",
        _fmt_duration(info.duration_seconds),
    ]
    if info.fps:
        parts.append(f"{info.fps:.3g} fps")
    parts.append("with audio" if info.has_audio else "no audio")
    return ", ".join(parts)


# --------------------------------------------------------------------------------------------
# Aspect ratio


def aspect_ratio_accepted(width: int, height: int, limits: VideoLimits = VideoLimits()) -> bool:
    """Whether a displayed ``width`` x ``height`` lies within Meta's 9:16..16:9 (with tolerance)."""
    if width <= 0 or height <= 0:
        return False
    return _ratio_accepted(Fraction(width, height), limits)


def _ratio_accepted(ratio: Fraction, limits: VideoLimits) -> bool:
    tolerance = Fraction(limits.aspect_tolerance)
    # Divide at the low end, multiply at the high end: the band stays symmetric (w:h accepted
    # exactly when h:w is), which 0.99 x 9/16 would not be.
    low = Fraction(limits.min_aspect) / (1 + tolerance)
    high = Fraction(limits.max_aspect) * (1 + tolerance)
    return low <= ratio <= high


# --------------------------------------------------------------------------------------------
# MP4/MOV structure


def _iter_top_level_boxes(path: Path, size: int) -> Iterator[tuple[bytes, int, int]]:
    """Yield (type, offset, declared size) for each top-level ISO-BMFF box; reads headers only.

    The declared size may run past the end of the file: that is what the caller checks. Stops at
    trailing bytes that do not look like a box (some tools append junk after the last box).
    """
    offset = 0
    with path.open("rb") as f:
        for _ in range(_MAX_TOP_LEVEL_BOXES):
            if offset + 8 > size:
                return
            f.seek(offset)
            header = f.read(16)
            box_size = int.from_bytes(header[0:4], "big")
            box_type = header[4:8]
            header_len = 8
            if not all(32 <= b < 127 for b in box_type):
                return
            if box_size == 1:
                if len(header) < 16:
                    yield box_type, offset, size + 1  # 64-bit size cut off: truncated
                    return
                box_size = int.from_bytes(header[8:16], "big")
                header_len = 16
            elif box_size == 0:
                box_size = size - offset  # "extends to end of file"
            if box_size < header_len:
                return
            yield box_type, offset, box_size
            offset += box_size


def _check_iso_structure(path: Path, size: int, name: str) -> None:
    """Refuse MP4/MOV files that were cut off: a box running past EOF, or no ``moov`` index."""
    seen: set[bytes] = set()
    for box_type, offset, box_size in _iter_top_level_boxes(path, size):
        if offset + box_size > size:
            have, need = _fmt_sizes(size, offset + box_size)
            raise VideoRejectedError(
                f"{name} is incomplete: the file is {have} but its "
                f"'{box_type.decode('ascii')}' section needs {need}, so it "
                "was cut off (an interrupted download or export?). Download or export it again."
            )
        seen.add(box_type)
    if b"moov" not in seen:
        raise VideoRejectedError(
            f"{name} is incomplete: it has no MP4 index ('moov' section), which usually means the "
            "recording or export was interrupted. Export or download it again."
        )


def _check_index_within_file(container: av.container.InputContainer, size: int, name: str) -> None:
    """Second truncation guard: the last indexed sample of each stream must lie inside the file."""
    for stream in container.streams:
        try:
            entries = stream.index_entries
            count = len(entries)
            if not count:
                continue
            last = entries[count - 1]
            end = last.pos + last.size
        except (AttributeError, IndexError, TypeError):  # pragma: no cover - PyAV variations
            continue
        if last.pos >= 0 and end > size:
            have, need = _fmt_sizes(size, end)
            raise VideoRejectedError(
                f"{name} is incomplete: the file is {have} but its {stream.type} data "
                f"runs to {need}, so it was cut off (an interrupted download or export?). "
                "Download or export it again."
            )


# --------------------------------------------------------------------------------------------
# The check


def _container_kind(kind: str | None, format_name: str) -> str:
    if kind in MEDIA_KINDS:
        return kind
    first = format_name.split(",")[0]
    return {"matroska": "matroska", "mpeg": "mpeg-ps", "mov": "mov"}.get(first, first)


def _stat(path: Path, name: str) -> int:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise VideoRejectedError(f"The video file {name} does not exist ({path}).") from None
    except OSError as exc:
        raise VideoRejectedError(f"Cannot read {name}: {exc.strerror or exc}.") from None
    if stat.S_ISDIR(st.st_mode):
        raise VideoRejectedError(f"{name} is a folder, not a video file.")
    if not stat.S_ISREG(st.st_mode):
        raise VideoRejectedError(f"{name} is not a regular file (a device, pipe or socket).")
    return st.st_size


def check_video(path: Path, limits: VideoLimits = VideoLimits()) -> VideoInfo:
    """Check that ``path`` is a video Meta will take for an Advantage+ ad; refuse it otherwise.

    Raises ``VideoRejectedError`` with one specific message (what is wrong, what is accepted).
    Returns ``VideoInfo`` whose ``warnings`` list soft problems (below recommended width or frame
    rate, tolerated codec) that do not block the upload.
    """
    path = Path(path)
    name = path.name or str(path)
    size = _stat(path, name)
    if size == 0:
        raise VideoRejectedError(
            f"{name} is empty (0 bytes); the download or export probably failed."
        )
    if size > limits.max_bytes:
        raise VideoRejectedError(
            f"{name} is {_fmt_size(size)}; AdBee can upload videos up to "
            f"{_fmt_size(limits.max_bytes)}. Export a shorter or more compressed version."
        )

    try:
        with path.open("rb") as f:
            head = f.read(SNIFF_BYTES)
    except OSError as exc:
        raise VideoRejectedError(f"Cannot read {name}: {exc.strerror or exc}.") from None
    kind = sniff_kind(head)
    if kind is not None and kind not in MEDIA_KINDS:
        raise VideoRejectedError(
            f"{name} is not a video file (its content looks like {describe_kind(kind)}); "
            f"{SEND_A_VIDEO}."
        )
    if kind in ISO_BMFF_KINDS:
        _check_iso_structure(path, size, name)

    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        log.info("PyAV could not open %s (sniffed %s): %s", path, kind, exc)
        if kind is None:
            raise VideoRejectedError(
                f"{name} is not a video file (its content is not a format AdBee recognises); "
                f"{SEND_A_VIDEO}."
            ) from None
        raise VideoRejectedError(
            f"{name} looks like {describe_kind(kind)} but cannot be read; it is probably damaged. "
            "Export or download it again."
        ) from None

    with container:
        return _inspect(container, path, name, size, kind, limits)


def _inspect(
    container: av.container.InputContainer,
    path: Path,
    name: str,
    size: int,
    kind: str | None,
    limits: VideoLimits,
) -> VideoInfo:
    attached_pic = av.stream.Disposition.attached_pic
    videos = [s for s in container.streams.video if not (s.disposition & attached_pic)]
    has_audio = bool(container.streams.audio)
    if not videos:
        if has_audio:
            raise VideoRejectedError(
                f"{name} contains only audio, no video track; a video ad needs pictures: "
                f"{SEND_A_VIDEO}."
            )
        raise VideoRejectedError(f"{name} has no video track; {SEND_A_VIDEO}.")
    stream = videos[0]

    container_kind = _container_kind(kind, container.format.name)
    if container_kind == "m4a":
        container_kind = "mp4"  # an .m4a/.m4v brand that does carry video is plain MP4
    if container_kind not in limits.containers:
        label = KIND_LABELS.get(container_kind) or f"a {container.format.long_name} file"
        raise VideoRejectedError(
            f"{name} is {label}, which is not among the video formats Meta accepts. "
            "Export it as an H.264 MP4."
        )

    warnings: list[str] = []
    codec = canonical_codec_name(stream)
    advice = _codec_advice(name, codec, container_kind, limits)
    if advice:
        warnings.append(advice)

    if kind in ISO_BMFF_KINDS:
        _check_index_within_file(container, size, name)

    rotation = _first_frame_rotation(container, stream, name)
    width = stream.codec_context.width
    height = stream.codec_context.height
    ratio = Fraction(width, height) if width > 0 and height > 0 else None
    sar = stream.sample_aspect_ratio or stream.codec_context.sample_aspect_ratio
    if ratio is not None and sar and sar > 0 and sar != 1:
        ratio *= Fraction(sar)
        width = round(width * sar)
    if rotation % 180 == 90:
        width, height = height, width
        ratio = 1 / ratio if ratio else ratio
    if ratio is None:
        raise VideoRejectedError(f"{name}: its picture size cannot be read; it may be damaged.")

    if min(width, height) < limits.min_side_px:
        raise VideoRejectedError(
            f"{name} is {width}x{height} px; Meta needs at least {limits.min_side_px} px on each "
            "side (1080 px or more is recommended)."
        )
    if not _ratio_accepted(ratio, limits):
        raise VideoRejectedError(
            f"{name} is {describe_ratio(ratio)} ({width}x{height}); Meta accepts aspect ratios from "
            f"{describe_ratio(Fraction(limits.min_aspect))} (vertical) to "
            f"{describe_ratio(Fraction(limits.max_aspect))} (horizontal), e.g. 9:16, 4:5, 1:1 "
            "or 16:9. Crop or re-export it."
        )

    if container_kind == "gif" and _frame_count(container, stream) <= 1:
        raise VideoRejectedError(
            f"{name} is a still GIF image (one picture); a video ad needs moving pictures of at "
            f"least {_fmt_duration(limits.min_duration_seconds)}: {SEND_A_VIDEO}."
        )
    duration = _duration_seconds(container, stream)
    if duration is None:
        raise VideoRejectedError(
            f"AdBee cannot tell how long {name} is; the file may be damaged. Export it again."
        )
    # Half a millisecond of slack: container rounding must not refuse an exact 1 s clip.
    if duration + 0.0005 < limits.min_duration_seconds:
        raise VideoRejectedError(
            f"{name} is {_fmt_duration(duration)} long; Meta needs at least "
            f"{_fmt_duration(limits.min_duration_seconds)}."
        )
    if duration > limits.max_duration_seconds:
        raise VideoRejectedError(
            f"{name} is {_fmt_duration(duration)} long; Meta accepts at most "
            f"{_fmt_duration(limits.max_duration_seconds)}."
        )

    rate = stream.average_rate or stream.guessed_rate
    fps = float(rate) if rate else None
    low_fps, high_fps = limits.recommended_fps
    if fps is not None and not (low_fps - 0.5 <= fps <= high_fps + 0.5):
        warnings.append(
            f"{name} plays at {fps:.3g} fps; Meta recommends {low_fps:g} to {high_fps:g} fps."
        )
    if min(width, height) < limits.recommended_min_short_side_px:
        warnings.append(
            f"{name} is {width}x{height} px; Meta recommends at least "
            f"{limits.recommended_min_short_side_px} px on the short side, as {_SHARPNESS}."
        )

    return VideoInfo(
        path=path,
        size_bytes=size,
        container=container_kind,
        codec=codec,
        width=width,
        height=height,
        duration_seconds=duration,
        fps=fps,
        has_audio=has_audio,
        warnings=tuple(warnings),
    )


def canonical_codec_name(stream: av.video.stream.VideoStream) -> str:
    """The codec's own name (``av1``, ``vp9``), not the decoder FFmpeg picked (``libdav1d``)."""
    context = stream.codec_context
    try:
        return str(context.codec.canonical_name)
    except AttributeError:  # pragma: no cover - older PyAV
        return str(context.name)


def _codec_advice(name: str, codec: str, container_kind: str, limits: VideoLimits) -> str | None:
    """AdBee's advice for a codec Meta accepts but its ad specs do not name; None if fine.

    A GIF holds GIF pictures by definition, and Meta lists GIF itself as an ad file type.
    """
    if codec in limits.recommended_codecs or container_kind == "gif":
        return None
    label = CODEC_LABELS.get(codec, codec)
    recommended = _join_or([CODEC_LABELS.get(c, c) for c in limits.recommended_codecs[:2]])
    reason = _CODEC_ADVICE.get(codec, _GENERIC_ADVICE)
    return (
        f"{name} uses {label} video. Meta accepts it, but AdBee recommends {recommended}: "
        f"{reason}. This is AdBee's advice, not a Meta rule."
    )


def _first_frame_rotation(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream, name: str
) -> int:
    """Decode the first picture: proves the stream is decodable and yields the display rotation.

    Phones store portrait video as landscape pixels plus a 90° display matrix; PyAV exposes the
    matrix only on frames, hence one decode (a few packets at most, cheap at any file size).
    """
    try:
        for frame in container.decode(stream):
            return round(frame.rotation or 0) % 360
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        log.info("decoding the first frame of %s failed: %s", name, exc)
    raise VideoRejectedError(
        f"{name} has a video track, but its pictures cannot be decoded; the file is probably "
        "damaged. Export or download it again."
    )


def _frame_count(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> int:
    """Pictures in a GIF (small by nature, so counting the packets is cheap); 2 means "several"."""
    if stream.frames:
        return stream.frames
    container.seek(0)
    count = 0
    for packet in container.demux(stream):
        count += packet.size > 0
        if count > 1:
            break
    return count


def _duration_seconds(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> float | None:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration and container.duration > 0:
        return container.duration / av.time_base
    return None
