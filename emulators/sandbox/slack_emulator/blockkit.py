"""Block Kit validation: ``slack_sdk.models`` first, then the documented limits it does not check.

Slack rejects a bad payload with ``invalid_blocks`` (messages) or ``invalid_arguments`` (views)
and explains itself in ``response_metadata.messages`` as lines like
``[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]``.

The judge is not a hand-written copy of the limits: every block is parsed with
``slack_sdk.models.blocks.Block.parse`` and rendered with ``to_dict()`` (which runs the models'
validators on the block and everything nested in it), and views go through
``slack_sdk.models.views.View``. Only what those models do not check is added here, each rule
citing Slack's docs (docs.slack.dev Block Kit reference, "Reference: composition objects" and
each element's page):

- the number of blocks per surface (50 in a message; the models check only views' 100);
- ``plain_text``-only fields (header, button, label, hint, placeholder, option text in menus,
  view title/submit/close and every part of a confirm dialog): Slack shows mrkdwn there as
  literal asterisks or refuses it (the models accept any text object);
- empty texts, empty ``actions``/``context`` element lists, section ``fields`` over 2000;
- unique ``block_id`` per surface and ``action_id`` per block;
- option text ≤ 75, value ≤ 150, unique values, initial options among the options,
  ≤ 10 options for checkboxes and radio buttons;
- element rules: ``plain_text_input`` lengths, ``number_input.is_decimal_allowed`` (required),
  ``file_input`` only in modals and ``max_files`` 1 to 10, date/time formats, one
  ``focus_on_load`` per view, a ``submit`` on modals with inputs, 250 kB per view.

Unknown optional fields are accepted, as Slack accepts them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from typing import Any, Literal

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

Surface = Literal["message", "modal", "home"]

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_FIELD_TEXT = 2000
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_CHOICE_OPTIONS = 10  # checkboxes, radio_buttons
MAX_PLAIN_TEXT_INPUT = 3000
MAX_FILES_PER_INPUT = 10
MAX_VIEW_BYTES = 250_000

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
_MENUS = {"static_select", "multi_static_select", "overflow"}  # option text is plain_text there
_CHOICES = {"checkboxes", "radio_buttons"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

# slack_sdk logs a warning for each unknown block; the emulator reports it as an error instead.
logging.getLogger("slack_sdk.models").setLevel(logging.ERROR)


def _err(message: str, pointer: str) -> str:
    return f"[ERROR] {message} [json-pointer:{pointer}]"


def _sdk_problem(exc: Exception) -> str:
    """slack_sdk's words for what it refused (a missing required field shows as a TypeError)."""
    text = str(exc)
    missing = re.search(r"missing \d+ required keyword-only arguments?: (.+)$", text)
    if missing:
        return "missing required field: " + missing.group(1).replace("'", "")
    return text or type(exc).__name__


def _each_validator(model: Any) -> list[str]:
    """Run every ``@JsonValidator`` of a slack_sdk model; ``validate_json`` stops at the first."""
    problems = []
    for name in sorted(dir(type(model))):
        attribute = getattr(model, name, None)
        if callable(attribute) and getattr(attribute, "validator", False):
            try:
                attribute()
            except SlackObjectFormationError as exc:
                problems.append(str(exc))
    return problems


class _Checker:
    """Collects Slack-style error lines while walking one surface."""

    def __init__(self, surface: Surface) -> None:
        self.surface = surface
        self.errors: list[str] = []
        self.block_ids: set[str] = set()
        self.focus: list[str] = []

    def add(self, message: str, pointer: str) -> None:
        self.errors.append(_err(message, pointer))

    # -- slack_sdk.models ----------------------------------------------------

    def sdk_block(self, block: dict[str, Any], ptr: str) -> bool:
        """What slack_sdk's models refuse; False when the block is not even a known type."""
        try:
            parsed = Block.parse(block)
            if parsed is None:
                self.add("failed to match all allowed schemas", ptr)
                return False
            parsed.to_dict()
        except SlackObjectFormationError as exc:
            self.add(_sdk_problem(exc), ptr)
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            self.add(_sdk_problem(exc), ptr)
        return True

    # -- what the models do not check -------------------------------------------

    def text(self, obj: Any, ptr: str, *, plain_only: bool = False) -> None:
        if obj is None:
            return
        if not isinstance(obj, dict):
            self.add("must be a text object", ptr)
            return
        allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
        if obj.get("type") not in allowed:
            self.add(f"must be one of {', '.join(allowed)}", f"{ptr}/type")
        value = obj.get("text")
        if not isinstance(value, str) or not value:
            self.add("must be more than 0 characters", f"{ptr}/text")

    def confirm(self, obj: Any, ptr: str) -> None:
        # Confirm dialogs: title, text, confirm and deny are plain_text (docs.slack.dev
        # "Confirmation dialog object"; node-slack-sdk's composition types say the same).
        if isinstance(obj, dict):
            for key in ("title", "text", "confirm", "deny"):
                self.text(obj.get(key), f"{ptr}/{key}", plain_only=True)

    def options(self, el: dict[str, Any], ptr: str) -> None:
        kind = el.get("type")
        groups = el.get("option_groups") if isinstance(el.get("option_groups"), list) else None
        if groups is not None:
            for gi, group in enumerate(groups):
                if isinstance(group, dict):
                    self.text(
                        group.get("label"), f"{ptr}/option_groups/{gi}/label", plain_only=True
                    )
        flat: list[tuple[str, Any]] = []
        if isinstance(el.get("options"), list):
            flat += [(f"{ptr}/options/{i}", o) for i, o in enumerate(el["options"])]
        for gi, group in enumerate(groups or []):
            if isinstance(group, dict) and isinstance(group.get("options"), list):
                flat += [
                    (f"{ptr}/option_groups/{gi}/options/{i}", o)
                    for i, o in enumerate(group["options"])
                ]
        if kind in _CHOICES and len(flat) > MAX_CHOICE_OPTIONS:
            self.add(
                f"must provide an array of no more than {MAX_CHOICE_OPTIONS} items",
                f"{ptr}/options",
            )
        values: list[str] = []
        for optr, opt in flat:
            if not isinstance(opt, dict):
                self.add("must be an object", optr)
                continue
            self.text(opt.get("text"), f"{optr}/text", plain_only=kind in _MENUS)
            text = (
                (opt.get("text") or {}).get("text") if isinstance(opt.get("text"), dict) else None
            )
            if isinstance(text, str) and len(text) > MAX_OPTION_TEXT:
                self.add(f"must be less than {MAX_OPTION_TEXT + 1} characters", f"{optr}/text/text")
            value = opt.get("value")
            if not isinstance(value, str) or not 0 < len(value) <= MAX_OPTION_VALUE:
                self.add(f"must be a string of 1 to {MAX_OPTION_VALUE} characters", f"{optr}/value")
            elif value in values:
                self.add("option values must be unique", f"{optr}/value")
            else:
                values.append(value)
            if "description" in opt:
                self.text(opt["description"], f"{optr}/description", plain_only=kind in _MENUS)
        initial = list(el.get("initial_options") or [])
        if el.get("initial_option") is not None:
            initial.append(el["initial_option"])
        for opt in initial:
            if isinstance(opt, dict) and opt.get("value") not in values and flat:
                self.add("initial option must match one of the options", f"{ptr}/initial_option")

    def element(self, el: Any, ptr: str, action_ids: set[str], *, in_input: bool) -> None:
        if not isinstance(el, dict):
            self.add("must be an object", ptr)
            return
        kind = el.get("type")
        action_id = el.get("action_id")
        if isinstance(action_id, str):
            if action_id in action_ids:
                self.add(f"action_id is not unique in its block: {action_id}", f"{ptr}/action_id")
            action_ids.add(action_id)
        for key in ("text",) if kind == "button" else ():
            self.text(el.get(key), f"{ptr}/{key}", plain_only=True)
        if "placeholder" in el:
            self.text(el["placeholder"], f"{ptr}/placeholder", plain_only=True)
        if "confirm" in el:
            self.confirm(el["confirm"], f"{ptr}/confirm")
        if el.get("focus_on_load"):
            self.focus.append(ptr)
        if kind in _MENUS | _CHOICES:
            self.options(el, ptr)
        elif kind == "plain_text_input":
            low, high = el.get("min_length", 0), el.get("max_length", MAX_PLAIN_TEXT_INPUT)
            if not (isinstance(low, int) and isinstance(high, int)):
                self.add("must be integers", f"{ptr}/max_length")
            else:
                if not 0 <= low <= high <= MAX_PLAIN_TEXT_INPUT:
                    self.add(
                        f"must be 0 <= min_length <= max_length <= {MAX_PLAIN_TEXT_INPUT}",
                        f"{ptr}/max_length",
                    )
                initial = el.get("initial_value")
                if isinstance(initial, str) and len(initial) > high:
                    self.add("initial_value is longer than max_length", f"{ptr}/initial_value")
        elif kind == "number_input":
            if not isinstance(el.get("is_decimal_allowed"), bool):
                self.add("missing required field: is_decimal_allowed", ptr)
        elif kind == "file_input":
            if self.surface != "modal" or not in_input:
                self.add("file_input is only supported in modals, in input blocks", ptr)
            mf = el.get("max_files", 10)
            if not isinstance(mf, int) or not 1 <= mf <= MAX_FILES_PER_INPUT:
                self.add(f"must be between 1 and {MAX_FILES_PER_INPUT}", f"{ptr}/max_files")
            # "filetypes: String[], an array of valid file extensions" (Slack's file input
            # element reference; slack_sdk's FileInputElement types it List[str]).
            types = el.get("filetypes")
            if types is not None and (
                not isinstance(types, list) or not all(isinstance(t, str) and t for t in types)
            ):
                self.add("must be an array of file extensions (strings)", f"{ptr}/filetypes")
        elif kind == "datetimepicker":
            initial = el.get("initial_date_time")
            if initial is not None and (isinstance(initial, bool) or not isinstance(initial, int)):
                self.add("must be an integer (UNIX seconds)", f"{ptr}/initial_date_time")
        elif kind == "datepicker":
            initial = el.get("initial_date")
            if initial is not None and not (isinstance(initial, str) and _DATE.match(initial)):
                self.add("must be in the format YYYY-MM-DD", f"{ptr}/initial_date")
        elif kind == "timepicker":
            initial = el.get("initial_time")
            if initial is not None and not (isinstance(initial, str) and _TIME.match(initial)):
                self.add("must be in the format HH:mm", f"{ptr}/initial_time")

    def block(self, block: Any, ptr: str) -> None:
        if not isinstance(block, dict):
            self.add("must be an object", ptr)
            return
        if not self.sdk_block(block, ptr):
            return
        kind = block.get("type")
        block_id = block.get("block_id")
        if isinstance(block_id, str):
            if block_id in self.block_ids:
                self.add(f"block_id is not unique: {block_id}", f"{ptr}/block_id")
            self.block_ids.add(block_id)
        action_ids: set[str] = set()
        if kind == "section":
            self.text(block.get("text"), f"{ptr}/text")
            for fi, field in enumerate(block.get("fields") or []):
                self.text(field, f"{ptr}/fields/{fi}")
                if isinstance(field, dict) and len(str(field.get("text", ""))) > MAX_FIELD_TEXT:
                    self.add(
                        f"must be less than {MAX_FIELD_TEXT + 1} characters",
                        f"{ptr}/fields/{fi}/text",
                    )
            if "accessory" in block:
                self.element(block["accessory"], f"{ptr}/accessory", action_ids, in_input=False)
        elif kind == "header":
            self.text(block.get("text"), f"{ptr}/text", plain_only=True)
        elif kind in ("actions", "context"):
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.add("must provide an array of at least 1 items", f"{ptr}/elements")
                return
            for ei, el in enumerate(elements):
                eptr = f"{ptr}/elements/{ei}"
                if kind == "actions":
                    self.element(el, eptr, action_ids, in_input=False)
                elif isinstance(el, dict) and el.get("type") in ("plain_text", "mrkdwn"):
                    self.text(el, eptr)
                elif not (isinstance(el, dict) and el.get("type") == "image"):
                    self.add("context elements are text objects or images", eptr)
        elif kind == "input":
            self.text(block.get("label"), f"{ptr}/label", plain_only=True)
            self.text(block.get("hint"), f"{ptr}/hint", plain_only=True)
            self.element(block.get("element"), f"{ptr}/element", action_ids, in_input=True)

    def blocks(self, blocks: Any, ptr: str, *, max_items: int) -> None:
        if not isinstance(blocks, list):
            self.add("must be an array", ptr)
            return
        if len(blocks) > max_items:
            self.add(f"must provide an array of no more than {max_items} items", ptr)
        for i, block in enumerate(blocks):
            self.block(block, f"{ptr}/{i}")


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
    blocks = view.get("blocks")
    if blocks is None:
        checker.add("missing required field: blocks", f"{pointer}/blocks")
    else:
        checker.blocks(blocks, f"{pointer}/blocks", max_items=MAX_VIEW_BLOCKS)
    # The view's own fields through slack_sdk's View (blocks were checked one by one above),
    # every validator of the model on its own so that each problem is reported.
    try:
        model = View(**dict(view, blocks=[{"type": "divider"}]))
    except (TypeError, ValueError, AttributeError) as exc:
        checker.add(_sdk_problem(exc), pointer)
    else:
        for problem in _each_validator(model):
            checker.add(problem, pointer)
    for key in ("title", "submit", "close"):
        checker.text(view.get(key), f"{pointer}/{key}", plain_only=True)
    if kind == "modal" and view.get("title") is None:
        checker.add("missing required field: title", f"{pointer}/title")
    has_inputs = isinstance(blocks, list) and any(
        isinstance(b, dict) and b.get("type") == "input" for b in blocks
    )
    if kind == "modal" and view.get("submit") is None and has_inputs:
        checker.add("submit is required when using input blocks", f"{pointer}/submit")
    if len(checker.focus) > 1:
        checker.add("only one element can set focus_on_load", checker.focus[1])
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
