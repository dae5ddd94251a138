"""Block Kit validation with Slack's limits and Slack's error wording.

Slack rejects a bad payload with ``invalid_blocks`` (messages) or ``invalid_arguments``
(views) and explains itself in ``response_metadata.messages`` as lines like
``[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]``. The bot
must never rely on Slack being lenient, so the emulator enforces the documented limits
(docs.slack.dev Block Kit reference and the ``*_max_length`` constants in
``slack_sdk.models``) and reports them in the same shape. Checks are deliberately limited to
what Slack documents; unknown optional fields are accepted, as Slack accepts them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any, Literal

Surface = Literal["message", "modal", "home"]

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_ID = 255
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_MARKDOWN_TEXT = 12000
MAX_ACTIONS_ELEMENTS = 25
MAX_CONTEXT_ELEMENTS = 10
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_URL = 3000
MAX_PLACEHOLDER = 150
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_OPTIONS = 100
MAX_CHOICE_OPTIONS = 10  # checkboxes, radio_buttons
MAX_OVERFLOW_OPTIONS = 5
MAX_LABEL = 2000
MAX_HINT = 2000
MAX_ALT_TEXT = 2000
MAX_CONFIRM_TITLE = 100
MAX_CONFIRM_TEXT = 300
MAX_CONFIRM_BUTTON = 30
MAX_VIEW_TITLE = 24
MAX_VIEW_BUTTON = 24
MAX_PRIVATE_METADATA = 3000
MAX_PLAIN_TEXT_INPUT = 3000
MAX_FILES_PER_INPUT = 10
MAX_VIEW_BYTES = 250_000

KNOWN_BLOCKS = {
    "section",
    "divider",
    "header",
    "context",
    "actions",
    "input",
    "image",
    "markdown",
    "rich_text",
    "file",
    "video",
    "table",
    "context_actions",
}
INPUT_ELEMENTS = {
    "plain_text_input",
    "number_input",
    "url_text_input",
    "email_text_input",
    "static_select",
    "external_select",
    "users_select",
    "conversations_select",
    "channels_select",
    "multi_static_select",
    "multi_external_select",
    "multi_users_select",
    "multi_conversations_select",
    "multi_channels_select",
    "datepicker",
    "timepicker",
    "datetimepicker",
    "checkboxes",
    "radio_buttons",
    "rich_text_input",
    "file_input",
}
INTERACTIVE_ELEMENTS = INPUT_ELEMENTS - {"file_input", "rich_text_input"} | {
    "button",
    "overflow",
    "workflow_button",
}
ACCESSORY_ELEMENTS = INTERACTIVE_ELEMENTS - {
    "plain_text_input",
    "number_input",
    "url_text_input",
    "email_text_input",
} | {"image"}
MODAL_ONLY_ELEMENTS = {"file_input"}


def _err(message: str, pointer: str) -> str:
    return f"[ERROR] {message} [json-pointer:{pointer}]"


class _Checker:
    """Collects Slack-style error lines while walking one surface."""

    def __init__(self, surface: Surface) -> None:
        self.surface = surface
        self.errors: list[str] = []
        self.block_ids: set[str] = set()

    def add(self, message: str, pointer: str) -> None:
        self.errors.append(_err(message, pointer))

    # -- composition objects -------------------------------------------------

    def text(
        self,
        obj: Any,
        ptr: str,
        *,
        max_len: int,
        plain_only: bool = False,
        required: bool = True,
        min_len: int = 1,
    ) -> None:
        if obj is None:
            if required:
                self.add("missing required field: text", ptr)
            return
        if not isinstance(obj, dict):
            self.add("must be an object", ptr)
            return
        kind = obj.get("type")
        allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
        if kind not in allowed:
            self.add(f"must be one of {', '.join(allowed)}", f"{ptr}/type")
        value = obj.get("text")
        if not isinstance(value, str):
            self.add("missing required field: text", f"{ptr}/text")
            return
        if len(value) < min_len:
            self.add(f"must be more than {min_len - 1} characters", f"{ptr}/text")
        if len(value) > max_len:
            self.add(f"must be less than {max_len + 1} characters", f"{ptr}/text")

    def string(self, value: Any, ptr: str, *, max_len: int, required: bool = False) -> None:
        if value is None:
            if required:
                self.add("missing required field", ptr)
            return
        if not isinstance(value, str):
            self.add("must be a string", ptr)
        elif len(value) > max_len:
            self.add(f"must be less than {max_len + 1} characters", ptr)

    def option(self, opt: Any, ptr: str, *, text_max: int = MAX_OPTION_TEXT) -> None:
        if not isinstance(opt, dict):
            self.add("must be an object", ptr)
            return
        self.text(opt.get("text"), f"{ptr}/text", max_len=text_max)
        self.string(opt.get("value"), f"{ptr}/value", max_len=MAX_OPTION_VALUE, required=True)
        if "description" in opt:
            self.text(opt.get("description"), f"{ptr}/description", max_len=MAX_OPTION_TEXT)

    def options(self, opts: Any, ptr: str, *, max_items: int, min_items: int = 1) -> None:
        if not isinstance(opts, list):
            self.add("must be an array", ptr)
            return
        if len(opts) < min_items:
            self.add(f"must provide an array of at least {min_items} items", ptr)
        if len(opts) > max_items:
            self.add(f"must provide an array of no more than {max_items} items", ptr)
        values: set[str] = set()
        for i, opt in enumerate(opts):
            self.option(opt, f"{ptr}/{i}")
            if isinstance(opt, dict) and isinstance(opt.get("value"), str):
                if opt["value"] in values:
                    self.add("option values must be unique", f"{ptr}/{i}/value")
                values.add(opt["value"])

    def confirm(self, obj: Any, ptr: str) -> None:
        if obj is None:
            return
        if not isinstance(obj, dict):
            self.add("must be an object", ptr)
            return
        self.text(obj.get("title"), f"{ptr}/title", max_len=MAX_CONFIRM_TITLE, plain_only=True)
        self.text(obj.get("text"), f"{ptr}/text", max_len=MAX_CONFIRM_TEXT)
        self.text(obj.get("confirm"), f"{ptr}/confirm", max_len=MAX_CONFIRM_BUTTON, plain_only=True)
        self.text(obj.get("deny"), f"{ptr}/deny", max_len=MAX_CONFIRM_BUTTON, plain_only=True)

    # -- elements ------------------------------------------------------------

    def element(self, el: Any, ptr: str, *, allowed: Iterable[str], action_ids: set[str]) -> None:
        if not isinstance(el, dict):
            self.add("must be an object", ptr)
            return
        kind = el.get("type")
        if kind not in allowed:
            self.add("failed to match all allowed schemas", ptr)
            return
        if kind in MODAL_ONLY_ELEMENTS and self.surface != "modal":
            self.add(f"{kind} is only supported in modals", ptr)
        action_id = el.get("action_id")
        if action_id is not None:
            self.string(action_id, f"{ptr}/action_id", max_len=MAX_ID)
            if isinstance(action_id, str):
                if action_id in action_ids:
                    self.add(f"action_id is not unique: {action_id}", f"{ptr}/action_id")
                action_ids.add(action_id)
        if "placeholder" in el:
            self.text(
                el["placeholder"], f"{ptr}/placeholder", max_len=MAX_PLACEHOLDER, plain_only=True
            )
        self.confirm(el.get("confirm"), f"{ptr}/confirm")
        if kind == "button":
            self.text(el.get("text"), f"{ptr}/text", max_len=MAX_BUTTON_TEXT, plain_only=True)
            self.string(el.get("value"), f"{ptr}/value", max_len=MAX_BUTTON_VALUE)
            self.string(el.get("url"), f"{ptr}/url", max_len=MAX_URL)
            style = el.get("style")
            if style is not None and style not in ("primary", "danger"):
                self.add("must be one of primary, danger", f"{ptr}/style")
        elif kind in ("static_select", "multi_static_select"):
            if "options" in el and "option_groups" in el:
                self.add("must provide either options or option_groups, not both", ptr)
            if "option_groups" in el:
                groups = el["option_groups"]
                if not isinstance(groups, list) or len(groups) > MAX_OPTIONS:
                    self.add(
                        f"must provide an array of no more than {MAX_OPTIONS} items",
                        f"{ptr}/option_groups",
                    )
                else:
                    for gi, group in enumerate(groups):
                        gptr = f"{ptr}/option_groups/{gi}"
                        self.text(
                            group.get("label") if isinstance(group, dict) else None,
                            f"{gptr}/label",
                            max_len=MAX_OPTION_TEXT,
                            plain_only=True,
                        )
                        self.options(
                            group.get("options") if isinstance(group, dict) else None,
                            f"{gptr}/options",
                            max_items=MAX_OPTIONS,
                        )
            else:
                self.options(el.get("options"), f"{ptr}/options", max_items=MAX_OPTIONS)
        elif kind in ("checkboxes", "radio_buttons"):
            self.options(el.get("options"), f"{ptr}/options", max_items=MAX_CHOICE_OPTIONS)
        elif kind == "overflow":
            self.options(el.get("options"), f"{ptr}/options", max_items=MAX_OVERFLOW_OPTIONS)
        elif kind == "plain_text_input":
            for key in ("min_length", "max_length"):
                v = el.get(key)
                if v is not None and (not isinstance(v, int) or not 0 <= v <= MAX_PLAIN_TEXT_INPUT):
                    self.add(f"must be between 0 and {MAX_PLAIN_TEXT_INPUT}", f"{ptr}/{key}")
            self.string(
                el.get("initial_value"), f"{ptr}/initial_value", max_len=MAX_PLAIN_TEXT_INPUT
            )
        elif kind == "number_input":
            if "is_decimal_allowed" not in el:
                self.add("missing required field: is_decimal_allowed", ptr)
        elif kind == "file_input":
            mf = el.get("max_files")
            if mf is not None and (not isinstance(mf, int) or not 1 <= mf <= MAX_FILES_PER_INPUT):
                self.add(f"must be between 1 and {MAX_FILES_PER_INPUT}", f"{ptr}/max_files")
            ft = el.get("filetypes")
            if ft is not None and not (
                isinstance(ft, list) and all(isinstance(x, str) for x in ft)
            ):
                self.add("must be an array of strings", f"{ptr}/filetypes")
        elif kind == "image":
            self.string(el.get("alt_text"), f"{ptr}/alt_text", max_len=MAX_ALT_TEXT, required=True)

    # -- blocks --------------------------------------------------------------

    def blocks(self, blocks: Any, ptr: str, *, max_items: int) -> None:
        if not isinstance(blocks, list):
            self.add("must be an array", ptr)
            return
        if len(blocks) > max_items:
            self.add(f"must provide an array of no more than {max_items} items", ptr)
        for i, block in enumerate(blocks):
            self.block(block, f"{ptr}/{i}")

    def block(self, block: Any, ptr: str) -> None:
        if not isinstance(block, dict):
            self.add("must be an object", ptr)
            return
        kind = block.get("type")
        if kind not in KNOWN_BLOCKS:
            self.add("failed to match all allowed schemas", ptr)
            return
        block_id = block.get("block_id")
        if block_id is not None:
            self.string(block_id, f"{ptr}/block_id", max_len=MAX_ID)
            if isinstance(block_id, str):
                if block_id in self.block_ids:
                    self.add(f"block_id is not unique: {block_id}", f"{ptr}/block_id")
                self.block_ids.add(block_id)
        # action_id uniqueness is per block in Slack (state is keyed block_id -> action_id)
        action_ids: set[str] = set()
        if kind == "section":
            if "text" not in block and "fields" not in block:
                self.add("must provide either text or fields", ptr)
            if "text" in block:
                self.text(block["text"], f"{ptr}/text", max_len=MAX_SECTION_TEXT)
            if "fields" in block:
                fields = block["fields"]
                if not isinstance(fields, list) or len(fields) > MAX_SECTION_FIELDS:
                    self.add(
                        f"must provide an array of no more than {MAX_SECTION_FIELDS} items",
                        f"{ptr}/fields",
                    )
                else:
                    for fi, field in enumerate(fields):
                        self.text(field, f"{ptr}/fields/{fi}", max_len=MAX_FIELD_TEXT)
            if "accessory" in block:
                self.element(
                    block["accessory"],
                    f"{ptr}/accessory",
                    allowed=ACCESSORY_ELEMENTS,
                    action_ids=action_ids,
                )
        elif kind == "header":
            self.text(block.get("text"), f"{ptr}/text", max_len=MAX_HEADER_TEXT, plain_only=True)
        elif kind == "markdown":
            self.string(block.get("text"), f"{ptr}/text", max_len=MAX_MARKDOWN_TEXT, required=True)
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.add("must provide an array of at least 1 items", f"{ptr}/elements")
            elif len(elements) > MAX_CONTEXT_ELEMENTS:
                self.add(
                    f"must provide an array of no more than {MAX_CONTEXT_ELEMENTS} items",
                    f"{ptr}/elements",
                )
            else:
                for ei, el in enumerate(elements):
                    eptr = f"{ptr}/elements/{ei}"
                    if isinstance(el, dict) and el.get("type") == "image":
                        self.string(
                            el.get("alt_text"),
                            f"{eptr}/alt_text",
                            max_len=MAX_ALT_TEXT,
                            required=True,
                        )
                    else:
                        self.text(el, eptr, max_len=MAX_SECTION_TEXT)
        elif kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.add("must provide an array of at least 1 items", f"{ptr}/elements")
            elif len(elements) > MAX_ACTIONS_ELEMENTS:
                self.add(
                    f"must provide an array of no more than {MAX_ACTIONS_ELEMENTS} items",
                    f"{ptr}/elements",
                )
            else:
                for ei, el in enumerate(elements):
                    self.element(
                        el,
                        f"{ptr}/elements/{ei}",
                        allowed=INTERACTIVE_ELEMENTS,
                        action_ids=action_ids,
                    )
        elif kind == "input":
            self.text(block.get("label"), f"{ptr}/label", max_len=MAX_LABEL, plain_only=True)
            if "hint" in block:
                self.text(block["hint"], f"{ptr}/hint", max_len=MAX_HINT, plain_only=True)
            if "element" not in block:
                self.add("missing required field: element", ptr)
            else:
                self.element(
                    block["element"],
                    f"{ptr}/element",
                    allowed=INPUT_ELEMENTS,
                    action_ids=action_ids,
                )
        elif kind == "image":
            self.string(
                block.get("alt_text"), f"{ptr}/alt_text", max_len=MAX_ALT_TEXT, required=True
            )
            if "image_url" not in block and "slack_file" not in block:
                self.add("must provide either image_url or slack_file", ptr)
            self.string(block.get("image_url"), f"{ptr}/image_url", max_len=MAX_URL)
        elif kind == "file" and self.surface != "message":
            self.add("file blocks are only supported in messages", ptr)


def validate_blocks(
    blocks: Any, *, surface: Surface = "message", pointer: str = "/blocks"
) -> list[str]:
    """Return Slack-style error lines for a ``blocks`` array; empty when valid."""
    checker = _Checker(surface)
    limit = MAX_MESSAGE_BLOCKS if surface == "message" else MAX_VIEW_BLOCKS
    checker.blocks(blocks, pointer, max_items=limit)
    return checker.errors


def validate_view(view: Any, *, pointer: str = "/view") -> list[str]:
    """Return Slack-style error lines for a view object (``views.*`` and ack ``update``/``push``)."""
    checker = _Checker("modal")
    if not isinstance(view, dict):
        checker.add("must be an object", pointer)
        return checker.errors
    kind = view.get("type")
    if kind not in ("modal", "home"):
        checker.add("must be one of modal, home", f"{pointer}/type")
        return checker.errors
    checker.surface = "modal" if kind == "modal" else "home"
    if kind == "modal":
        checker.text(view.get("title"), f"{pointer}/title", max_len=MAX_VIEW_TITLE, plain_only=True)
        for key in ("submit", "close"):
            if view.get(key) is not None:
                checker.text(
                    view[key], f"{pointer}/{key}", max_len=MAX_VIEW_BUTTON, plain_only=True
                )
    blocks = view.get("blocks")
    if blocks is None:
        checker.add("missing required field: blocks", f"{pointer}/blocks")
    else:
        checker.blocks(blocks, f"{pointer}/blocks", max_items=MAX_VIEW_BLOCKS)
    checker.string(
        view.get("private_metadata"), f"{pointer}/private_metadata", max_len=MAX_PRIVATE_METADATA
    )
    checker.string(view.get("callback_id"), f"{pointer}/callback_id", max_len=MAX_ID)
    checker.string(view.get("external_id"), f"{pointer}/external_id", max_len=MAX_ID)
    has_inputs = isinstance(blocks, list) and any(
        isinstance(b, dict) and b.get("type") == "input" for b in blocks
    )
    if kind == "modal" and view.get("submit") is None and has_inputs:
        checker.add("submit is required when using input blocks", f"{pointer}/submit")
    if not checker.errors and len(json.dumps(view)) > MAX_VIEW_BYTES:
        checker.add("view_too_large", pointer)
    return checker.errors


def normalize_blocks(blocks: list[Any]) -> list[Any]:
    """Fill in the ``block_id``/``action_id`` Slack generates when an app leaves them out.

    Slack stores every block and interactive element with an id (it invents short random ones)
    and echoes them back in ``state.values`` and ``actions[]``; payloads built by the emulator
    need the same ids, so they are assigned once, deterministically, when a surface is stored.
    """
    out: list[Any] = []
    for i, block in enumerate(blocks):
        if not isinstance(block, dict):
            out.append(block)
            continue
        b = dict(block)
        if b.get("type") not in ("divider",) and not b.get("block_id"):
            b["block_id"] = _short_id("b", i, b)
        for key in ("element", "accessory"):
            if isinstance(b.get(key), dict):
                b[key] = _with_action_id(b[key], i, 0)
        if b.get("type") == "actions" and isinstance(b.get("elements"), list):
            b["elements"] = [
                _with_action_id(el, i, j) if isinstance(el, dict) else el
                for j, el in enumerate(b["elements"])
            ]
        out.append(b)
    return out


def _with_action_id(el: dict[str, Any], i: int, j: int) -> dict[str, Any]:
    if el.get("type") in INTERACTIVE_ELEMENTS | INPUT_ELEMENTS and not el.get("action_id"):
        el = dict(el)
        el["action_id"] = _short_id("a", i * 100 + j, el)
    return el


def _short_id(prefix: str, index: int, obj: dict[str, Any]) -> str:
    digest = hashlib.sha1(f"{index}:{json.dumps(obj, sort_keys=True)}".encode()).hexdigest()
    return f"{prefix}{digest[:5]}"


def input_block_ids(view: dict[str, Any]) -> set[str]:
    """Block ids that may carry ``response_action: errors`` messages (input blocks only)."""
    return {
        b["block_id"]
        for b in view.get("blocks") or []
        if isinstance(b, dict) and b.get("type") == "input" and isinstance(b.get("block_id"), str)
    }
