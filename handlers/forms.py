"""The create modal's ``view.state.values`` into a ``CampaignForm``, and problems into Slack errors.

Parsing never raises and never judges business rules: it only reads what each element returned,
so the domain (``meta.domain.spec.build_spec``) validates form and CLI input with the same words.
What only the form can know (no file, two files, a PDF) is checked here by ``CampaignForm.problems``.
Slack's ``response_action: errors`` wants ``{block_id: message}``; ``form_errors`` makes that.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from handlers.command_text import CommandRequest, Subcommand, parse_command_text, strip_invisible
from handlers.ids import FALLBACK_BLOCK, FIELD_TO_BLOCK, CampaignCreateBlock
from handlers.metadata import ActionMetadata, ActionValueError, parse_action_value
from handlers.uploads import SlackFile, file_id_from_link, read_file, video_file_problem
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
    def video_file_id(self) -> str | None:
        """The Slack file to download: the attached one, else the one the pasted link names."""
        if self.video_file is not None:
            return self.video_file.id
        return file_id_from_link(self.video_link) if self.video_link else None

    @property
    def video_file(self) -> SlackFile | None:
        """The uploaded video when exactly one file was attached."""
        return self.files[0] if len(self.files) == 1 else None

    def to_request(self, video: str | Path | None = None) -> dict[str, object]:
        """The raw request ``build_spec`` validates; ``video`` is the downloaded (or template) file."""
        return {
            "account": self.account,
            "name": self.name,
            "daily_budget": self.daily_budget,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "countries": list(self.countries),
            "video": str(video) if video else None,
            "primary_text": self.primary_text,
            "headline": self.headline,
            "description": self.description,
            "link": self.link,
            "call_to_action": self.call_to_action,
            "url_tags": self.url_tags,
        }

    def problems(self, *, video_required: bool = True) -> dict[str, str]:
        """Errors visible from the form alone, keyed by block id (``video_required=False`` when a
        template supplies the video)."""
        if self.video_link and not self.files and not file_id_from_link(self.video_link):
            return {
                str(_B.VIDEO_LINK): "This is not a link to a Slack file; use the file's "
                "Copy link in Slack, or attach the video above."
            }
        if not self.files:
            if self.video_link or not video_required:
                return {}
            return {
                str(_B.VIDEO): "Attach the ad video (MP4 or MOV), or paste a link to one shared "
                "in Slack below."
            }
        if len(self.files) > 1:
            return {str(_B.VIDEO): f"Upload one video; {len(self.files)} files are attached."}
        message = video_file_problem(self.files[0])
        return {str(_B.VIDEO): message} if message else {}


def parse_campaign_form(
    state_values: Mapping[str, Any] | None, remembered: Mapping[str, object] | None = None
) -> CampaignForm:
    """Read every input of the create modal; missing or malformed entries read as empty.

    ``remembered`` is the prefill the modal was drawn with (``modal_memory.recall``): an input
    block Slack left out of ``state.values`` altogether takes its value from there.
    """
    values = state_values if isinstance(state_values, Mapping) else {}
    form = _read_form(values)
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


_REMEMBERED = frozenset(CampaignForm.model_fields) - {"files", "video_link"}


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
