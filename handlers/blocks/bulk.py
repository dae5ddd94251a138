"""``/campaign bulk``: the modal that takes a launch sheet and its videos, and the batch message
whose one button approves every campaign of the batch (pure builders, unit-tested).

The sheet is the CLI's (``meta.domain.sheet``): one campaign per row, the campaign-file fields as
columns, list items separated by ``|``. Its ``video``/``videos`` cells name the videos by file
name; the files themselves are attached in the same modal (up to ten, Slack's most per file
input), or were shared earlier in the channel the command was typed in (the modal keeps that
channel in ``private_metadata``), so a video several rows name is attached once and uploaded to
Meta once per ad account.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from handlers.blocks.common import (
    actions,
    button,
    confirm_dialog,
    context,
    esc,
    message,
    plain,
    section,
    truncate,
)
from handlers.blocks.modal_inputs import input_block
from handlers.ids import CampaignBulk
from handlers.uploads import MAX_FORM_FILES, VIDEO_EXTENSIONS

SHEET_HINT = (
    "A CSV export of your sheet (UTF-8): a header row of campaign-file fields (account, name, "
    "daily_budget, start_time, countries, video or videos, primary_text, headline, link, "
    "call_to_action…), then one campaign per row; list items separated by |."
)


LISTED = 15


def build_bulk_modal(channel_id: str | None = None) -> dict[str, Any]:
    """The sheet and its videos; nothing is sent to Meta until every row passes every check.

    ``channel_id``: where ``/campaign bulk`` was typed; a video the sheet names that is not
    attached is looked for among the files shared there (``bulk_channel`` reads it back)."""
    sheet = {
        "type": "file_input",
        "action_id": str(CampaignBulk.SHEET),
        "filetypes": ["csv"],
        "max_files": 1,
    }
    videos = {
        "type": "file_input",
        "action_id": str(CampaignBulk.VIDEOS),
        "filetypes": sorted(VIDEO_EXTENSIONS),
        "max_files": MAX_FORM_FILES,
    }
    return {
        "type": "modal",
        "callback_id": str(CampaignBulk.CALLBACK),
        "title": plain("Bulk launch", 24),
        "submit": plain("Check and create", 24),
        "close": plain("Cancel", 24),
        "private_metadata": json.dumps({"channel": channel_id or ""}),
        "blocks": [
            section(
                "Every row is checked before anything is uploaded; one bad row refuses the whole "
                "sheet, row by row with the field named. Campaigns are created PAUSED and can be "
                "approved together or one by one."
            ),
            input_block(CampaignBulk.SHEET_BLOCK, "Launch sheet (CSV)", sheet, hint=SHEET_HINT),
            input_block(
                CampaignBulk.VIDEOS_BLOCK,
                "The videos the sheet names",
                videos,
                hint=f"Attach each video the sheet's video/videos cells name, by file name (up to "
                f"{MAX_FORM_FILES}); one already shared in this channel need not be attached "
                "again, nor one a cell names by its Slack link. A video several rows name is "
                "uploaded once.",
            ),
        ],
    }


def bulk_channel(view: dict[str, Any]) -> str | None:
    """The channel ``build_bulk_modal`` was opened from, read back from a submitted view."""
    try:
        stored = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return None
    channel = stored.get("channel") if isinstance(stored, dict) else None
    return str(channel) if channel else None


def build_bulk_working_modal(count: int) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": f"{CampaignBulk.CALLBACK}-working",
        "title": plain("Bulk launch", 24),
        "close": plain("Close", 24),
        "blocks": [
            section(
                f":hourglass_flowing_sand: All {count} rows passed every check. AdBee is creating "
                f"the {count} campaigns, everything paused; each shows its progress in the "
                "campaigns channel, and the batch can be approved there with one click."
            )
        ],
    }


@dataclass(frozen=True)
class BatchRow:
    """One campaign of a batch as its message lists it."""

    row: int
    name: str
    account: str


def build_batch_message(
    *, batch: str, rows: Sequence[BatchRow], requested_by: str, value: str
) -> dict[str, Any]:
    """The batch in the channel: what it holds and the one button that approves all of it.

    ``value`` is the button's (``BatchMetadata``); each campaign's own card keeps its own
    Approve/Reject, so the batch can also be decided one by one.
    """
    # At most LISTED rows, each name cut, so the section stays within Slack's 3,000 characters
    # (escaping can triple a hostile name's length).
    listed = "\n".join(
        f"• row {r.row}: *{esc(truncate(r.name, 60))}* ({esc(truncate(r.account, 40))})"
        for r in rows[:LISTED]
    )
    more = f"\n…and {len(rows) - LISTED} more" if len(rows) > LISTED else ""
    count = len(rows)
    approve = button(
        f"Approve all {count}",
        action_id=CampaignBulk.APPROVE_ALL,
        value=value,
        style="primary",
        confirm=confirm_dialog(
            f"Approve all {count}?",
            "Each campaign of this batch is approved as if you clicked its own Approve: "
            "the approval rules apply to each (big budgets need their approvers). "
            "Campaigns still being created are left for later.",
            f"Approve all {count}",
        ),
    )
    return message(
        f"Bulk launch of {count} campaigns by <@{requested_by}>",
        [
            section(
                f":package: *Bulk launch of {count} campaigns* by <@{requested_by}> "
                f"(batch {esc(batch)}), created PAUSED:\n{listed}{more}"
            ),
            actions([approve], block_id=CampaignBulk.BATCH_ACTIONS),
            context("Or approve each on its own card as it is ready."),
        ],
    )


@dataclass(frozen=True)
class BatchOutcome:
    """What Approve all did to one campaign of the batch."""

    row: int
    name: str
    approved: bool
    detail: str


def build_batch_outcome(outcomes: Sequence[BatchOutcome], *, approver: str) -> dict[str, Any]:
    """The reply in the batch's thread: how many were approved, and why each other one was not."""
    done = [o for o in outcomes if o.approved]
    left = [o for o in outcomes if not o.approved]
    lines = [f"<@{approver}> approved {len(done)} of {len(outcomes)} campaigns of this batch."]
    lines += [
        f"• row {o.row} *{esc(truncate(o.name, 120))}*: {esc(truncate(o.detail, 300))}"
        for o in left[:40]
    ]
    return message(lines[0], [section("\n".join(lines))])
