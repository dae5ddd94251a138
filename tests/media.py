"""Tiny real media files for tests, generated with PyAV (no fixtures checked in).

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

    ``container`` is an FFmpeg muxer name (mp4, mov, webm, mpegts, matroska...). ``rotation``
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
        video.pix_fmt = "yuv420p"
        if rotation is not None:
            video.set_display_rotation(rotation)
        sound = out.add_stream("aac", rate=48000) if audio else None

        frames = max(1, round(seconds * fps))
        for index in range(frames):
            frame = av.VideoFrame(width, height, "yuv420p")
            for plane_index, plane in enumerate(frame.planes):
                plane.update(bytes([(index * 7 + plane_index * 60) % 256]) * plane.buffer_size)
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))

        if sound is not None:
            _write_silence(out, sound, seconds)
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
