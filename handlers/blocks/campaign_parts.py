"""Pieces of a campaign that several surfaces show the same way: facts, Meta ids, buttons.

Keeping them here means the approval card, the status reply and the alerts never disagree about
how a budget, a start time or a set of ids reads.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from handlers.blocks.common import (
    Block,
    actions,
    button,
    confirm_dialog,
    context,
    dialog_name,
    esc,
    mention,
    truncate,
    when,
)
from handlers.ids import CampaignAction, CampaignMessageBlock
from handlers.metadata import ActionMetadata
from meta.services.summary import CampaignSummary

_NAME_IN_DIALOG = 120  # leaves room in a confirm dialog's 300 characters


def title(summary: CampaignSummary) -> str:
    """'*Name* (AdBee #12)' for mrkdwn."""
    return f"*{esc(summary.name)}* (AdBee #{summary.id})"


def facts(summary: CampaignSummary, now: datetime) -> list[str]:
    """The fields of a campaign card, at most 10 (Slack's limit for section fields)."""
    waiting = summary.status in ("scheduled", "armed")
    start = summary.activate_at if waiting and summary.activate_at else None
    rows = [
        f"*Account*\n{esc(summary.account_name)} (`{esc(summary.account_key)}`)",
        f"*Daily budget*\n{esc(summary.budget_text)}",
        f"*Starts*\n{when(summary, start or summary.start_time, now)}",
        f"*Ends*\n{esc(summary.end_text) if summary.end_text else 'Runs until paused'}",
        f"*Countries*\n{esc(', '.join(summary.countries)) or '—'}",
        f"*Requested by*\n{mention(summary.requested_by)}",
    ]
    if summary.approved_by:
        rows.append(f"*Approved by*\n{mention(summary.approved_by)}")
    return rows


def ids_context(summary: CampaignSummary) -> Block:
    """Meta's ids (for Ads Manager searches and support tickets) and a link to the campaign."""
    pairs = (
        ("Campaign", summary.campaign_id),
        ("Ad set", summary.adset_id),
        ("Ad", summary.ad_id),
        ("Creative", summary.creative_id),
        ("Video", summary.video_id),
    )
    ids = " · ".join(f"{label} `{esc(value)}`" for label, value in pairs if value)
    link = f"<{esc(summary.ads_manager_url)}|Open in Ads Manager>"
    return context(f"AdBee #{summary.id}", ids, link, block_id=CampaignMessageBlock.IDS)


def warnings_context(summary: CampaignSummary) -> list[Block]:
    if not summary.warnings:
        return []
    lines = [f":warning: {esc(w)}" for w in summary.warnings]
    return [context(truncate("\n".join(lines), 2000), block_id=CampaignMessageBlock.WARNINGS)]


def value(summary: CampaignSummary) -> str:
    return ActionMetadata(campaign_id=summary.id).to_value()


EDITABLE = frozenset(
    {"created", "scheduled", "armed", "cancelled", "activation_failed", "active", "paused"}
)


def edit_button(summary: CampaignSummary) -> dict[str, Any]:
    """Edit: the modal pre-filled from what Meta holds (``/campaign edit``)."""
    return button("Edit", action_id=CampaignAction.EDIT, value=value(summary))


def duplicate_button(summary: CampaignSummary) -> dict[str, Any]:
    """Duplicate: the create modal pre-filled from this campaign (``/campaign duplicate``)."""
    return button("Duplicate", action_id=CampaignAction.DUPLICATE, value=value(summary))


def resubmit_buttons(summary: CampaignSummary) -> Block:
    """Edit and re-submit, on a disapproval alert: the edit modal with Meta's reason on top."""
    return actions(
        [
            button(
                "Edit and re-submit",
                action_id=CampaignAction.RESUBMIT,
                value=value(summary),
                style="primary",
            )
        ],
        block_id=CampaignMessageBlock.RESUBMIT,
    )


# In Meta (a rejected campaign was deleted there): a duplicate can start from it.
DUPLICABLE = EDITABLE


def card_buttons(summary: CampaignSummary) -> list[Block]:
    """A campaign card's buttons: what ``management_buttons`` offers, then Edit and Duplicate
    where they apply."""
    blocks = management_buttons(summary)
    extra = [edit_button(summary)] if summary.status in EDITABLE else []
    if summary.status in DUPLICABLE:
        extra.append(duplicate_button(summary))
    if not extra:
        return blocks
    if not blocks:
        return [actions(extra, block_id=CampaignMessageBlock.ACTIONS)]
    return [{**blocks[0], "elements": [*blocks[0]["elements"], *extra][:25]}]


def management_buttons(summary: CampaignSummary) -> list[Block]:
    """What an approver (or, to resume a creation, its requester) can do next, by status."""
    dialog = dialog_name(summary.name, _NAME_IN_DIALOG)
    activate = button(
        "Activate now",
        action_id=CampaignAction.ACTIVATE,
        value=value(summary),
        style="primary",
        confirm=confirm_dialog(
            "Go live now?",
            f"{dialog} starts spending {summary.budget_text}/day now.",
            "Go live",
        ),
    )
    cancel = button(
        "Cancel schedule",
        action_id=CampaignAction.CANCEL,
        value=value(summary),
        confirm=confirm_dialog(
            "Cancel the schedule?",
            f"{dialog} stays paused in Meta; you can activate or reschedule it later.",
            "Cancel schedule",
        ),
    )
    pause = button(
        "Pause",
        action_id=CampaignAction.PAUSE,
        value=value(summary),
        style="danger",
        confirm=confirm_dialog("Pause delivery?", f"{dialog} stops spending.", "Pause"),
    )
    resume = button(
        "Resume", action_id=CampaignAction.RESUME, value=value(summary), style="primary"
    )
    sync = button("Refresh from Meta", action_id=CampaignAction.SYNC, value=value(summary))
    resume_creation = button(
        "Resume creation",
        action_id=CampaignAction.RESUME_CREATION,
        value=value(summary),
        style="primary",
    )
    by_status: dict[str, list[dict[str, Any]]] = {
        "scheduled": [activate, cancel],
        "armed": [activate, cancel],
        "cancelled": [activate],
        "activation_failed": [
            {**activate, "text": {**activate["text"], "text": "Retry activation"}}
        ],
        "failed": [resume_creation],
        "active": [pause, sync],
        "paused": [resume, sync],
    }
    elements = by_status.get(summary.status, [])
    return [actions(elements, block_id=CampaignMessageBlock.ACTIONS)] if elements else []


# The reason ``CampaignLifecycle.reject`` records on a rejected campaign.
_REJECTED_BY = re.compile(r"^rejected by ([UW][A-Z0-9]{2,20})$")


def rejected_by(summary: CampaignSummary) -> str:
    """ " by @someone" for a rejected campaign whose reason names its rejecter, else ""."""
    match = _REJECTED_BY.match(summary.error or "")
    return f" by {mention(match.group(1))}" if match else ""
