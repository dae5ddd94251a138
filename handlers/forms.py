"""The create modal's ``view.state.values`` into a ``CampaignForm``, and problems into Slack errors.

Parsing never raises and never judges business rules: it only reads what each element returned,
so the domain (``meta.domain.spec.build_spec``) validates form and CLI input with the same words.
What only the form can know (no file, eleven files, a PDF) is checked here by
``CampaignForm.problems``.
Slack's ``response_action: errors`` wants ``{block_id: message}``; ``form_errors`` makes that.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from handlers.blocks.modal_inputs import TEXT_BOXES, box_text
from handlers.command_text import CommandRequest, Subcommand, parse_command_text, strip_invisible
from handlers.ids import FALLBACK_BLOCK, FIELD_TO_BLOCK, CampaignCreateBlock
from handlers.metadata import ActionMetadata, ActionValueError, parse_action_value
from handlers.uploads import (
    MAX_FORM_FILES,
    SlackFile,
    file_id_from_link,
    is_image,
    media_file_problem,
    read_file,
)
from meta.domain.errors import ValidationError

__all__ = [
    "ActionMetadata",
    "ActionValueError",
    "CampaignForm",
    "CommandRequest",
    "SlackFile",
    "Subcommand",
    "form_errors",
    "parse_action_value",
    "parse_campaign_form",
    "parse_command_text",
]

ERROR_MESSAGE_LIMIT = 2000  # Slack documents none for errors; this matches label and hint limits
_B = CampaignCreateBlock


class CampaignForm(BaseModel):
    """What the user submitted, as strings the domain parses; times are absolute ISO strings."""

    model_config = ConfigDict(frozen=True)

    template: str | None = None
    # A duplicate: the AdBee id of the campaign it copies (its videos are used when none is
    # attached; carried in the modal's private_metadata, not an input).
    duplicate_of: str | None = None
    account: str | None = None
    name: str | None = None
    daily_budget: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    countries: tuple[str, ...] = ()
    primary_text: str | None = None
    headline: str | None = None
    description: str | None = None
    link: str | None = None
    call_to_action: str | None = None
    url_tags: str | None = None  # this campaign's own, in place of the account's
    files: tuple[SlackFile, ...] = ()
    video_link: str | None = None

    @property
    def media_file_ids(self) -> tuple[str, ...]:
        """The Slack files to download, in ad order: the attached ones, then the one the pasted
        link names (a video over the form's 10 MB)."""
        linked = file_id_from_link(self.video_link) if self.video_link else None
        ids = tuple(f.id for f in self.files)
        return (*ids, linked) if linked and linked not in ids else ids

    @property
    def video_file_ids(self) -> tuple[str, ...]:
        """The Slack files of the campaign's video ads, in ad order (video ads come first)."""
        image_ids = self.image_file_ids
        return tuple(i for i in self.media_file_ids if i not in image_ids)

    @property
    def image_file_ids(self) -> frozenset[str]:
        """The attached files that are pictures (JPG, PNG): image ads, after the video ads."""
        return frozenset(f.id for f in self.files if is_image(f))

    @property
    def video_file(self) -> SlackFile | None:
        """The uploaded video when exactly one file was attached."""
        return self.files[0] if len(self.files) == 1 else None

    def to_request(
        self, *videos: str | Path, images: Sequence[str | Path] = ()
    ) -> dict[str, object]:
        """The raw request ``build_spec`` validates; ``videos`` are the downloaded (or template)
        videos, ``images`` the downloaded pictures. Several files make ``videos``, pictures
        ``images``, several texts ``primary_texts``/``headlines`` (``split_primary_texts``,
        ``split_headlines``), as in a campaign file."""
        request: dict[str, object] = {
            "account": self.account,
            "name": self.name,
            "daily_budget": self.daily_budget,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "countries": list(self.countries),
            "video": str(videos[0]) if len(videos) == 1 else None,
            "primary_text": self.primary_text,
            "headline": self.headline,
            "description": self.description,
            "link": self.link,
            "call_to_action": self.call_to_action,
            "url_tags": self.url_tags,
        }
        if len(videos) > 1:
            del request["video"]
            request["videos"] = [str(v) for v in videos]
        if images:
            request["images"] = [str(i) for i in images]
        for single, plural, texts in (
            ("primary_text", "primary_texts", split_primary_texts(self.primary_text)),
            ("headline", "headlines", split_headlines(self.headline)),
        ):
            if len(texts) > 1:
                del request[single]
                request[plural] = texts
            elif texts:
                request[single] = texts[0]
        return request

    def problems(self, *, video_required: bool = True) -> dict[str, str]:
        """Errors visible from the form alone, keyed by block id (``video_required=False`` when a
        template supplies the video). Every attached file is checked and each problem names
        its file, so with ten attached the user sees which to replace."""
        if self.video_link and not file_id_from_link(self.video_link):
            return {
                str(_B.VIDEO_LINK): "This is not a link to a Slack file; use the file's "
                "Copy link in Slack, or attach the video above."
            }
        if not self.files:
            if self.video_link or not video_required:
                return {}
            return {
                str(_B.VIDEO): "Attach the ad videos (MP4 or MOV, up to "
                f"{MAX_FORM_FILES}), or paste a link to one shared in Slack below."
            }
        count = len(self.media_file_ids)
        if count > MAX_FORM_FILES:
            return {
                str(_B.VIDEO): f"{count} files make {count} ads; attach at most "
                f"{MAX_FORM_FILES} (one ad each), or use a campaign file for more."
            }
        messages = [m for m in (media_file_problem(f) for f in self.files) if m]
        messages += _attached_twice(self.files)
        return {str(_B.VIDEO): _short(" ".join(messages), ERROR_MESSAGE_LIMIT)} if messages else {}


def _attached_twice(files: tuple[SlackFile, ...]) -> list[str]:
    """The same file attached twice (same name and size, or the same Slack file): two identical
    ads are a slip, not a test of creatives."""
    seen: dict[tuple[str, int | None] | str, int] = {}
    messages = []
    for number, file in enumerate(files, start=1):
        keys: list[tuple[str, int | None] | str] = [file.id] if file.id else []
        if file.name and file.size:
            keys.append((file.name, file.size))
        first = next((seen[k] for k in keys if k in seen), None)
        if first is not None:
            name = _short(file.name or "A file", 80)
            messages.append(
                f"{name} is attached twice (files {first} and {number}); attach each file once."
            )
            continue
        seen.update(dict.fromkeys(keys, number))
    return messages


def split_primary_texts(text: str | None) -> list[str]:
    """Several primary texts in the one box, separated by a line of three dashes.

    Not one per line: Meta's primary text is several lines itself (line breaks and paragraphs are
    common in ad copy), so only an explicit separator line can tell two texts from one.
    """
    if not text:
        return []
    parts = (part.strip() for part in _TEXT_SEPARATOR.split(text))
    return [part for part in parts if part]


def split_headlines(text: str | None) -> list[str]:
    """Several headlines, one per line: a headline is one line (the modal's input is the only
    place a line break could come from)."""
    if not text:
        return []
    return [line.strip() for line in text.splitlines() if line.strip()]


_TEXT_SEPARATOR = re.compile(r"^[ \t]*-{3,}[ \t]*$", re.MULTILINE)


def parse_campaign_form(
    state_values: Mapping[str, Any] | None, remembered: Mapping[str, object] | None = None
) -> CampaignForm:
    """Read every input of the create modal; missing or malformed entries read as empty.

    ``remembered`` is the prefill the modal was drawn with (``modal_memory.recall``): an input
    block Slack left out of ``state.values`` altogether takes its value from there.
    """
    values = state_values if isinstance(state_values, Mapping) else {}
    form = _read_form(values)
    source = (remembered or {}).get("duplicate_of")
    if isinstance(source, str | int) and str(source).isdigit():
        form = form.model_copy(update={"duplicate_of": str(source)})
    remembered = _one_box_texts(remembered)
    absent = {
        field: remembered[field]
        for field, block in FIELD_TO_BLOCK.items()
        if remembered and field in remembered and block not in values and field in _REMEMBERED
    }
    if not absent:
        return form
    update: dict[str, object] = {
        field: tuple(str(c).strip().upper() for c in value if str(c).strip())
        if field == "countries" and isinstance(value, list)
        else (str(value).strip() or None)
        for field, value in absent.items()
        if field != "countries" or isinstance(value, list)
    }
    return form.model_copy(update=update)


_REMEMBERED = frozenset(CampaignForm.model_fields) - {"files", "video_link", "duplicate_of"}


def _one_box_texts(remembered: Mapping[str, object] | None) -> Mapping[str, object] | None:
    """A prefill's lists of texts as the one box holds them (the modal draws them so too)."""
    if not remembered:
        return remembered
    joined = {single: box_text(remembered, single) for single in TEXT_BOXES}
    return {**remembered, **{k: v for k, v in joined.items() if v is not None}}


def _read_form(values: Mapping[str, Any]) -> CampaignForm:

    def entry(block: CampaignCreateBlock) -> Mapping[str, Any]:
        # One element per input block; its action id may carry a revision, so take the only one.
        actions = values.get(block)
        if not isinstance(actions, Mapping) or not actions:
            return {}
        first = next(iter(actions.values()))
        return first if isinstance(first, Mapping) else {}

    return CampaignForm(
        template=_scalar(entry(_B.TEMPLATE)),
        account=_scalar(entry(_B.ACCOUNT)),
        name=_scalar(entry(_B.NAME)),
        daily_budget=_scalar(entry(_B.DAILY_BUDGET)),
        start_time=_scalar(entry(_B.START_TIME)),
        end_time=_scalar(entry(_B.END_TIME)),
        countries=tuple(v.upper() for v in _multi(entry(_B.COUNTRIES))),
        primary_text=_scalar(entry(_B.PRIMARY_TEXT)),
        headline=_scalar(entry(_B.HEADLINE)),
        description=_scalar(entry(_B.DESCRIPTION)),
        link=_scalar(entry(_B.LINK)),
        call_to_action=_scalar(entry(_B.CALL_TO_ACTION)),
        url_tags=_scalar(entry(_B.URL_TAGS)),
        files=tuple(read_file(f) for f in _list(entry(_B.VIDEO).get("files"))),
        video_link=_scalar(entry(_B.VIDEO_LINK)),
    )


def form_errors(error: ValidationError) -> dict[str, str]:
    """The domain's per-field problems as ``{block_id: message}``; unknown fields keep their name."""
    result: dict[str, str] = {}
    for field, message in error.by_field().items():
        block = FIELD_TO_BLOCK.get(field)
        text = message if block else f"{field}: {message}"
        key = str(block or FALLBACK_BLOCK)
        result[key] = f"{result[key]}; {text}" if key in result else text
    return {key: _short(text, ERROR_MESSAGE_LIMIT) for key, text in result.items()}


def _scalar(state: Mapping[str, Any]) -> str | None:
    """The value of any single-value element: text inputs, selects and the datetimepicker."""
    if "selected_date_time" in state:
        return _iso_utc(state["selected_date_time"])
    option = state.get("selected_option")
    value = option.get("value") if isinstance(option, Mapping) else state.get("value")
    if value is None or isinstance(value, Mapping | list):
        return None
    text = str(value).strip()
    return text or None


def _multi(state: Mapping[str, Any]) -> list[str]:
    options = _list(state.get("selected_options"))
    return [str(o["value"]).strip() for o in options if isinstance(o, Mapping) and o.get("value")]


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _iso_utc(seconds: object) -> str | None:
    """Slack sends UNIX seconds; an ISO string with +00:00 makes the domain treat it as absolute."""
    if seconds is None or isinstance(seconds, bool):
        return None
    try:
        return datetime.fromtimestamp(int(str(seconds).strip()), UTC).isoformat()
    except (ValueError, OverflowError, OSError):
        return str(seconds)[:40]  # let the domain say it is not a time


def _short(text: str, limit: int) -> str:
    text = " ".join(strip_invisible(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
