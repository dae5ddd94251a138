"""The edit modal's ``state.values`` as the fields ``meta.domain.edits.parse_wanted`` reads.

An input left empty changes nothing (the description excepted: empty means no description);
the end time arrives as Unix seconds and is handed on as a wall-clock time in the account's
timezone, the form ``parse_wanted`` checks like a typed one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from handlers.blocks.edits import input_action
from handlers.ids import CampaignEditBlock
from meta.domain.edits import EditField
from meta.domain.times import zone

# Field -> block of the modal; ``response_action: errors`` maps problems back by it.
BLOCKS: dict[EditField, CampaignEditBlock] = {
    field: CampaignEditBlock[field.name] for field in EditField
}


def parse_edit_form(values: dict[str, Any] | None, tz: str) -> dict[str, str]:
    wanted: dict[str, str] = {}
    for field, block in BLOCKS.items():
        element = ((values or {}).get(block.value) or {}).get(input_action(block)) or {}
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
