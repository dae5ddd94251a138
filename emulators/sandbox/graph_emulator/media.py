"""Just enough media handling for video processing: a container probe and a stub thumbnail.

Real Meta transcodes uploads and fails files it cannot read during processing. The emulator reads
the uploaded bytes with FFmpeg (PyAV), the same kind of ingest real video platforms run, and holds
the result to Meta's own published list of video file formats, not to AdBee's checks: a valid
MKV, WebM, AVI, MPEG-TS, 3GP or animated GIF is processed, a PNG or a ZIP is refused, and
``length`` and the picture size are the file's real ones.
"""

from __future__ import annotations

import base64
import io
import logging
from dataclasses import dataclass

import av
import av.error

# A valid 16x16 grey JPEG served for thumbnail/picture/image URLs so clients can download them.
THUMBNAIL_JPEG: bytes = base64.b64decode(
    "/9j//gAQTGF2YzYyLjI4LjEwMgD/2wBDAAgEBAQEBAUFBQUFBQYGBgYGBgYGBgYGBgYHBwcICAgHBwcGBgcHCAgICAkJ"
    "CQgICAgJCQoKCgwMCwsODg4RERT/xABLAAEBAAAAAAAAAAAAAAAAAAAABwEBAAAAAAAAAAAAAAAAAAAAABABAAAAAAAA"
    "AAAAAAAAAAAAABEBAAAAAAAAAAAAAAAAAAAAAP/AABEIABAAEAMBIgACEQADEQD/2gAMAwEAAhEDEQA/AKQAD//Z"
)

log = logging.getLogger(__name__)

# Meta Help Center, video file formats accepted for upload: "3g2, 3gp, 3gpp, asf, avi, dat, divx,
# dv, f4v, flv, gif, m2ts, m4v, mkv, mod, mov, mp4, mpe, mpeg, mpeg4, mpg, mts, nsv, ogm, ogv, qt,
# tod, ts, vob, wmv" (facebook.com/help/218673814818907, as vendors quote it [uncertain]: whether
# the ads upload uses the very same list), and WebM with VP9/AV1, which Meta lists for Reels.
# Keyed by the FFmpeg demuxer that reads each of them.
META_UPLOAD_FORMATS: dict[str, str] = {
    "mov,mp4,m4a,3gp,3g2,mj2": "mp4, mov, qt, m4v, f4v, 3gp, 3g2",
    "matroska,webm": "mkv, webm",
    "avi": "avi, divx",
    "mpegts": "ts, mts, m2ts",
    "mpeg": "mpg, mpeg, mpe, vob, dat, mod, tod",
    "flv": "flv",
    "asf": "asf, wmv",
    "ogg": "ogv, ogm",
    "gif": "gif",
    "dv": "dv",
}


@dataclass(frozen=True)
class VideoInfo:
    """What the probe learned from the file."""

    duration_seconds: float
    width: int
    height: int
    container: str = ""
    codec: str = ""


def probe_video(data: bytes) -> VideoInfo | None:
    """Duration, frame size and codec of an uploaded video, or None when Meta would refuse it.

    Refused: content FFmpeg cannot open, a format not on Meta's list (an image, a PDF read as
    something), no video track, or a first picture that does not decode.
    """
    try:
        container = av.open(io.BytesIO(data), metadata_errors="ignore")
    except (av.error.FFmpegError, OSError, ValueError):
        return None
    with container:
        if container.format.name not in META_UPLOAD_FORMATS:
            return None
        cover = av.stream.Disposition.attached_pic
        videos = [s for s in container.streams.video if not (s.disposition & cover)]
        if not videos:
            return None
        stream = videos[0]
        try:
            decoded = next(iter(container.decode(stream)), None)
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            log.info("emulator: first picture does not decode: %s", exc)
            return None
        if decoded is None:
            return None
        if stream.duration and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        elif container.duration and container.duration > 0:
            duration = container.duration / av.time_base
        else:
            return None
        width, height = stream.codec_context.width, stream.codec_context.height
        if round(decoded.rotation or 0) % 180 == 90:
            width, height = height, width
        return VideoInfo(
            duration_seconds=duration,
            width=width,
            height=height,
            container=container.format.name,
            codec=str(stream.codec_context.codec.canonical_name),
        )
