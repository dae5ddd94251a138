"""The approval card posted to the approvers' channel, and what it becomes after each decision.

``build_decided_message`` renders whatever state the campaign is in now, so every listener that
changes a campaign (approve, reject, cancel, pause, resume, activate, sync) ends the same way:
``chat.update`` the card with ``build_decided_message(summary, now)``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handlers.blocks import campaign_parts as parts
from handlers.blocks import review
from handlers.blocks.ad_lines import ad_blocks
from handlers.blocks.advantage import advantage_block
from handlers.blocks.common import (
    actions,
    button,
    confirm_dialog,
    dialog_name,
    esc,
    header,
    mention,
    message,
    section,
    when,
)
from handlers.ids import CampaignAction, CampaignMessageBlock
from meta.services.summary import CampaignSummary

_M = CampaignMessageBlock


def build_approval_message(*, summary: CampaignSummary, now: datetime) -> dict[str, Any]:
    """Asks approvers to approve or reject a campaign that exists in Meta, paused."""
    several = len(summary.ads) > 1
    left = sum(1 for ad in summary.ads if not ad.rejected_by)
    approve = button(
        "Approve all" if several else "Approve",
        action_id=CampaignAction.APPROVE,
        value=parts.value(summary),
        style="primary",
        confirm=confirm_dialog(
            "Approve this campaign?",
            f"{dialog_name(summary.name)} goes live {when(summary, summary.start_time, now)} "
            f"with {summary.budget_text}/day"
            + (f", all {left} ads not rejected." if several else "."),
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
            "AdBee deletes the paused campaign, ad set, ad and creative of "
            f"{dialog_name(summary.name)} from Meta. "
            "This cannot be undone.",
            "Reject",
            style="danger",
        ),
    )
    blocks = [
        header(f"Approval needed: {summary.name}", block_id=_M.HEADER),
        *review.drift_block(summary),
        *review.changed_block(summary),
        section(
            f"{mention(summary.requested_by)} wants to launch {parts.title(summary)}. "
            "It is created in Meta and paused; approving schedules it to go live at its start.",
            block_id=_M.SUMMARY,
            fields=parts.facts(summary, now),
        ),
        # One ad: its thumbnail and previews; several: each ad's own, with its Reject button.
        *([] if several else [*review.thumbnail_block(summary), review.previews_block(summary)]),
        *review.choices_block(summary),
        advantage_block(summary),
        *review.big_spend_block(summary),
        *ad_blocks(summary, decidable=True),
        *parts.warnings_context(summary),
        parts.ids_context(summary),
        actions(
            [approve, reject, parts.edit_button(summary), parts.duplicate_button(summary)],
            block_id=_M.ACTIONS,
        ),
    ]
    text = (
        f"Approval needed: {esc(summary.name)} ({esc(summary.budget_text)}/day, "
        f"starts {esc(summary.start_text)})"
    )
    return message(text, blocks)


def build_decided_message(summary: CampaignSummary, now: datetime) -> dict[str, Any]:
    """The card for the campaign's current state, with the buttons that make sense in it."""
    if summary.status == "created":
        return build_approval_message(summary=summary, now=now)
    line, fallback = _status_line(summary, now)
    blocks = [
        header(summary.name, block_id=_M.HEADER),
        section(line, block_id=_M.STATUS),
        *review.drift_block(summary),
        section(parts.title(summary), block_id=_M.SUMMARY, fields=parts.facts(summary, now)),
        *ad_blocks(summary, decidable=False),
        *parts.warnings_context(summary),
        parts.ids_context(summary),
        *parts.card_buttons(summary),
    ]
    return message(f"{esc(summary.name)}: {fallback}", blocks)


def _status_line(summary: CampaignSummary, now: datetime) -> tuple[str, str]:
    """(mrkdwn line for the card, plain words for the notification)."""
    error = esc(summary.error or "no details were recorded")
    status = summary.status
    if status == "scheduled":
        at = when(summary, summary.activate_at or summary.start_time, now)
        by = f" by {mention(summary.approved_by)}" if summary.approved_by else ""
        return f":calendar: *Approved*{by}. Activates {at}.", f"approved, activates {at}"
    if status == "armed":
        at = when(summary, summary.activate_at or summary.start_time, now)
        return (
            f":calendar: *Armed*: ACTIVE in Meta, which starts delivery {at}.",
            f"armed, starts {at}",
        )
    if status == "active":
        since = when(summary, summary.activated_at, now) if summary.activated_at else "now"
        return f":large_green_circle: *Live* since {since}.", "live"
    if status == "activating":
        return ":hourglass_flowing_sand: *Activating* now…", "activating"
    if status == "paused":
        return (
            ":double_vertical_bar: *Paused*: nothing is spending. Resume to deliver again.",
            "paused",
        )
    if status == "cancelled":
        return (
            ":black_square_for_stop: *Schedule cancelled.* It stays paused in Meta; activate it "
            f"now or use `/campaign reschedule {summary.id} <time>`.",
            "schedule cancelled",
        )
    if status == "rejected":
        return (
            f":no_entry_sign: *Rejected*{parts.rejected_by(summary)}. The paused campaign, ad set, ad and creative were "
            "deleted from Meta.",
            "rejected",
        )
    if status == "activation_failed":
        return (
            f":red_circle: *Activation failed*: {error}\nIt is paused again; fix the problem, "
            "then retry or reschedule.",
            "activation failed",
        )
    if status == "failed":
        return (
            f":warning: *Creation stopped*: {error}\nNothing is lost: *Resume creation* carries "
            "on from the step that stopped.",
            "creation stopped",
        )
    if status == "rolled_back":
        deleted = (
            f"Everything else it had created was deleted; the uploaded video {esc(summary.video_id)} "
            "was kept"
            if summary.video_id
            else "Everything it had created was deleted"
        )
        return (
            f":wastebasket: *Creation failed*: {error}\n{deleted}; fix the problem and create it "
            "again.",
            "creation failed",
        )
    if status == "creating":
        return ":hourglass_flowing_sand: *Being created* in Meta…", "being created"
    return f":grey_question: Status: {esc(status)}", esc(status)
