"""Check an ad image locally, by its content, before a single byte goes to Meta.

Meta answers a bad upload of ``act_<id>/adimages`` with an opaque 100/1487411
"FileTypeNotSupported" (facebook-python-business-sdk#697), and a picture too narrow or too
wide only when the creative is made; checking here turns those into one specific message
("hero.jpg is 2.4:1; Meta's image ads take 9:16 to 1.91:1") before anything is uploaded, for
the CLI, the campaign file check and the Slack file intake alike (``check_image`` takes a path
or the bytes themselves).

Meta's image ad specs (Meta Ads Guide, image ads for Feed and Stories; the Marketing API's
"Media requirements" for ``link_data`` images):

- file type JPG or PNG, at most 30 MB;
- at least 600 px wide ("After crop, the width must be at least 600px"); 1080 px or more is
  what Meta recommends (AdBee warns below it);
- aspect ratio: Feed takes 1.91:1 to 4:5 and crops anything taller to 4:5, Stories and Reels
  show 9:16; AdBee accepts 9:16 to 1.91:1 with Meta's 3 % tolerance and warns when Feed will
  crop. Wider than 1.91:1 or taller than 9:16 is refused: Meta would cut part of it everywhere.

The content decides, never the file name: a PNG named ``hero.jpg`` is a PNG, a renamed MP4 is
told to go under ``videos``. The hash Meta addresses the image by is the md5 of its bytes
(platform-facts.md §1.1), so the check returns it: a creation whose upload answer was lost
finds the image again by it.
"""

from __future__ import annotations

import hashlib
import io
import stat
import warnings as _warnings
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from meta.domain.errors import ImageRejectedError
from meta.video.check import describe_ratio
from meta.video.kinds import VIDEO_CONTAINER_KINDS, describe_kind, sniff_kind

MB = 1024 * 1024
# EXIF orientations that turn the picture a quarter: the displayed width is the stored height.
_QUARTER_TURNS = frozenset({5, 6, 7, 8})
_EXIF_ORIENTATION = 0x0112
IMAGE_EXTENSIONS = frozenset({"jpg", "jpeg", "jpe", "png"})
# What a user is told to send instead.
SEND_AN_IMAGE = "export it as a JPG or PNG"


@dataclass(frozen=True)
class ImageLimits:
    """What AdBee accepts; the defaults follow Meta's image ad specs (module docstring).

    ``max_pixels`` is AdBee's own bound (Meta publishes none): it keeps the check from decoding
    a picture that would take gigabytes of memory.
    """

    formats: tuple[str, ...] = ("jpeg", "png")
    max_bytes: int = 30 * MB
    min_width_px: int = 600
    recommended_min_width_px: int = 1080
    min_aspect: Fraction = Fraction(9, 16)
    max_aspect: Fraction = Fraction(191, 100)
    feed_min_aspect: Fraction = Fraction(4, 5)
    aspect_tolerance: Fraction = Fraction(3, 100)
    max_pixels: int = 100_000_000


@dataclass(frozen=True)
class ImageInfo:
    """What the check learned; ``width``/``height`` as displayed (EXIF rotation applied).

    ``md5`` is the hex md5 of the bytes: the hash Meta gives the uploaded image.
    """

    name: str
    size_bytes: int
    format: str  # "jpeg" | "png" (``meta.video.kinds`` names)
    width: int
    height: int
    md5: str
    warnings: tuple[str, ...] = field(default=())
    # The Feed crop note among ``warnings`` (a picture taller than 4:5), kept apart so a
    # campaign can leave it out for the 9:16 cut of a placement pair: Feed shows the pair's
    # other image, never this one (``meta.domain.spec``).
    feed_crop: str | None = None

    @property
    def ratio(self) -> Fraction:
        return Fraction(self.width, self.height)


def _fmt_size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    if n < MB:
        return f"{n / 1024:.1f} KB"
    return f"{n / MB:.1f} MB"


def describe_image(info: ImageInfo) -> str:
    """One line for people: 'a JPEG image, 1080x1080 px (1:1), 245.1 KB'."""
    return (
        f"{describe_kind(info.format)}, {info.width}x{info.height} px "
        f"({describe_ratio(info.ratio)}), {_fmt_size(info.size_bytes)}"
    )


def looks_like_image_file(path: Path) -> bool:
    """Whether ``path`` is meant as an image: an image extension, or else JPEG/PNG content.

    For ``python -m bot validate``, which takes a campaign file, a video or an image.
    """
    if path.suffix.lower().lstrip(".") in IMAGE_EXTENSIONS:
        return True
    try:
        with path.open("rb") as f:
            head = f.read(64)
    except OSError:
        return False
    return sniff_kind(head) in ("jpeg", "png")


def _read(path: Path, name: str, limits: ImageLimits) -> bytes:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ImageRejectedError(f"The image file {name} does not exist ({path}).") from None
    except OSError as exc:
        raise ImageRejectedError(f"Cannot read {name}: {exc.strerror or exc}.") from None
    if stat.S_ISDIR(st.st_mode):
        raise ImageRejectedError(f"{name} is a folder, not an image file.")
    if not stat.S_ISREG(st.st_mode):
        raise ImageRejectedError(f"{name} is not a regular file (a device, pipe or socket).")
    _check_size(st.st_size, name, limits)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ImageRejectedError(f"Cannot read {name}: {exc.strerror or exc}.") from None


def _check_size(size: int, name: str, limits: ImageLimits) -> None:
    if size == 0:
        raise ImageRejectedError(f"{name} is empty (0 bytes); the download or export failed.")
    if size > limits.max_bytes:
        raise ImageRejectedError(
            f"{name} is {_fmt_size(size)}; Meta takes images up to "
            f"{_fmt_size(limits.max_bytes)}. Export it smaller (a JPG at quality 85 is plenty)."
        )


def check_image(
    source: Path | bytes, *, name: str | None = None, limits: ImageLimits = ImageLimits()
) -> ImageInfo:
    """Check that ``source`` (a file, or its bytes) is an image Meta takes for an image ad.

    Pure: reads the file (or the bytes given) and nothing else, so the Slack intake can call it
    on a download before it is saved. Raises ``ImageRejectedError`` (field ``images``) with one
    specific message; returns ``ImageInfo`` whose ``warnings`` list what does not block the
    upload (below Meta's recommended width, a Feed crop).
    """
    if isinstance(source, bytes):
        data = source
        name = name or "the image"
        _check_size(len(data), name, limits)
    else:
        path = Path(source)
        name = name or path.name or str(path)
        data = _read(path, name, limits)
    kind = sniff_kind(data[:4096])
    if kind not in limits.formats:
        if kind in VIDEO_CONTAINER_KINDS and kind != "gif":
            raise ImageRejectedError(
                f"{name} is a video ({describe_kind(kind)}), not an image; list it under "
                "videos instead."
            )
        if kind is None:
            raise ImageRejectedError(
                f"{name} is not an image (its content is not a format AdBee recognises); "
                f"{SEND_AN_IMAGE}."
            )
        raise ImageRejectedError(
            f"{name} is not a JPEG or PNG image (its content looks like {describe_kind(kind)}); "
            f"Meta's image ads take JPG or PNG: {SEND_AN_IMAGE}."
        )
    width, height = _decode(data, name, kind, limits)
    return _judge(name, len(data), kind, width, height, hashlib.md5(data).hexdigest(), limits)


def _decode(data: bytes, name: str, kind: str, limits: ImageLimits) -> tuple[int, int]:
    """Displayed size of a picture that decodes to its end (a truncated file does not)."""
    damaged = ImageRejectedError(
        f"{name} looks like {describe_kind(kind)} but cannot be read; it is probably damaged "
        "or cut short. Export or download it again."
    )
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > limits.max_pixels:
                raise ImageRejectedError(
                    f"{name} is {width}x{height} px ({width * height / 1e6:.0f} megapixels); "
                    f"AdBee checks images up to {limits.max_pixels / 1e6:.0f} megapixels. "
                    "Export it at 1080 to 4000 px wide."
                )
            if width <= 0 or height <= 0:
                raise damaged
            with _warnings.catch_warnings():
                _warnings.simplefilter("error", Image.DecompressionBombWarning)
                image.load()  # every byte of the picture: a truncated file raises here
            orientation = image.getexif().get(_EXIF_ORIENTATION) if kind == "jpeg" else None
    except ImageRejectedError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise damaged from None
    if orientation in _QUARTER_TURNS:
        width, height = height, width
    return width, height


def _judge(
    name: str, size: int, kind: str, width: int, height: int, md5: str, limits: ImageLimits
) -> ImageInfo:
    ratio = Fraction(width, height)
    shown = f"{name} is {width}x{height} px ({describe_ratio(ratio)})"
    tolerance = 1 + limits.aspect_tolerance
    if ratio > limits.max_aspect * tolerance:
        raise ImageRejectedError(
            f"{shown}; Meta's image ads take 9:16 (vertical) to 1.91:1 (landscape), and would "
            "crop this one everywhere. Crop it to 1.91:1, 1:1 or 4:5."
        )
    if ratio < limits.min_aspect / tolerance:
        raise ImageRejectedError(
            f"{shown}; Meta's image ads take 9:16 (vertical) to 1.91:1 (landscape), and would "
            "crop this one everywhere. Crop it to 9:16 or 4:5."
        )
    if width < limits.min_width_px:
        raise ImageRejectedError(
            f"{shown}; Meta needs image ads at least {limits.min_width_px} px wide. Export it "
            f"at {limits.recommended_min_width_px} px wide or more."
        )
    notes: list[str] = []
    if width < limits.recommended_min_width_px:
        notes.append(
            f"{name} is {width} px wide; Meta recommends at least "
            f"{limits.recommended_min_width_px} px (smaller images look less sharp on phones)"
        )
    feed_crop = None
    if ratio < limits.feed_min_aspect / tolerance:
        feed_crop = (
            f"{name} is {describe_ratio(ratio)}: Stories and Reels show it whole, Feed shows "
            "a 4:5 crop of its middle"
        )
        notes.append(feed_crop)
    return ImageInfo(
        name=name,
        size_bytes=size,
        format=kind,
        width=width,
        height=height,
        md5=md5,
        warnings=tuple(notes),
        feed_crop=feed_crop,
    )
