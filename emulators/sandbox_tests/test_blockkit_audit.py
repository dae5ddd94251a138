"""The emulator refuses what Slack refuses in Block Kit, the way an audit would probe it.

Each payload below breaks one rule from Slack's Block Kit reference (most of them are also
refused by ``slack_sdk.models``, which the emulator runs first). Every one must come back from
the emulator's judge with at least one error line, and through the Web API as
``invalid_blocks``/``invalid_arguments``, so no builder can get an over-limit or wrongly typed
payload past the tests. A few valid payloads at the edges guard against a judge that refuses
everything.
"""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from sandbox.slack_emulator import SlackEmulator
from sandbox.slack_emulator.blockkit import validate_blocks, validate_view


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def md(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def section(text: str = "x", **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": md(text), **extra}


def button(action_id: str = "a", **extra: Any) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": plain("Go"), **extra}


def actions(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"type": "actions", "elements": list(elements)}


def option(value: str, text: str | None = None) -> dict[str, Any]:
    return {"text": plain(text or value), "value": value}


def menu(**extra: Any) -> dict[str, Any]:
    return section(accessory={"type": "static_select", "action_id": "s", **extra})


def confirm(**extra: Any) -> dict[str, Any]:
    base = {"title": plain("Sure?"), "text": plain("Really?"), "confirm": plain("Yes")}
    return {**base, "deny": plain("No"), **extra}


def input_block(element: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "input", "block_id": "in", "label": plain("Label"), "element": element, **extra}


def modal(*blocks: dict[str, Any], **extra: Any) -> dict[str, Any]:
    view = {"type": "modal", "title": plain("Title"), "submit": plain("OK"), "blocks": list(blocks)}
    return {**view, **extra}


TEXT = {"type": "plain_text_input", "action_id": "t"}

INVALID_MESSAGES: dict[str, list[dict[str, Any]]] = {
    "section text over 3000": [section("x" * 3001)],
    "51 blocks in a message": [section() for _ in range(51)],
    "11 section fields": [{"type": "section", "fields": [md("f")] * 11}],
    "section field over 2000": [{"type": "section", "fields": [md("f" * 2001)]}],
    "section with neither text nor fields": [{"type": "section"}],
    "empty section text": [section("")],
    "unknown text type": [{"type": "section", "text": {"type": "markdown", "text": "x"}}],
    "header over 150": [{"type": "header", "text": plain("h" * 151)}],
    "mrkdwn header": [{"type": "header", "text": md("*h*")}],
    "mrkdwn button text": [actions({"type": "button", "action_id": "a", "text": md("*Go*")})],
    "button text over 75": [actions(button(text=plain("g" * 76)))],
    "button value over 2000": [actions(button(value="v" * 2001))],
    "button url over 3000": [actions(button(url="https://x.example/" + "p" * 3000))],
    "button style not primary/danger": [actions(button(style="green"))],
    "button without text": [actions({"type": "button", "action_id": "a"})],
    "action_id over 255": [actions(button(action_id="a" * 256))],
    "block_id over 255": [section(block_id="b" * 256)],
    "duplicate block_ids": [section(block_id="same"), section(block_id="same")],
    "duplicate action_ids in a block": [actions(button("a"), button("a"))],
    "26 elements in actions": [actions(*[button(f"a{i}") for i in range(26)])],
    "empty actions": [actions()],
    "11 context elements": [{"type": "context", "elements": [md("c")] * 11}],
    "button in context": [{"type": "context", "elements": [button()]}],
    "mrkdwn confirm text": [actions(button(confirm=confirm(text=md("*really*"))))],
    "mrkdwn confirm title": [actions(button(confirm=confirm(title=md("*Sure?*"))))],
    "confirm title over 100": [actions(button(confirm=confirm(title=plain("t" * 101))))],
    "confirm text over 300": [actions(button(confirm=confirm(text=plain("t" * 301))))],
    "confirm button over 30": [actions(button(confirm=confirm(confirm=plain("y" * 31))))],
    "image without alt_text": [{"type": "image", "image_url": "https://x.example/a.png"}],
    "unknown block type": [{"type": "sectionz", "text": md("x")}],
    "overflow with 6 options": [
        section(accessory={"type": "overflow", "action_id": "o", "options": [option(str(i)) for i in range(6)]})
    ],
    "select with 101 options": [menu(options=[option(str(i)) for i in range(101)])],
    "option value over 150": [menu(options=[option("v" * 151)])],
    "option text over 75": [menu(options=[option("v", "t" * 76)])],
    "mrkdwn option text in a select": [menu(options=[{"text": md("*a*"), "value": "a"}])],
    "duplicate option values": [menu(options=[option("a"), option("a", "A again")])],
    "select without options": [menu()],
    "placeholder over 150": [menu(options=[option("a")], placeholder=plain("p" * 151))],
    "file_input in a message": [input_block({"type": "file_input", "action_id": "f"})],
}  # fmt: skip

INVALID_VIEWS: dict[str, dict[str, Any]] = {
    "title over 24": modal(section(), title=plain("t" * 25)),
    "mrkdwn title": modal(section(), title=md("*T*")),
    "submit over 24": modal(section(), submit=plain("s" * 25)),
    "101 blocks in a modal": modal(*[section() for _ in range(101)]),
    "private_metadata over 3000": modal(section(), private_metadata="m" * 3001),
    "callback_id over 255": modal(section(), callback_id="c" * 256),
    "inputs without submit": {"type": "modal", "title": plain("T"), "blocks": [input_block(TEXT)]},
    "mrkdwn label": modal(dict(input_block(TEXT), label=md("*L*"))),
    "label over 2000": modal(dict(input_block(TEXT), label=plain("L" * 2001))),
    "hint over 2000": modal(input_block(TEXT, hint=plain("h" * 2001))),
    "mrkdwn hint": modal(input_block(TEXT, hint=md("_h_"))),
    "input without element": modal({"type": "input", "label": plain("L")}),
    "plain_text_input max_length over 3000": modal(input_block({**TEXT, "max_length": 3001})),
    "min_length above max_length": modal(input_block({**TEXT, "min_length": 10, "max_length": 5})),
    "initial_value longer than max_length": modal(
        input_block({**TEXT, "max_length": 5, "initial_value": "too long"})
    ),
    "number_input without is_decimal_allowed": modal(input_block({"type": "number_input", "action_id": "n"})),
    "file_input max_files 11": modal(input_block({"type": "file_input", "action_id": "f", "max_files": 11})),
    "file_input max_files 0": modal(input_block({"type": "file_input", "action_id": "f", "max_files": 0})),
    "file_input filetypes as one string": modal(
        input_block({"type": "file_input", "action_id": "f", "filetypes": "mp4,mov"})
    ),
    "file_input filetypes with a non-string": modal(
        input_block({"type": "file_input", "action_id": "f", "filetypes": ["mp4", 3]})
    ),
    "11 checkboxes": modal(
        input_block({"type": "checkboxes", "action_id": "c", "options": [option(str(i)) for i in range(11)]})
    ),
    "initial_option not among the options": modal(
        input_block({"type": "static_select", "action_id": "s", "options": [option("a")], "initial_option": option("b")})
    ),
    "datetimepicker initial as a string": modal(
        input_block({"type": "datetimepicker", "action_id": "d", "initial_date_time": "2026-12-03 20:00"})
    ),
    "datepicker initial in the wrong format": modal(
        input_block({"type": "datepicker", "action_id": "d", "initial_date": "03/12/2026"})
    ),
    "timepicker initial out of range": modal(
        input_block({"type": "timepicker", "action_id": "t", "initial_time": "25:00"})
    ),
    "two elements with focus_on_load": modal(
        input_block({**TEXT, "focus_on_load": True}),
        dict(input_block({"type": "plain_text_input", "action_id": "u", "focus_on_load": True}), block_id="in2"),
    ),
    "not a modal or home": {"type": "dialog", "title": plain("T"), "blocks": [section()]},
}  # fmt: skip


def test_the_audit_has_at_least_25_invalid_payloads() -> None:
    assert len(INVALID_MESSAGES) + len(INVALID_VIEWS) >= 25


@pytest.mark.parametrize("name", INVALID_MESSAGES)
def test_an_invalid_message_is_refused(name: str) -> None:
    problems = validate_blocks(INVALID_MESSAGES[name], surface="message")
    assert problems, f"the emulator accepted: {name}"
    assert all(p.startswith("[ERROR] ") and "[json-pointer:/blocks" in p for p in problems)


@pytest.mark.parametrize("name", INVALID_VIEWS)
def test_an_invalid_view_is_refused(name: str) -> None:
    problems = validate_view(INVALID_VIEWS[name])
    assert problems, f"the emulator accepted: {name}"


VALID_EDGES: list[tuple[str, Any]] = [
    ("message", [section("x" * 3000)] + [section() for _ in range(49)]),
    ("message", [{"type": "section", "fields": [md("f" * 2000)] * 10}]),
    ("message", [actions(*[button(f"a{i}", value="v" * 2000) for i in range(25)])]),
    ("message", [actions(button(confirm=confirm(text=plain("t" * 300)), style="danger"))]),
    ("message", [{"type": "header", "text": plain("h" * 150)}, {"type": "divider"}]),
    ("message", [menu(options=[option("v" * 150, "t" * 75)] + [option(str(i)) for i in range(99)])]),
    ("modal", modal(*[section() for _ in range(99)], input_block({**TEXT, "max_length": 3000}))),
    ("modal", modal(input_block({"type": "file_input", "action_id": "f", "max_files": 10}))),
    ("modal", modal(input_block({"type": "number_input", "action_id": "n", "is_decimal_allowed": False}))),
    ("modal", modal(input_block({"type": "datetimepicker", "action_id": "d", "initial_date_time": 1796302800}))),
]  # fmt: skip


@pytest.mark.parametrize(("surface", "payload"), VALID_EDGES)
def test_payloads_at_the_limits_are_accepted(surface: str, payload: Any) -> None:
    problems = validate_view(payload) if surface == "modal" else validate_blocks(payload)
    assert problems == []


def test_the_web_api_answers_the_audit_with_slacks_error_codes() -> None:
    # Many posts in one channel on purpose: this is about Block Kit, not Slack's rate tiers.
    with SlackEmulator(rate_limits=False) as emu:
        emu.add_user("U_ALICE", name="alice")
        emu.add_channel("C_GENERAL", "general")
        client = WebClient(token=emu.bot_token, base_url=emu.api_url)
        for name, blocks in INVALID_MESSAGES.items():
            with pytest.raises(SlackApiError) as refused:
                client.chat_postMessage(channel="C_GENERAL", text=name, blocks=blocks)
            assert refused.value.response["error"] == "invalid_blocks", name
        assert emu.messages("C_GENERAL") == []
