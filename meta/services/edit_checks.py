"""The check of an edit's new video or image file, the same a new campaign's file gets.

``meta.domain.edits.parse_wanted`` takes it as its ``check_media``: the domain reads no file
itself. A video must pass ``meta.video.check`` (container, codec, size, duration: Meta's video
ad specs), an image ``meta.image.check`` (JPG/PNG, size, dimensions), before anything of the
edit is sent to Meta; the sha256 of the bytes goes with the edit (the account's earlier upload
of the same bytes is reused, and a file changed since the check is refused at upload).
"""

from __future__ import annotations

from pathlib import Path

from meta.domain.edits import VIDEO_FIELDS, EditField, MediaFile
from meta.image.check import check_image
from meta.video.check import check_video
from meta.video.digest import content_hash


def check_edit_media(name: EditField, text: str) -> MediaFile:
    """The checked file; ``ValidationError`` (video or image rejected) says what is wrong."""
    path = Path(text).expanduser()
    if name in VIDEO_FIELDS:
        check_video(path)
    else:
        check_image(path)
    return MediaFile(str(path.resolve()), path.name, content_hash(path))
