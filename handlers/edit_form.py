"""The edit modal's ``state.values`` as the fields ``meta.domain.edits.parse_wanted`` reads.

An input left empty changes nothing (the description excepted: empty means no description);
the end time arrives as Unix seconds and is handed on as a wall-clock time in the account's
timezone, the form ``parse_wanted`` checks like a typed one.

A new video or image arrives as a Slack file (``edit_form_media``): its type, size and sharing
are checked here, within the submission's ack (errors on the file input); its bytes once
downloaded (``meta.video.check``/``meta.image.check``, by the edit service).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from handlers.blocks.edits import MediaMode, input_action
from handlers.ids import CampaignEditBlock
from handlers.uploads import SlackFile, is_image, media_file_problem, read_file
from meta.domain.edits import MEDIA_FIELDS, EditField
from meta.domain.times import zone

# Field -> block of the modal; ``response_action: errors`` maps problems back by it.
BLOCKS: dict[EditField, CampaignEditBlock] = {
    field: CampaignEditBlock.MEDIA if field in MEDIA_FIELDS else CampaignEditBlock[field.name]
    for field in EditField
}


def _element(values: dict[str, Any] | None, block: CampaignEditBlock) -> dict[str, Any]:
    return ((values or {}).get(block.value) or {}).get(input_action(block)) or {}


def parse_edit_form(values: dict[str, Any] | None, tz: str) -> dict[str, str]:
    """Every field but the new video or image (a Slack file, ``edit_form_media``)."""
    wanted: dict[str, str] = {}
    for field, block in BLOCKS.items():
        if field in MEDIA_FIELDS:
            continue
        element = _element(values, block)
        if field is EditField.END_TIME:
            seconds = element.get("selected_date_time")
            if seconds:
                local = datetime.fromtimestamp(int(seconds), UTC).astimezone(zone(tz))
                wanted[field.value] = local.strftime("%Y-%m-%d %H:%M")
            continue
        if field is EditField.CALL_TO_ACTION:
            chosen = (element.get("selected_option") or {}).get("value")
            if chosen:
                wanted[field.value] = str(chosen)
            continue
        text = str(element.get("value") or "").strip()
        if text:
            wanted[field.value] = text
        elif field is EditField.DESCRIPTION:
            wanted[field.value] = "none"
    return wanted


@dataclass(frozen=True)
class FormMedia:
    """The file attached in the edit modal and the field it fills."""

    file: SlackFile
    field: EditField


def edit_form_media(values: dict[str, Any] | None) -> tuple[FormMedia | None, str | None]:
    """(the attached video or image and its field, or None; why it cannot be used, or None).

    A picture (JPG, PNG) is an image, anything else a video; the mode beside the input says
    whether it replaces the first ad's or makes a new ad (the default: nothing is lost).
    """
    files = [read_file(f) for f in _element(values, CampaignEditBlock.MEDIA).get("files") or []]
    if not files:
        return None, None
    if len(files) > 1:
        return None, "Attach one video or image per edit; send the other in a second edit."
    problem = media_file_problem(files[0])
    if problem:
        return None, problem
    mode = (_element(values, CampaignEditBlock.MEDIA_MODE).get("selected_option") or {}).get(
        "value"
    )
    replace = mode == MediaMode.REPLACE.value
    image = is_image(files[0])
    if replace:
        field = EditField.IMAGE if image else EditField.VIDEO
    else:
        field = EditField.ADD_IMAGE if image else EditField.ADD_VIDEO
    return FormMedia(files[0], field), None


def field_errors(problems: list[tuple[str, str]]) -> dict[str, str]:
    """Problems by field name -> errors by block id (the first per block), for the modal."""
    errors: dict[str, str] = {}
    for name, message in problems:
        try:
            block = BLOCKS[EditField(name)].value
        except ValueError:
            block = CampaignEditBlock.DAILY_BUDGET.value
        errors.setdefault(block, message[:300])
    return errors
