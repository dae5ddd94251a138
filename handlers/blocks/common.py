"""Small pieces every surface shares: escaping, truncation to Slack's limits, text objects.

User-typed text (campaign names, Meta's messages, command arguments) goes through ``esc`` before
it reaches mrkdwn, so ``<!channel>`` cannot ping a channel and ``<https://x|y>`` cannot disguise a
link. Every text is cut to its Block Kit limit here, so no builder can produce an invalid payload
from long input.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from handlers.command_text import strip_invisible
from handlers.ids import CampaignMessageBlock
from meta.domain.times import format_local, humanize_delta
from meta.services.summary import CampaignSummary

Block = dict[str, Any]

SECTION_TEXT = 3000
FIELD_TEXT = 2000
CONTEXT_TEXT = 2000
HEADER_TEXT = 150
BUTTON_TEXT = 75
FALLBACK_TEXT = 3000  # message ``text``: Slack allows 40,000 but chat.update refuses >4,000
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")

STATUS_LABELS: dict[str, tuple[str, str]] = {
    "creating": (":hourglass_flowing_sand:", "being created"),
    "failed": (":warning:", "creation stopped"),
    "rolled_back": (":wastebasket:", "creation failed, cleaned up"),
    "created": (":eyes:", "awaiting approval"),
    "scheduled": (":calendar:", "scheduled"),
    "activating": (":hourglass_flowing_sand:", "activating"),
    "armed": (":calendar:", "armed: Meta starts it at its start time"),
    "active": (":large_green_circle:", "live"),
    "activation_failed": (":red_circle:", "activation failed"),
    "paused": (":double_vertical_bar:", "paused"),
    "rejected": (":no_entry_sign:", "rejected"),
    "cancelled": (":black_square_for_stop:", "schedule cancelled"),
}


def esc(text: object) -> str:
    """Escape user text for mrkdwn (Slack's three entities); invisible characters are dropped."""
    return (
        strip_invisible(str(text)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    )


def truncate(text: str, limit: int) -> str:
    """Cut to ``limit`` characters with an ellipsis, never splitting an ``&amp;`` entity or a
    ``<@U…>``/``<url|label>`` markup the builders wrote."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    for opener, closer in (("&", ";"), ("<", ">")):
        start = cut.rfind(opener)
        if start != -1 and closer not in cut[start:]:
            cut = cut[:start]
    return cut + "…"


def plain(text: str, limit: int = HEADER_TEXT) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, limit) or " ", "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": truncate(text, limit) or " "}


def header(text: str, *, block_id: str | None = None) -> Block:
    return _with_id({"type": "header", "text": plain(text, HEADER_TEXT)}, block_id)


def section(text: str, *, block_id: str | None = None, fields: list[str] | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if fields:
        block["fields"] = [mrkdwn(f, FIELD_TEXT) for f in fields[:10]]
    return _with_id(block, block_id)


def context(*texts: str, block_id: str | None = None) -> Block:
    elements = [mrkdwn(t, CONTEXT_TEXT) for t in texts if t][:10]
    return _with_id({"type": "context", "elements": elements or [mrkdwn(" ")]}, block_id)


def divider() -> Block:
    return {"type": "divider"}


def button(
    text: str,
    *,
    action_id: str,
    value: str | None = None,
    style: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "action_id": str(action_id),
        "text": plain(text, BUTTON_TEXT),
    }
    if value is not None:
        element["value"] = value
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element


def confirm_dialog(title: str, text: str, yes: str, *, style: str | None = None) -> dict[str, Any]:
    """A confirm dialog. Every part is ``plain_text``, ``text`` included: Slack shows mrkdwn in a
    dialog as literal asterisks (docs.slack.dev confirmation dialog object), so callers pass plain
    words (``dialog_name`` for a campaign name), never escaped mrkdwn."""
    dialog = {
        "title": plain(title, 100),
        "text": plain(text, 300),
        "confirm": plain(yes, 30),
        "deny": plain("Go back", 30),
    }
    return {**dialog, "style": style} if style else dialog


def dialog_name(name: str, limit: int = 120) -> str:
    """A user-typed name inside a plain_text dialog: quoted, cut, invisible characters dropped.

    Nothing is escaped: plain_text renders ``<``/``&`` as typed and cannot mention anyone."""
    return f"“{truncate(strip_invisible(str(name)), limit)}”"


def actions(elements: list[dict[str, Any]], *, block_id: str) -> Block:
    return {"type": "actions", "block_id": str(block_id), "elements": elements[:25]}


def message(text: str, blocks: list[Block]) -> dict[str, Any]:
    """A ``chat.postMessage``/``chat.update`` body: notification ``text`` plus ``blocks``."""
    return {"text": truncate(text, FALLBACK_TEXT), "blocks": blocks[:50]}


def mention(user_id: str | None) -> str:
    """``<@U…>`` for a real Slack user id, otherwise the escaped text (e.g. ``cli``)."""
    if not user_id:
        return "someone"
    return f"<@{user_id}>" if _USER_ID.match(user_id) else esc(user_id)


def when(summary: CampaignSummary, value: datetime, now: datetime) -> str:
    """'Thu 3 Dec 2026, 20:00 SGT (in 2 days)' in the campaign's account timezone."""
    return f"{format_local(value, summary.timezone)} ({humanize_delta(value - now)})"


def status_label(status: str) -> str:
    emoji, label = STATUS_LABELS.get(status, (":grey_question:", status.replace("_", " ")))
    return f"{emoji} {esc(label)}"


def build_error_blocks(message_text: str, reference: str | None = None) -> list[Block]:
    """An error for the user; ``reference`` is the id also written to the log, to quote to support."""
    blocks = [section(f":warning: {esc(message_text)}", block_id=CampaignMessageBlock.ERROR)]
    if reference:
        blocks.append(context(f"Reference `{esc(reference)}`: quote it when asking for help."))
    return blocks


def _with_id(block: Block, block_id: str | None) -> Block:
    return {**block, "block_id": str(block_id)} if block_id else block
