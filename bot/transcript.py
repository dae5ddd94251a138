"""Block Kit rendered as plain text, so the demo can show what each channel and modal showed."""

from __future__ import annotations

import re
from typing import Any

_MRKDWN_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_MENTION = re.compile(r"<@([A-Z0-9_]+)>")


_EMOJI = {
    ":white_check_mark:": "[x]",
    ":white_circle:": "[ ]",
    ":hourglass_flowing_sand:": "[~]",
    ":x:": "[!]",
    ":warning:": "(!)",
    ":rocket:": ">>",
    ":calendar:": "@",
    ":arrows_counterclockwise:": "<>",
    ":no_entry:": "(x)",
    ":repeat:": "[r]",
}
_ANY_EMOJI = re.compile(r":[a-z0-9_+-]+:")


def plain(text: str, names: dict[str, str] | None = None) -> str:
    for code, mark in _EMOJI.items():
        text = text.replace(code, mark)
    text = _ANY_EMOJI.sub("*", text)
    text = _MRKDWN_LINK.sub(r"\2 (\1)", text)
    text = _MENTION.sub(lambda m: "@" + (names or {}).get(m.group(1), m.group(1)), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def render_blocks(blocks: list[dict[str, Any]], names: dict[str, str] | None = None) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"## {block['text']['text']}")
        elif kind == "section":
            if block.get("text"):
                lines += plain(block["text"]["text"], names).splitlines()
            for field in block.get("fields") or []:
                lines.append("  " + plain(field.get("text", ""), names).replace("\n", " "))
        elif kind == "context":
            texts = [
                plain(e.get("text", ""), names) for e in block.get("elements", []) if "text" in e
            ]
            lines.append("  (" + " · ".join(texts) + ")")
        elif kind == "actions":
            buttons = [f"[{e['text']['text']}]" for e in block.get("elements", []) if e.get("text")]
            lines.append("  " + " ".join(buttons))
        elif kind == "input":
            optional = " (optional)" if block.get("optional") else ""
            element = block.get("element", {}).get("type", "?").replace("_", " ")
            lines.append(f"  {block['label']['text']}{optional}: <{element}>")
    return lines


def render_message(message: dict[str, Any], names: dict[str, str] | None = None) -> list[str]:
    if message.get("blocks"):
        return render_blocks(message["blocks"], names)
    return plain(message.get("text", ""), names).splitlines()


def render_view(view: dict[str, Any]) -> list[str]:
    title = view.get("title", {}).get("text", "")
    submit = view.get("submit", {}).get("text")
    lines = [f"[modal] {title}", *render_blocks(view.get("blocks", []))]
    if submit:
        lines.append(f"  [{view.get('close', {}).get('text', 'Cancel')}] [{submit}]")
    return lines
