"""Uploaded files, as the create modal's ``file_input`` returns them, and whether each is an ad's
video (or image).

Slack's ``filetypes`` setting only filters the file picker ("provided for convenience only, and you
should perform your own file type validation", Slack's file input element reference), so the type
is checked again here, file by file and naming each; the bytes themselves are checked after
download by ``meta.video.check``.
"""

from __future__ import annotations

import re

import pydantic
from pydantic import BaseModel, ConfigDict

from handlers.command_text import strip_invisible
from meta.image.check import IMAGE_EXTENSIONS
from meta.video.kinds import VIDEO_EXTENSIONS

# Every format on Meta's list of video file formats (MKV, WebM, AVI, GIF... not only MP4/MOV);
# the content decides after download. Slack's ``filetype`` is the extension for these.
VIDEO_FILETYPES = VIDEO_EXTENSIONS
# Meta's image ad formats: JPG and PNG (``meta.image.check``); GIF is a video for Meta.
IMAGE_FILETYPES = IMAGE_EXTENSIONS
# Slack's file_input takes at most 10 files ("max_files: minimum of 1, maximum of 10"; Slack's
# file input element reference, slack_sdk.models FileInputElement): one ad each.
MAX_FORM_FILES = 10
_FORMATS_HINT = "MP4, MOV, WebM, MKV, AVI, GIF…, or a JPG/PNG image"


class SlackFile(BaseModel):
    """The parts of a Slack file object the handler needs to check and download an upload."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = ""
    name: str = ""
    size: int | None = None
    mimetype: str = ""
    filetype: str = ""
    pretty_type: str = ""
    url_private_download: str | None = None


# A Slack file permalink (".../files/U123/F0ABC/name.mp4"), a private URL (".../T1-F0ABC/...")
# or a bare file id. Only the id is kept: the bot asks files.info for everything else.
_FILE_ID_IN_LINK = re.compile(r"(?:^|/files/[A-Z0-9_]+/|[A-Z0-9]-)(F[A-Z0-9]{6,20})(?:$|[/?#])")


def file_id_from_link(text: str) -> str | None:
    """The Slack file id in a pasted link or id, or None if it names no Slack file."""
    match = _FILE_ID_IN_LINK.search(text.strip().strip("<>").split("|", 1)[0])
    return match.group(1) if match else None


def read_file(data: object) -> SlackFile:
    """A file entry; one that does not look like a Slack file still counts, as an unusable one."""
    try:
        return SlackFile.model_validate(data)
    except pydantic.ValidationError:
        return SlackFile(name="The attachment")


def is_image(file: SlackFile) -> bool:
    """A still image (JPG, PNG) by Slack's filetype or mimetype; an animated GIF is a video."""
    filetype, mimetype = file.filetype.lower(), file.mimetype.lower()
    return filetype in IMAGE_FILETYPES or mimetype in ("image/jpeg", "image/png")


def is_video(file: SlackFile) -> bool:
    filetype, mimetype = file.filetype.lower(), file.mimetype.lower()
    return filetype in VIDEO_FILETYPES or mimetype.startswith("video/") or mimetype == "image/gif"


def media_file_problem(file: SlackFile) -> str | None:
    """Why this upload cannot be an ad's video or image, or None. Slack's ``filetypes`` only
    filter the UI; the bytes are judged after download (``meta.video.check``,
    ``meta.image.check``).

    Every message names the file: with several attached, the user must see which one is wrong.
    """
    name = _short(file.name or "The file")
    if not (is_video(file) or is_image(file)):
        filetype, mimetype = file.filetype.lower(), file.mimetype.lower()
        kind = file.pretty_type or filetype.upper() or mimetype or "unknown type"
        kind = _short(kind, 40)
        return f"{name} is {_article(kind)} {kind}, not a video; upload a video ({_FORMATS_HINT})."
    if file.size == 0:
        return f"{name} is empty; upload it again."
    if not file.id or not (file.url_private_download or "").startswith(("https://", "http://")):
        return f"Slack did not share {name} with AdBee; upload it again."
    return None


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(strip_invisible(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _article(word: str) -> str:
    first = word[:1]
    acronym_vowel_sound = word.isupper() and first in "AEFHILMNORSX"
    return "an" if acronym_vowel_sound or first.lower() in "aeiou" else "a"
