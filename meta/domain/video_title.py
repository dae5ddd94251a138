"""The title AdBee gives an uploaded video, cut to Meta's limit the way Meta counts.

Meta's Ad Videos reference documents ``title`` as a string that "must be less than 255
characters" (meta-api.md §1.1, D-VID), i.e. at most 254. [uncertain] How Meta counts is not
documented: not found in Meta's docs, SDK or public issues. AdBee counts UTF-16 code units
(an emoji or another character outside the BMP counts 2), the stricter of the two plausible
counts (Unicode characters, UTF-16 units — what JavaScript's ``length`` and Meta's web forms
count): a title that fits in UTF-16 units fits in characters too, so the cut is never refused.

One function makes the title for the upload, the dry run and the lost-upload lookup, so all
three see the same text. The cut shortens the file name, never the `` · AdBee #<id>`` suffix:
the suffix is what lets a resumed run recognise its own lost uploads.
"""

from __future__ import annotations

MAX_TITLE_UNITS = 254  # "less than 255"
_SUFFIX = " · AdBee #"
_ID_ROOM = 20  # digits reserved for the AdBee id, so the cut does not depend on the id
DRY_RUN_ID = "<AdBee id>"


def utf16_units(text: str) -> int:
    """Length as Meta is assumed to count it (see the module docstring)."""
    return len(text.encode("utf-16-le", errors="surrogatepass")) // 2


def cut_to_limit(text: str, limit: int = MAX_TITLE_UNITS) -> str:
    """The longest prefix of ``text`` within ``limit`` UTF-16 units (never half a character)."""
    if utf16_units(text) <= limit:
        return text
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:index]
    return text


def video_title(file_name: str, campaign_id: int | str) -> str:
    """``<file name> · AdBee #<id>``, the file name cut so the whole fits Meta's limit."""
    room = MAX_TITLE_UNITS - utf16_units(_SUFFIX) - _ID_ROOM
    return f"{cut_to_limit(file_name, room)}{_SUFFIX}{campaign_id}"


def made_by_adbee(title: object) -> bool:
    """A video AdBee uploaded (its title carries the suffix): evidence of earlier work."""
    return isinstance(title, str) and _SUFFIX in title
