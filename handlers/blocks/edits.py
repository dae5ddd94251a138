"""The edit modal (pre-filled from what Meta holds now), the diff it shows on submit, an edit's
card in the campaign's thread (Approve/Reject, or Finish/Undo when half-applied) and the history.

Pure functions of their arguments; ``bot.slack.edit_flow`` posts what they build.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from handlers.blocks.common import (
    Block,
    actions,
    button,
    confirm_dialog,
    context,
    esc,
    header,
    mention,
    message,
    mrkdwn,
    plain,
    section,
    truncate,
)
from handlers.ids import CampaignEdit, CampaignEditBlock, EditAction
from handlers.metadata import EditMetadata
from meta.domain.edits import MetaState
from meta.domain.money import offset
from meta.domain.records import EditStatus
from meta.domain.spec import CTA_TYPES, TEXT_LIMITS
from meta.image.check import IMAGE_EXTENSIONS
from meta.video.kinds import VIDEO_EXTENSIONS

_B = CampaignEditBlock
_MAX_INPUT = 3000  # Slack's plain_text_input max_length


class MediaMode(StrEnum):
    """What the edit modal's new video or image does (the radio beside the file input)."""

    ADD = "add"  # one more ad in the ad set (``add_video``/``add_image``)
    REPLACE = "replace"  # the first ad's video or image (``video``/``image``)


def input_action(block: CampaignEditBlock) -> str:
    """The action id of the input in ``block``."""
    return f"{block.value}-input"


def _text_input(
    block: CampaignEditBlock,
    label: str,
    initial: str | None,
    *,
    hint: str | None = None,
    multiline: bool = False,
    max_length: int = _MAX_INPUT,
) -> Block:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": input_action(block),
        "multiline": multiline,
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = truncate(initial, max_length)
    out: Block = {
        "type": "input",
        "block_id": block.value,
        "optional": True,
        "label": plain(label, 2000),
        "element": element,
    }
    if hint:
        out["hint"] = plain(hint, 2000)
    return out


def _major(minor: int | None, currency: str) -> str | None:
    if minor is None:
        return None
    factor = offset(currency)
    return str(minor) if factor == 1 else f"{Decimal(minor) / factor:.2f}"


def _media_inputs(state: MetaState, problem: str | None) -> list[Block]:
    """A file input for one new video or image, and whether it replaces or adds an ad.

    Slack's ``filetypes`` only filter the picker; the type is checked again on submit and the
    bytes after download (``handlers.edit_form``). A placement pair's or flexible ad's videos
    are not replaced by an edit, so such a campaign is offered "add" only.
    """
    blocks: list[Block] = []
    if problem:
        blocks.append(context(f":warning: {esc(problem)}", block_id=_B.MEDIA_PROBLEM))
    blocks.append(
        {
            "type": "input",
            "block_id": _B.MEDIA.value,
            "optional": True,
            "label": plain("New video or image", 2000),
            "hint": plain(
                "One file (MP4, MOV…, or a JPG/PNG image, 10 MB at most in a form): a new "
                "creative, always approved first. Empty: keep the ads' videos and images.",
                2000,
            ),
            "element": {
                "type": "file_input",
                "action_id": input_action(_B.MEDIA),
                "filetypes": sorted(VIDEO_EXTENSIONS | IMAGE_EXTENSIONS),
                "max_files": 1,
            },
        }
    )
    add = _media_option(MediaMode.ADD, "Add it as a new ad in the ad set")
    options = [add]
    if state.creative_format not in ("asset_feed", "flexible"):
        ads = "the first ad's" if state.ads > 1 else "the ad's"
        options.append(_media_option(MediaMode.REPLACE, f"Replace {ads} video or image"))
    blocks.append(
        {
            "type": "input",
            "block_id": _B.MEDIA_MODE.value,
            "optional": True,
            "label": plain("The new video or image", 2000),
            "element": {
                "type": "radio_buttons",
                "action_id": input_action(_B.MEDIA_MODE),
                "options": options,
                "initial_option": add,
            },
        }
    )
    return blocks


def _media_option(mode: MediaMode, text: str) -> dict[str, Any]:
    return {"text": plain(text, 75), "value": mode.value}


def build_edit_modal(
    *,
    campaign_id: int,
    name: str,
    state: MetaState,
    currency: str,
    tz: str,
    media_problem: str | None = None,
) -> dict[str, Any]:
    """The modal, each input holding what Meta shows now; leaving one as it is changes nothing.

    ``media_problem``: why the file attached last time was refused once downloaded (shown above
    the file input: Slack shows field errors only in the submission's answer)."""
    end: Block = {
        "type": "input",
        "block_id": _B.END_TIME.value,
        "optional": True,
        "label": plain("End time", 2000),
        "hint": plain(f"In {tz}. Empty: leave the end as it is.", 2000),
        "element": {"type": "datetimepicker", "action_id": input_action(_B.END_TIME)},
    }
    if state.end_time is not None:
        end["element"]["initial_date_time"] = int(state.end_time.timestamp())
    cta: dict[str, Any] = {
        "type": "static_select",
        "action_id": input_action(_B.CALL_TO_ACTION),
        "options": [_option(value) for value in CTA_TYPES],
    }
    if state.call_to_action in CTA_TYPES:
        cta["initial_option"] = _option(str(state.call_to_action))
    live = (
        "live: changes other than a lower budget or an earlier end need an approver"
        if (state.live)
        else "not live yet"
    )
    blocks: list[Block] = [
        context(
            f"*{esc(name)}* (AdBee #{campaign_id}), as Meta shows it now; {live}. "
            "Text, link or call-to-action changes make a new creative for "
            + ("every ad." if state.ads > 1 else "the ad."),
            block_id=_B.INTRO,
        ),
        _text_input(
            _B.DAILY_BUDGET,
            f"Daily budget ({currency})",
            _major(state.daily_budget, currency),
            hint="On the campaign (Advantage+ campaign budget)."
            if state.budget_object == "campaign"
            else "On the ad set.",
            max_length=20,
        ),
        end,
        _text_input(
            _B.COUNTRIES,
            "Countries",
            ", ".join(state.countries),
            hint="Two-letter codes, e.g. SG, MY",
            max_length=500,
        ),
        _text_input(
            _B.PRIMARY_TEXT,
            "Primary text",
            state.primary_text,
            multiline=True,
            max_length=TEXT_LIMITS["primary_text"],
        ),
        _text_input(_B.HEADLINE, "Headline", state.headline, max_length=TEXT_LIMITS["headline"]),
        _text_input(
            _B.DESCRIPTION,
            "Description",
            state.description,
            hint="Empty: no description.",
            max_length=TEXT_LIMITS["description"],
        ),
        {
            "type": "input",
            "block_id": _B.LINK.value,
            "optional": True,
            "label": plain("Link", 2000),
            "element": {
                "type": "url_text_input",
                "action_id": input_action(_B.LINK),
                **({"initial_value": state.link} if state.link else {}),
            },
        },
        {
            "type": "input",
            "block_id": _B.CALL_TO_ACTION.value,
            "optional": True,
            "label": plain("Call to action", 2000),
            "element": cta,
        },
        _text_input(_B.URL_TAGS, "URL tags", state.url_tags, max_length=1000),
        *_media_inputs(state, media_problem),
    ]
    return {
        "type": "modal",
        "callback_id": CampaignEdit.CALLBACK.value,
        "private_metadata": json.dumps({"campaign_id": campaign_id}),
        "title": plain("Edit campaign", 24),
        "submit": plain("Review and send", 24),
        "close": plain("Cancel", 24),
        "blocks": blocks,
    }


def _option(value: str) -> dict[str, Any]:
    return {"text": plain(value.replace("_", " ").title(), 75), "value": value}


def build_edit_sent_modal(
    *, name: str, now: Sequence[str], later: Sequence[str], approvers: str | None
) -> dict[str, Any]:
    """What the modal turns into on submit: the diff, and what happens to each part."""
    blocks: list[Block] = [section(f"*{esc(name)}*")]
    if now:
        blocks.append(section("*Applied now* (checked by Meta first):\n" + _bullets(now)))
    if later:
        who = f" ({esc(approvers)})" if approvers else ""
        blocks.append(section(f"*Sent for approval*{who}:\n" + _bullets(later)))
    blocks.append(context("The outcome is posted in the campaign's thread."))
    return {
        "type": "modal",
        "title": plain("Edit sent", 24),
        "close": plain("Done", 24),
        "blocks": blocks,
    }


def _bullets(lines: Sequence[str]) -> str:
    return truncate("\n".join(f"• {esc(line)}" for line in lines), 2900)


@dataclass(frozen=True)
class EditCard:
    """What an edit's card shows (built by the flow from the edit and its campaign)."""

    edit_id: int
    campaign_id: int
    campaign_name: str
    status: EditStatus
    lines: tuple[str, ...]
    requested_by: str
    approved_by: str | None = None
    approvers: str | None = None  # the big-spend approvers, when they are needed
    error: str | None = None
    done: tuple[str, ...] = ()
    creative_id: str | None = None
    # Every new creative by the ad it is for ("main", "2"..., "new": an added ad), and that ad.
    creative_ids: tuple[tuple[str, str], ...] = ()
    new_ad_id: str | None = None


_STATUS_WORDS = {
    EditStatus.AWAITING_APPROVAL: ":hourglass_flowing_sand: Waiting for an approver",
    EditStatus.APPLYING: ":gear: Being applied",
    EditStatus.APPLIED: ":white_check_mark: Applied in Meta",
    EditStatus.REFUSED: ":no_entry: Meta refused it; nothing was changed",
    EditStatus.INCOMPLETE: ":warning: Only partly applied",
    EditStatus.REJECTED: ":x: Rejected",
    EditStatus.UNDONE: ":leftwards_arrow_with_hook: Undone",
}


def build_edit_card(card: EditCard) -> dict[str, Any]:
    """An edit in the campaign's thread: the diff, its state, and what can be done next."""
    value = EditMetadata(edit_id=card.edit_id).to_value()
    who = f"{mention(card.requested_by)} asked" if card.requested_by != "cli" else "The CLI asked"
    state = _STATUS_WORDS[card.status]
    if card.approved_by:
        verb = "rejected" if card.status is EditStatus.REJECTED else "approved"
        state += f" · {verb} by {mention(card.approved_by)}"
    blocks: list[Block] = [
        header(f"Edit {card.edit_id}: {card.campaign_name}"),
        section(
            f"{who} to change *{esc(card.campaign_name)}* (AdBee #{card.campaign_id}):\n"
            + _bullets(card.lines)
        ),
        context(state),
    ]
    if card.status is EditStatus.APPLIED:
        swapped = [c for key, c in card.creative_ids if key != "new"]
        if len(swapped) > 1:
            ids = ", ".join(f"`{esc(c)}`" for c in swapped)
            blocks.append(
                context(
                    f"New creatives {ids}: each of the {len(swapped)} ads shows its own now (back "
                    "in Meta's review); the old creatives are kept."
                )
            )
        elif swapped or (card.creative_id and not card.creative_ids):
            blocks.append(
                context(
                    f"New creative `{esc(swapped[0] if swapped else str(card.creative_id))}` is "
                    "now the ad's (back in Meta's review); the old creative is kept."
                )
            )
        if card.new_ad_id:
            blocks.append(
                context(
                    f"New ad `{esc(card.new_ad_id)}` in the ad set shows the new video or image "
                    "(in Meta's review)."
                )
            )
    if card.error:
        blocks.append(section(f":warning: {esc(truncate(card.error, 2800))}"))
    if card.status is EditStatus.INCOMPLETE and card.done:
        blocks.append(context(f"Done in Meta so far: {esc(', '.join(card.done))}"))
    buttons: list[dict[str, Any]] = []
    if card.status is EditStatus.AWAITING_APPROVAL:
        note = f" Needs one of {card.approvers}." if card.approvers else ""
        buttons = [
            button(
                "Approve",
                action_id=EditAction.APPROVE,
                value=value,
                style="primary",
                confirm=confirm_dialog(
                    "Apply this edit?",
                    truncate(f"AdBee changes it in Meta now.{note}", 300),
                    "Apply",
                ),
            ),
            button("Reject", action_id=EditAction.REJECT, value=value, style="danger"),
        ]
    elif card.status is EditStatus.INCOMPLETE:
        buttons = [
            button("Finish", action_id=EditAction.FINISH, value=value, style="primary"),
            button(
                "Undo",
                action_id=EditAction.UNDO,
                value=value,
                confirm=confirm_dialog(
                    "Undo this edit?",
                    "AdBee sets what was applied back to the values before the edit.",
                    "Undo",
                ),
            ),
        ]
    if buttons:
        blocks.append(actions(buttons, block_id=_B.ACTIONS))
    text = f"Edit {card.edit_id} of {esc(card.campaign_name)}: {_STATUS_WORDS[card.status]}"
    return message(text, blocks)


def build_history(name: str, campaign_id: int, lines: Sequence[str]) -> dict[str, Any]:
    """``/campaign history``: every change and decision, oldest first (ephemeral)."""
    if not lines:
        body = "Nothing recorded yet."
    else:
        body = "\n".join(f"• {esc(line)}" for line in lines[-40:])
    blocks = [
        header(f"History: {name}"),
        {"type": "section", "text": mrkdwn(truncate(body, 2900))},
        context(f"AdBee #{campaign_id} · who, when, before → after, who approved"),
    ]
    return {"response_type": "ephemeral", **message(f"History of {esc(name)}", blocks)}
