"""``/campaign bulk``: the modal that takes a launch sheet and its videos, and the batch message
that shows every row of the batch, with each ready row's Approve and Reject and one button that
approves them all (pure builders, unit-tested).

The batch message is the bulk's only message in the channel: Slack paces ``chat.postMessage`` at
about one per second per channel, so N progress messages and N cards took 2N seconds however
fast Meta was. A batch of more than ``ROWS_PER_MESSAGE`` rows is shown in several messages
(Slack's 50 blocks per message: two per row, a header and a footer).

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

from handlers.blocks import campaign_parts as parts
from handlers.blocks.common import (
    SECTION_TEXT,
    actions,
    button,
    confirm_dialog,
    context,
    dialog_name,
    esc,
    mention,
    message,
    plain,
    section,
    truncate,
)
from handlers.blocks.modal_inputs import input_block
from handlers.blocks.progress import StepState
from handlers.ids import CampaignAction, CampaignBulk
from handlers.uploads import MAX_FORM_FILES, VIDEO_EXTENSIONS
from meta.domain.states import STEP_LABELS, Status, Step
from meta.services.summary import CampaignSummary

SHEET_HINT = (
    "A CSV export of your sheet (UTF-8): a header row of campaign-file fields (account, name, "
    "daily_budget, start_time, countries, video or videos, primary_text, headline, link, "
    "call_to_action…), then one campaign per row; list items separated by |."
)


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


# A modal's most blocks (Slack's 100), kept below for the header and the footer.
_REFUSED_SECTIONS = 90


def build_bulk_refused_rows_modal(
    count: int, refused: Sequence[tuple[int, str, str]]
) -> dict[str, Any]:
    """The bulk modal once rows were refused after the sheet passed (a video that is not what
    its name says, a name taken meanwhile): the user who is still looking at it sees which rows
    and why, and that the others go on. It stays the bulk's view: the single-campaign form would
    offer to create one campaign from a row of a sheet.

    ``refused``: (sheet row, campaign name, why) of every row refused so far, in sheet order.
    """
    lines = [
        f"*row {row}* ({truncate(esc(name), 120)}): {truncate(esc(why), 600)}"
        for row, name, why in refused
    ]
    sections: list[str] = []
    for line in lines:
        if sections and len(sections[-1]) + len(line) + 1 <= SECTION_TEXT:
            sections[-1] += "\n" + line
        elif len(sections) < _REFUSED_SECTIONS:
            sections.append(line)
    others = count - len(refused)
    return {
        "type": "modal",
        "callback_id": f"{CampaignBulk.CALLBACK}-refused",
        "title": plain("Bulk launch", 24),
        "close": plain("Close", 24),
        "blocks": [
            section(
                f":warning: {len(refused)} of the {count} rows were not created: each passed the "
                f"sheet's checks, then was refused. The {others} other rows go on, paused, in the "
                "batch message in the campaigns channel, where they can be approved with one "
                "click; its thread says the same of each refused row."
            ),
            *(section(text) for text in sections),
            context(
                "Fix these rows and launch them again in a sheet of their own (or one by one "
                "with /campaign create)."
            ),
        ],
    }


@dataclass(frozen=True)
class BatchOutcome:
    """What Approve all did to one campaign of the batch."""

    row: int
    name: str
    approved: bool
    detail: str


# The outcome reply within Slack's limits: 50 blocks a message, ``SECTION_TEXT`` characters a
# section's text, and 40,000 characters a message's text (kept for the sections together too).
OUTCOME_TEXT = 40000
_OUTCOME_BLOCKS = 50


def build_batch_outcome(outcomes: Sequence[BatchOutcome], *, approver: str) -> dict[str, Any]:
    """The reply in the thread Approve all was clicked in: how many were approved, which rows
    were not (in the first line, so a long batch's leftovers are seen at once), then every row's
    outcome in sheet order. Rows are packed into sections of at most ``SECTION_TEXT``
    characters; a batch whose lines do not fit in one message (far beyond Slack's 100 rows of
    hostile names) ends with how many rows were left out, never a silently cut block list."""
    rows = sorted(outcomes, key=lambda o: o.row)
    left = [o for o in rows if not o.approved]
    head = f"<@{approver}> approved {len(rows) - len(left)} of {len(rows)} campaigns of this batch."
    if left:
        numbers = ", ".join(str(o.row) for o in left[:40]) + (", …" if len(left) > 40 else "")
        head += f" Not approved: row{'s' if len(left) > 1 else ''} {numbers}."
    lines = [
        f"{':white_check_mark:' if o.approved else ':warning:'} row {o.row} "
        f"*{truncate(esc(o.name), 120)}*: {truncate(esc(o.detail), 300)}"
        for o in rows
    ]
    sections: list[str] = [head]
    used = len(head)
    shown = 0
    for line in lines:
        if used + len(line) + 1 > OUTCOME_TEXT - 200:
            break
        if len(sections[-1]) + len(line) + 1 <= SECTION_TEXT:
            sections[-1] += "\n" + line
        elif len(sections) < _OUTCOME_BLOCKS - 1:
            sections.append(line)
        else:
            break
        used += len(line) + 1
        shown += 1
    blocks = [section(text) for text in sections]
    if shown < len(lines):
        blocks.append(
            context(f"…and {len(lines) - shown} more rows: each shows its state in the batch.")
        )
    return message(head, blocks)


# Rows one batch message shows: two blocks each (the row, its buttons) plus a header, the
# Approve all buttons and a footer stay within Slack's 50 blocks per message.
ROWS_PER_MESSAGE = 20
_STEP_ORDER = (Step.UPLOAD, Step.PROCESS, Step.IMAGE, Step.CREATIVE, Step.CAMPAIGN, Step.ADSET)


def progress_text(steps: dict[Step, StepState], download: StepState | None = None) -> str:
    """One row's progress in a few words: the step it is at (``Uploading video 40%``)."""
    if download is not None and download.state != "done":
        return "downloading the videos from Slack"
    for step in (*_STEP_ORDER, Step.AD):
        state = steps.get(step)
        if state is None or state.state in ("done", "skipped"):
            continue
        if state.state == "failed":
            return f"{STEP_LABELS[step]}: failed"
        percent = f" {state.percent}%" if state.percent is not None else ""
        retry = " (retrying)" if state.state == "retrying" else ""
        return f"{STEP_LABELS[step]}{percent}{retry}"
    return "creating" if steps else "starting"


@dataclass(frozen=True)
class BoardRow:
    """One row of a batch message: the sheet row and what its campaign is at now.

    ``summary`` is its campaign once one exists; ``failed`` a refusal before that (a video that
    did not pass its check); ``progress`` the in-flight step (``progress_text``), if known.
    """

    row: int
    name: str
    summary: CampaignSummary | None = None
    failed: str | None = None
    progress: str | None = None


def recorded_step(summary: CampaignSummary) -> str:
    """The step a creating campaign's row records (``CampaignStore.set_step``), in words.

    A row's live step, with its percent, is kept in memory by the process making it
    (``BatchBoard``); a process started since (a restart, another replica re-rendering the
    message) has only this, which the pipeline commits as each step begins."""
    try:
        return STEP_LABELS[Step(summary.step)] if summary.step else "creating"
    except ValueError:  # a step this version does not know
        return "creating"


def row_state(row: BoardRow) -> str:
    """What the row shows after its name: queued, a step, ready, approved by X, rejected, failed."""
    summary = row.summary
    if summary is None:
        if row.failed is not None:
            return f":x: not created: {esc(truncate(row.failed, 300))}"
        return f":hourglass_flowing_sand: {esc(row.progress or 'queued')}"
    status = summary.status
    if status == Status.CREATING:
        return f":hourglass_flowing_sand: {esc(row.progress or recorded_step(summary))}"
    if status == Status.CREATED:
        return ":white_check_mark: ready for approval"
    if status in (Status.FAILED, Status.ROLLED_BACK):
        why = esc(truncate(summary.error or "see the thread", 300))
        return f":x: {'failed' if status == Status.FAILED else 'rolled back'}: {why}"
    if status == Status.REJECTED:
        return f":no_entry_sign: rejected{parts.rejected_by(summary)}"
    if status == Status.CANCELLED:
        return ":no_entry_sign: cancelled"
    approved = f"approved by {mention(summary.approved_by)}" if summary.approved_by else "approved"
    return f":rocket: {approved} ({esc(status.replace('_', ' '))})"


def _decide(summary: CampaignSummary) -> dict[str, Any]:
    """The single card's Approve and Reject (same action ids and value), so the same listeners
    and approval rules decide a batch row."""
    approve = button(
        "Approve",
        action_id=CampaignAction.APPROVE,
        value=parts.value(summary),
        style="primary",
        confirm=confirm_dialog(
            "Approve this campaign?",
            f"{dialog_name(summary.name)} goes live at its start with {summary.budget_text}/day.",
            "Approve",
        ),
    )
    reject = button(
        "Reject",
        action_id=CampaignAction.REJECT,
        value=parts.value(summary),
        style="danger",
        confirm=confirm_dialog(
            "Reject and delete?",
            f"AdBee deletes the paused campaign {dialog_name(summary.name)} from Meta; the "
            "other campaigns of the batch stay. This cannot be undone.",
            "Reject",
            style="danger",
        ),
    )
    return actions([approve, reject], block_id=f"{CampaignBulk.BATCH_ROW}-{summary.id}")


def approve_all_value(batch: str) -> str:
    """Approve all's button value: the batch only (``{"batch": "B12"}``), its rows are looked up
    in the store when clicked, so the value stays far below Slack's 2,000 characters however
    many rows the batch has."""
    return json.dumps({"batch": batch}, separators=(",", ":"))


@dataclass(frozen=True)
class ApproveAll:
    """What an Approve all button names: its batch, and for a button posted before Approve all
    covered the whole batch, the (sheet row, request id) pairs of its own message (``rows``):
    such a button keeps doing what its confirm dialog said, approving those rows only."""

    batch: str
    rows: tuple[tuple[int, int], ...] | None = None


def read_approve_all(value: str) -> ApproveAll:
    """The batch (and rows, in the old format) an Approve all button's value names; raises
    ``ValueError`` for a value no AdBee message carried."""
    try:
        data = json.loads(value)
        batch = data["batch"]
        if not isinstance(batch, str) or not batch:
            raise ValueError(value)
        if "rows" not in data:
            return ApproveAll(batch)
        return ApproveAll(batch, tuple((int(row), int(rid)) for row, rid in data["rows"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not an Approve all value: {value[:80]!r}") from exc


def build_batch_board(
    *,
    batch: str,
    rows: Sequence[BoardRow],
    requested_by: str,
    total: int,
    part: int = 1,
    parts_count: int = 1,
) -> dict[str, Any]:
    """One batch message: each of its rows (at most ``ROWS_PER_MESSAGE``) with its state, a
    ready row's Approve/Reject, and Approve all.

    Approve all approves every row of the batch, whichever message it is clicked in: each part
    of a multi-message batch carries the same button, so whoever reads part 3 need not scroll
    back to part 1, and one click does a fifty-row bulk. Its label counts the batch's rows
    (``total``), which do not change, rather than the rows ready now: a row becoming ready
    re-renders only its own message, so a count of ready rows on the other parts would be stale.
    """
    shown = list(rows[:ROWS_PER_MESSAGE])
    ready = sum(1 for r in shown if r.summary is not None and r.summary.status == Status.CREATED)
    where = f", part {part} of {parts_count}" if parts_count > 1 else ""
    blocks: list[dict[str, Any]] = [
        section(
            f":package: *Bulk launch of {total} campaigns* by {mention(requested_by)} "
            f"(batch {esc(batch)}{where}), created PAUSED. {ready} of {len(shown)} here "
            "ready for approval."
        )
    ]
    for r in shown:
        blocks.append(section(f"*row {r.row}: {esc(truncate(r.name, 80))}* · {row_state(r)}"))
        if r.summary is not None and r.summary.status == Status.CREATED:
            blocks.append(_decide(r.summary))
    label = f"Approve all {total}"
    everywhere = f" (all {parts_count} messages)" if parts_count > 1 else ""
    approve = button(
        label,
        action_id=CampaignBulk.APPROVE_ALL,
        value=approve_all_value(batch),
        style="primary",
        confirm=confirm_dialog(
            f"{label}?",
            f"All {total} campaigns of this batch{everywhere} are approved, each as if you "
            "clicked its own Approve: its approval rules apply (big budgets need their "
            "approvers). Rows still being created are left for later: approve them on their "
            "rows when ready.",
            label,
        ),
    )
    blocks.append(actions([approve], block_id=CampaignBulk.BATCH_ACTIONS))
    blocks.append(context("Approve or reject each row here as it is ready, or all at once."))
    return message(f"Bulk launch of {total} campaigns by <@{requested_by}>", blocks)
