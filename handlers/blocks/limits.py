"""Slack's Block Kit limits as a checker, so tests prove every builder stays inside them.

Slack answers an over-limit payload with ``invalid_blocks`` (or refuses the view) and the user sees
nothing, so each builder's output goes through ``check_blocks`` in the unit tests, including with
maximal user input. Limits follow docs.slack.dev's block/element references and slack_sdk's
validators (slack-platform.md §3.2, §3.6). Only the block and element types AdBee uses are known.
"""

from __future__ import annotations

import json
from typing import Any, Literal

_MAX_BLOCKS = {"modal": 100, "message": 50}
_MODAL_BYTES = 250_000  # views.* answer view_too_large above this
_MESSAGE_TEXT = 4000  # chat.update answers msg_too_long above this
_INPUTS = {"plain_text_input", "number_input", "url_text_input", "file_input", "datetimepicker"}


def check_blocks(surface: Literal["modal", "message"], payload: dict[str, Any]) -> list[str]:
    """Every limit ``payload`` breaks, as readable strings; an empty list means Slack will take it."""
    return _Checker(surface).run(payload)


class _Checker:
    def __init__(self, surface: Literal["modal", "message"]) -> None:
        self.surface = surface
        self.problems: list[str] = []
        self.block_ids: set[str] = set()
        self.action_ids: set[str] = set()

    def bad(self, path: str, why: str) -> None:
        self.problems.append(f"{path}: {why}")

    def run(self, payload: dict[str, Any]) -> list[str]:
        try:
            size = len(json.dumps(payload).encode())
        except (TypeError, ValueError) as exc:
            return [f"payload: not JSON-serialisable ({exc})"]
        if self.surface == "modal":
            self.view(payload, size)
        else:
            text = payload.get("text")
            if not isinstance(text, str) or not text.strip():
                self.bad("text", "a message needs fallback text for notifications")
            elif len(text) > _MESSAGE_TEXT:
                self.bad("text", f"{len(text)} > {_MESSAGE_TEXT} characters")
        blocks = payload.get("blocks")
        if not isinstance(blocks, list) or not blocks:
            self.bad("blocks", "must be a non-empty list")
            return self.problems
        if len(blocks) > _MAX_BLOCKS[self.surface]:
            self.bad("blocks", f"{len(blocks)} > {_MAX_BLOCKS[self.surface]} blocks")
        for i, block in enumerate(blocks):
            self.block(f"blocks[{i}]", block if isinstance(block, dict) else {"type": block})
        return self.problems

    def view(self, view: dict[str, Any], size: int) -> None:
        if view.get("type") != "modal":
            self.bad("type", "must be 'modal'")
        for key in ("title", "submit", "close"):
            if key == "title" or key in view:
                self.text(view.get(key), key, 24, plain=True)
        blocks = view.get("blocks") or []
        if "submit" not in view and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        ):
            self.bad("submit", "a modal with input blocks needs a submit button")
        for key, limit in (("callback_id", 255), ("private_metadata", 3000), ("external_id", 255)):
            if len(str(view.get(key, ""))) > limit:
                self.bad(key, f"longer than {limit} characters")
        if size > _MODAL_BYTES:
            self.bad("view", f"{size} bytes > {_MODAL_BYTES}")

    def block(self, path: str, block: dict[str, Any]) -> None:
        kind = block.get("type")
        self.unique(block.get("block_id"), f"{path}.block_id", self.block_ids)
        if kind == "section":
            if "text" not in block and "fields" not in block:
                self.bad(path, "a section needs text or fields")
            if "text" in block:
                self.text(block["text"], f"{path}.text", 3000)
            if "fields" in block:
                self.count(f"{path}.fields", block["fields"], 10)
            for j, field in enumerate(block.get("fields", [])):
                self.text(field, f"{path}.fields[{j}]", 2000)
        elif kind == "header":
            self.text(block.get("text"), f"{path}.text", 150, plain=True)
        elif kind in ("context", "actions"):
            elements = block.get("elements") or []
            self.count(f"{path}.elements", elements, 10 if kind == "context" else 25)
            for j, element in enumerate(elements):
                if kind == "context":
                    self.text(element, f"{path}.elements[{j}]", 3000)
                else:
                    self.element(f"{path}.elements[{j}]", element)
        elif kind == "input":
            if self.surface != "modal":
                self.bad(path, "input blocks belong in modals")
            self.text(block.get("label"), f"{path}.label", 2000, plain=True)
            if "hint" in block:
                self.text(block["hint"], f"{path}.hint", 2000, plain=True)
            self.element(f"{path}.element", block.get("element") or {})
        elif kind != "divider":
            self.bad(path, f"block type {kind!r} is not one AdBee uses")

    def element(self, path: str, element: dict[str, Any]) -> None:
        kind = element.get("type")
        self.unique(element.get("action_id"), f"{path}.action_id", self.action_ids)
        if "placeholder" in element:
            self.text(element["placeholder"], f"{path}.placeholder", 150, plain=True)
        if kind == "button":
            self.text(element.get("text"), f"{path}.text", 75, plain=True)
            for key, limit in (("value", 2000), ("url", 3000)):
                if len(str(element.get(key, ""))) > limit:
                    self.bad(f"{path}.{key}", f"longer than {limit} characters")
            if "confirm" in element:
                confirm = element["confirm"]
                for key, limit in (("title", 100), ("confirm", 30), ("deny", 30)):
                    self.text(confirm.get(key), f"{path}.confirm.{key}", limit, plain=True)
                self.text(confirm.get("text"), f"{path}.confirm.text", 300)
        elif kind in ("static_select", "multi_static_select"):
            self.options(path, element)
        elif kind == "plain_text_input":
            max_length = element.get("max_length", 3000)
            if not 1 <= max_length <= 3000:
                self.bad(f"{path}.max_length", "must be 1-3000")
            if len(element.get("initial_value", "")) > max_length:
                self.bad(f"{path}.initial_value", f"longer than max_length {max_length}")
        elif kind == "number_input" and not isinstance(element.get("is_decimal_allowed"), bool):
            self.bad(path, "number_input needs is_decimal_allowed")
        elif kind == "file_input" and not 1 <= element.get("max_files", 10) <= 10:
            self.bad(f"{path}.max_files", "must be 1-10")
        elif kind == "datetimepicker" and not isinstance(element.get("initial_date_time", 0), int):
            self.bad(f"{path}.initial_date_time", "must be UNIX seconds (int)")
        elif kind not in _INPUTS | {"button", "static_select", "multi_static_select"}:
            self.bad(path, f"element type {kind!r} is not one AdBee uses")

    def options(self, path: str, element: dict[str, Any]) -> None:
        options = element.get("options") or []
        self.count(f"{path}.options", options, 100)
        values = [str(option.get("value", "")) for option in options]
        for j, option in enumerate(options):
            self.text(option.get("text"), f"{path}.options[{j}].text", 75, plain=True)
            if not 1 <= len(values[j]) <= 150:
                self.bad(f"{path}.options[{j}].value", "must be 1-150 characters")
        if len(set(values)) != len(values):
            self.bad(f"{path}.options", "duplicate option values")
        initial = element.get("initial_options") or [element.get("initial_option")]
        for option in filter(None, initial):
            if option not in options:
                self.bad(f"{path}.initial", f"{option.get('value')!r} is not among the options")

    def text(self, obj: Any, path: str, limit: int, *, plain: bool = False) -> None:
        allowed = ("plain_text",) if plain else ("plain_text", "mrkdwn")
        if not isinstance(obj, dict) or obj.get("type") not in allowed:
            self.bad(path, f"must be a {' or '.join(allowed)} text object")
            return
        text = obj.get("text")
        if not isinstance(text, str) or not text:
            self.bad(path, "text must be a non-empty string")
        elif len(text) > limit:
            self.bad(path, f"{len(text)} > {limit} characters")

    def count(self, path: str, items: list[Any], limit: int) -> None:
        if not 1 <= len(items) <= limit:
            self.bad(path, f"{len(items)} items, need 1-{limit}")

    def unique(self, value: Any, path: str, seen: set[str]) -> None:
        if value is None:
            return
        if not isinstance(value, str) or not 1 <= len(value) <= 255:
            self.bad(path, "must be a string of 1-255 characters")
        elif value in seen:
            self.bad(path, f"{value!r} is used twice")
        else:
            seen.add(value)
