"""Tiny real media files for tests, generated with PyAV and Pillow (no fixtures checked in).

Encoding a 1 s 360x640 clip takes a few tens of milliseconds, so tests make exactly the file they
need (codec, container, size, rotation, audio) instead of sharing binary blobs.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av

# Keep encoder chatter (x265 prints its banner to stderr) out of test output, and encode fast.
_CODEC_OPTIONS: dict[str, dict[str, str]] = {
    "libx264": {"preset": "ultrafast"},
    "libx265": {"preset": "ultrafast", "x265-params": "log-level=none"},
    "libvpx": {"deadline": "realtime", "cpu-used": "8"},
    "libvpx-vp9": {"deadline": "realtime", "cpu-used": "8"},
    "libsvtav1": {"preset": "12"},
}
# Encoders that take no yuv420p input: ProRes is 4:2:2 10-bit, Motion JPEG full-range, GIF paletted.
_PIX_FMTS: dict[str, str] = {
    "prores_ks": "yuv422p10le",
    "prores": "yuv422p10le",
    "mjpeg": "yuvj420p",
    "gif": "rgb8",
}


def make_test_video(
    path: Path,
    *,
    seconds: float = 1.0,
    width: int = 360,
    height: int = 640,
    fps: int = 24,
    codec: str = "libx264",
    audio: bool = False,
    container: str = "mp4",
    rotation: int | None = None,
    faststart: bool = False,
) -> Path:
    """Write a small valid video of ``seconds`` at ``fps`` (frame count rounded, at least 1).

    ``container`` is an FFmpeg muxer name (mp4, mov, webm, mpegts, matroska, avi, 3gp, gif...)
    and ``codec`` an encoder name (libx264, libx265, libvpx-vp9, libsvtav1, prores_ks, mjpeg, gif
    for an animated GIF, which needs ``container="gif"``). ``rotation``
    stores a display matrix (phones record portrait this way: landscape pixels + 90°).
    ``faststart`` moves the MP4 index (moov) before the media data, as web exports do.
    Width and height must be even (yuv420p).
    """
    path = Path(path)
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), "w", format=container, options=options) as out:
        video = out.add_stream(codec, rate=fps, options=_CODEC_OPTIONS.get(codec, {}))
        video.width = width
        video.height = height
        video.pix_fmt = _PIX_FMTS.get(codec, "yuv420p")
        if rotation is not None:
            video.set_display_rotation(rotation)
        sound = out.add_stream("aac", rate=48000) if audio else None

        frames = max(1, round(seconds * fps))
        for index in range(frames):
            frame = av.VideoFrame(width, height, "yuv420p")
            for plane_index, plane in enumerate(frame.planes):
                plane.update(bytes([(index * 7 + plane_index * 60) % 256]) * plane.buffer_size)
            if video.pix_fmt != "yuv420p":
                frame = frame.reformat(format=video.pix_fmt)
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))

        if sound is not None:
            _write_silence(out, sound, seconds)
    return path


# One small valid file of each kind Meta accepts that AdBee once refused (issue 11, point 14):
# file name -> make_test_video arguments. AV1 uses SVT-AV1, the AV1 encoder in PyAV's build
# (libaom is not there); PyAV decodes it with libdav1d, whose name must never reach the user.
META_ACCEPTED_FORMATS: dict[str, dict[str, object]] = {
    "prores.mov": {"codec": "prores_ks", "container": "mov", "width": 180, "height": 320},
    "mjpeg.mov": {"codec": "mjpeg", "container": "mov"},
    "animated.gif": {"codec": "gif", "container": "gif", "fps": 25, "width": 180, "height": 320},
    "vp9.webm": {"codec": "libvpx-vp9", "container": "webm"},
    "av1.mp4": {"codec": "libsvtav1", "container": "mp4"},
    "h264.mkv": {"container": "matroska"},
    "h264.avi": {"container": "avi"},
    "h264.ts": {"container": "mpegts"},
    "h264.3gp": {"container": "3gp"},
}
# What check_video reports for each: (container, canonical codec name).
META_ACCEPTED_KINDS: dict[str, tuple[str, str]] = {
    "prores.mov": ("mov", "prores"),
    "mjpeg.mov": ("mov", "mjpeg"),
    "animated.gif": ("gif", "gif"),
    "vp9.webm": ("webm", "vp9"),
    "av1.mp4": ("mp4", "av1"),
    "h264.mkv": ("matroska", "h264"),
    "h264.avi": ("avi", "h264"),
    "h264.ts": ("mpegts", "h264"),
    "h264.3gp": ("3gp", "h264"),
}


def make_sparse_video(
    path: Path, *, seconds: float, container: str = "matroska", codec: str = "libx264"
) -> Path:
    """Two pictures ``seconds`` apart: a video that long in a few KB (for the duration limit)."""
    path = Path(path)
    with av.open(str(path), "w", format=container) as out:
        video = out.add_stream(codec, rate=24, options=_CODEC_OPTIONS.get(codec, {}))
        video.width, video.height, video.pix_fmt = 360, 640, "yuv420p"
        for index, at in enumerate((0.0, seconds)):
            frame = av.VideoFrame(360, 640, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([index * 80]) * plane.buffer_size)
            frame.pts = round(at * 1000)
            frame.time_base = Fraction(1, 1000)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
    return path


def make_test_audio(path: Path, *, seconds: float = 1.0, container: str = "mp4") -> Path:
    """Write an audio-only file (AAC silence), e.g. an .m4a renamed to .mp4."""
    path = Path(path)
    with av.open(str(path), "w", format=container) as out:
        _write_silence(out, out.add_stream("aac", rate=48000), seconds)
    return path


def _write_silence(
    out: av.container.OutputContainer, stream: av.audio.stream.AudioStream, seconds: float
) -> None:
    rate = 48000
    frame_size = stream.codec_context.frame_size or 1024
    total = max(1, int(rate * seconds))
    pts = 0
    while pts < total:
        frame = av.AudioFrame(format="fltp", layout="stereo", samples=frame_size)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.sample_rate = rate
        frame.pts = pts
        frame.time_base = Fraction(1, rate)
        pts += frame_size
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def make_test_image(
    path: Path | None = None,
    *,
    width: int = 1080,
    height: int = 1080,
    format: str = "JPEG",
    colour: tuple[int, int, int] = (230, 90, 20),
) -> bytes:
    """A real JPEG/PNG picture (Pillow) of the given size; written to ``path`` when given.

    ``colour`` makes pictures of one size differ, so each has its own md5 (Meta's image hash).
    """
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format)
    data = buffer.getvalue()
    if path is not None:
        path.write_bytes(data)
    return data


def distinct_copy(source: Path, target: Path) -> Path:
    """A copy of an MP4 with bytes of its own: a ``free`` box (ISO BMFF's padding, ignored by
    players and by ``check_video``) naming the copy, appended at the end.

    AdBee uploads the same bytes once per ad account (``meta.video.digest``), so tests that mean
    "three different cuts" need three different files, not three copies of one.
    """
    tag = target.name.encode()
    target.write_bytes(
        Path(source).read_bytes() + (8 + len(tag)).to_bytes(4, "big") + b"free" + tag
    )
    return target
