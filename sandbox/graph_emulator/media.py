"""Just enough media handling for video processing: an MP4/MOV probe and a stub thumbnail.

Real Meta transcodes uploads and fails non-video files during processing; probing the ISO-BMFF
boxes (stdlib only) lets the emulator do the same and report a real ``length``.
"""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass

# A valid 16x16 grey JPEG served for thumbnail/picture/image URLs so clients can download them.
THUMBNAIL_JPEG: bytes = base64.b64decode(
    "/9j//gAQTGF2YzYyLjI4LjEwMgD/2wBDAAgEBAQEBAUFBQUFBQYGBgYGBgYGBgYGBgYHBwcICAgHBwcGBgcHCAgICAkJ"
    "CQgICAgJCQoKCgwMCwsODg4RERT/xABLAAEBAAAAAAAAAAAAAAAAAAAABwEBAAAAAAAAAAAAAAAAAAAAABABAAAAAAAA"
    "AAAAAAAAAAAAABEBAAAAAAAAAAAAAAAAAAAAAP/AABEIABAAEAMBIgACEQADEQD/2gAMAwEAAhEDEQA/AKQAD//Z"
)

_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts"}


@dataclass(frozen=True)
class VideoInfo:
    """What the probe learned from the container."""

    duration_seconds: float
    width: int
    height: int


def _boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """Child boxes of a region as (type, payload_start, payload_end)."""
    out: list[tuple[bytes, int, int]] = []
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        header = 8
        if size == 1:
            if pos + 16 > end:
                break
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            break
        out.append((kind, pos + header, pos + size))
        pos += size
    return out


def probe_mp4(data: bytes) -> VideoInfo | None:
    """Duration and frame size of an MP4/MOV file, or None when it is not one."""
    top = _boxes(data, 0, len(data))
    kinds = {k for k, _, _ in top}
    if b"ftyp" not in kinds and b"moov" not in kinds:
        return None
    duration = 0.0
    width = height = 0
    stack = [(k, s, e) for k, s, e in top if k == b"moov"]
    if not stack:
        return None
    while stack:
        kind, start, end = stack.pop()
        if kind in _CONTAINERS:
            stack.extend(_boxes(data, start, end))
        elif kind == b"mvhd" and end - start >= 20:
            version = data[start]
            if version == 1 and end - start >= 32:
                timescale, dur = struct.unpack(">IQ", data[start + 20 : start + 32])
            else:
                timescale, dur = struct.unpack(">II", data[start + 12 : start + 20])
            if timescale:
                duration = dur / timescale
        elif kind == b"tkhd" and end - start >= 84:
            w, h = struct.unpack(">II", data[end - 8 : end])
            if w and h:
                width, height = w >> 16, h >> 16
    if duration <= 0:
        return None
    return VideoInfo(duration_seconds=duration, width=width, height=height)
