"""What a file is, judged by its first bytes, never by its name.

Used to tell a user what they sent instead of a video ("looks like a ZIP archive") before any
upload starts: by the video check on files given to the CLI, and by the Slack file intake on the
first chunk of a download.
"""

from __future__ import annotations

from pathlib import Path

SNIFF_BYTES = 4096

# What a file "looks like", for messages. Keys are the values ``sniff_kind`` returns.
KIND_LABELS: dict[str, str] = {
    "mp4": "an MP4 video",
    "mov": "a QuickTime (MOV) video",
    "3gp": "a 3GP video",
    "m4a": "an M4A audio file",
    "webm": "a WebM video",
    "matroska": "a Matroska (MKV) video",
    "mpegts": "an MPEG transport stream (.ts)",
    "mpeg-ps": "an MPEG program stream (.mpg)",
    "avi": "an AVI video",
    "dv": "a DV video",
    "flv": "a Flash video (FLV)",
    "asf": "a Windows Media (WMV/ASF) file",
    "mp3": "an MP3 audio file",
    "aac": "an AAC audio file",
    "wav": "a WAV audio file",
    "aiff": "an AIFF audio file",
    "ogg": "an Ogg media file",
    "flac": "a FLAC audio file",
    "midi": "a MIDI file",
    "jpeg": "a JPEG image",
    "png": "a PNG image",
    "gif": "a GIF image",
    "webp": "a WebP image",
    "bmp": "a BMP image",
    "tiff": "a TIFF image",
    "heic": "a HEIC/HEIF image",
    "avif": "an AVIF image",
    "psd": "a Photoshop document",
    "raw-photo": "a camera RAW photo",
    "pdf": "a PDF document",
    "office": "an Office document",
    "rtf": "an RTF document",
    "zip": "a ZIP archive",
    "gzip": "a gzip archive",
    "bzip2": "a bzip2 archive",
    "xz": "an xz archive",
    "7z": "a 7-Zip archive",
    "rar": "a RAR archive",
    "exe": "a Windows program",
    "elf": "a Linux program",
    "sqlite": "an SQLite database",
    "html": "an HTML web page",
    "xml": "an XML document",
    "svg": "an SVG image",
    "json": "JSON text",
    "text": "plain text",
}

# Kinds FFmpeg may read as audio/video; anything else sniffed is refused before opening it.
# GIF is both: a still GIF is an image, an animated one is a video Meta takes (see below).
MEDIA_KINDS = frozenset(
    {
        "gif",
        "mp4",
        "mov",
        "3gp",
        "m4a",
        "webm",
        "matroska",
        "mpegts",
        "mpeg-ps",
        "avi",
        "flv",
        "asf",
        "mp3",
        "aac",
        "wav",
        "aiff",
        "ogg",
        "flac",
    }
)
ISO_BMFF_KINDS = frozenset({"mp4", "mov", "3gp", "m4a"})

# The video containers Meta accepts for uploads, as ``sniff_kind`` names them. Meta's Help Center
# list of video file formats ("3g2, 3gp, 3gpp, asf, avi, dat, divx, dv, f4v, flv, gif, m2ts, m4v,
# mkv, mod, mov, mp4, mpe, mpeg, mpeg4, mpg, mts, nsv, ogm, ogv, qt, tod, ts, vob, wmv"; quoted
# from vendors' copies of facebook.com/help/218673814818907 [uncertain: Meta does not say whether
# the ads upload uses the same list]) plus WebM, which Meta lists for Reels (VP9). DV and NSV have
# no signature here and are left to FFmpeg's own detection.
VIDEO_CONTAINER_KINDS = frozenset(
    {
        "mp4",  # mp4, m4v, mpeg4, f4v
        "mov",  # mov, qt
        "3gp",  # 3gp, 3gpp, 3g2
        "webm",
        "matroska",  # mkv
        "avi",  # avi, divx
        "mpegts",  # ts, mts, m2ts
        "mpeg-ps",  # mpg, mpeg, mpe, vob, dat, mod, tod
        "flv",
        "asf",  # wmv, asf
        "ogg",  # ogv, ogm
        "gif",  # animated GIF: Meta's ads guide lists GIF among the video ad file types
        "dv",  # no signature here: FFmpeg's detection names it
    }
)

# The same list as file name extensions, for places that only have a name (Slack's file picker,
# ``python -m bot validate <file>``).
VIDEO_EXTENSIONS = frozenset(
    {
        "3g2", "3gp", "3gpp", "asf", "avi", "dat", "divx", "dv", "f4v", "flv", "gif", "m2ts",
        "m4v", "mkv", "mod", "mov", "mp4", "mpe", "mpeg", "mpeg4", "mpg", "mts", "nsv", "ogm",
        "ogv", "qt", "tod", "ts", "vob", "webm", "wmv",
    }
)  # fmt: skip


def _iso_kind(head: bytes) -> str | None:
    box_type = head[4:8]
    if box_type == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return "mov"
        if brand in (b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "):
            return "m4a"
        if brand[:3] in (b"3gp", b"3g2", b"3ge", b"3gg", b"3gs"):
            return "3gp"
        if brand in (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis"):
            return "heic"
        if brand in (b"avif", b"avis"):
            return "avif"
        if brand == b"crx ":
            return "raw-photo"
        return "mp4"
    if box_type in (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot") and len(head) >= 8:
        return "mov"  # QuickTime files from before the ftyp box existed
    return None


_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\r\f\x1b") + b"\x7f"


def _text_kind(head: bytes) -> str | None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "text"  # UTF-16 byte-order mark
    body = head.removeprefix(b"\xef\xbb\xbf")
    if not body or body.translate(None, _CONTROL) != body:
        return None
    start = body.lstrip()[:256].lower()
    if start.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "html"
    if start.startswith(b"<?xml") or start.startswith(b"<svg"):
        return "svg" if b"<svg" in body.lower() else "xml"
    if start.startswith((b"{", b"[")):
        return "json"
    return "text"


def sniff_kind(first_bytes: bytes) -> str | None:
    """Name the format of a file from its first bytes (4 KiB is plenty), or None if unknown.

    Used to tell a user what they sent instead of a video ("looks like a ZIP archive"), and by the
    Slack file intake for the same purpose. Returns a key of ``KIND_LABELS``; only the content is
    looked at, never the file name.
    """
    head = first_bytes
    if len(head) < 2:
        return None
    iso = _iso_kind(head)
    if iso:
        return iso
    signatures: tuple[tuple[bytes, str], ...] = (
        (b"\xff\xd8\xff", "jpeg"),
        (b"\x89PNG\r\n\x1a\n", "png"),
        (b"GIF87a", "gif"),
        (b"GIF89a", "gif"),
        (b"%PDF", "pdf"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "office"),
        (b"{\\rtf", "rtf"),
        (b"\x1f\x8b", "gzip"),
        (b"BZh", "bzip2"),
        (b"\xfd7zXZ\x00", "xz"),
        (b"7z\xbc\xaf\x27\x1c", "7z"),
        (b"Rar!\x1a\x07", "rar"),
        (b"\x7fELF", "elf"),
        (b"SQLite format 3\x00", "sqlite"),
        (b"8BPS", "psd"),
        (b"II*\x00", "tiff"),
        (b"MM\x00*", "tiff"),
        (b"FLV\x01", "flv"),
        (b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", "asf"),
        (b"\x00\x00\x01\xba", "mpeg-ps"),
        (b"\x00\x00\x01\xb3", "mpeg-ps"),
        (b"OggS", "ogg"),
        (b"fLaC", "flac"),
        (b"MThd", "midi"),
        (b"ID3", "mp3"),
    )
    for magic, kind in signatures:
        if head.startswith(magic):
            return kind
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        window = head[:2048]
        if any(m in window for m in (b"[Content_Types].xml", b"word/", b"xl/", b"ppt/")) or (
            b"mimetypeapplication/vnd.oasis" in window
        ):
            return "office"
        return "zip"
    if head.startswith(b"RIFF") and len(head) >= 12:
        return {b"WEBP": "webp", b"WAVE": "wav", b"AVI ": "avi"}.get(head[8:12])
    if head.startswith(b"FORM") and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm" if b"webm" in head[:64] else "matroska"
    if head[0] == 0x47 and len(head) > 188 and head[188] == 0x47:
        return "mpegts"
    if len(head) > 196 and head[4] == 0x47 and head[196] == 0x47:
        return "mpegts"  # M2TS: 192-byte packets with a 4-byte timestamp prefix
    if head.startswith(b"BM") and len(head) >= 10 and head[6:10] == b"\x00\x00\x00\x00":
        return "bmp"
    if head.startswith(b"MZ"):
        return "exe"
    if head[0] == 0xFF and (head[1] & 0xE0) == 0xE0:
        return "aac" if (head[1] & 0x06) == 0 else "mp3"  # ADTS (layer 0) vs MPEG audio frame
    return _text_kind(head)


def looks_like_video_file(path: Path) -> bool:
    """Whether ``path`` is meant as a video: a video extension, or else video content.

    For commands that take either a campaign file or a video (``python -m bot validate``). The
    extension wins so that a broken ``ad.mp4`` gets the video check's verdict ("looks like a ZIP
    archive"); YAML names are always campaign files; anything else is judged by its first bytes.
    """
    suffix = path.suffix.lower().lstrip(".")
    if suffix in VIDEO_EXTENSIONS:
        return True
    if suffix in ("yaml", "yml", "json"):
        return False
    try:
        with path.open("rb") as f:
            head = f.read(SNIFF_BYTES)
    except OSError:
        return False
    return sniff_kind(head) in VIDEO_CONTAINER_KINDS


def describe_kind(kind: str | None) -> str:
    """Human label for a ``sniff_kind`` result ("a ZIP archive"); generic text for None."""
    if kind is None:
        return "an unrecognised format"
    return KIND_LABELS.get(kind, kind)
