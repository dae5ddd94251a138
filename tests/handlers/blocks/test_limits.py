"""The limit checker catches what Slack would refuse (so the builder tests can rely on it)."""

from __future__ import annotations

import pytest

from handlers.blocks.limits import check_blocks


def msg(*blocks, text="fallback"):
    return {"text": text, "blocks": list(blocks)}


def section(text="hi", **extra):
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(text="Go", **extra):
    return {
        "type": "button",
        "action_id": "a",
        "text": {"type": "plain_text", "text": text},
        **extra,
    }


def modal(*blocks, **extra):
    view = {"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": list(blocks)}
    return {**view, **extra}


def test_a_valid_message_passes():
    assert check_blocks("message", msg(section(), {"type": "divider"})) == []


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        (msg(*[section()] * 51), "51 > 50 blocks"),
        (msg(section("x" * 3001)), "3001 > 3000"),
        (msg(section(block_id="a"), section(block_id="a")), "used twice"),
        (msg(section(block_id="x" * 256)), "1-255"),
        (msg({"type": "actions", "elements": [button("x" * 76)]}), "76 > 75"),
        (msg({"type": "actions", "elements": [button(value="v" * 2001)]}), "2000"),
        (msg({"type": "actions", "elements": []}), "need 1-25"),
        (msg({"type": "header", "text": {"type": "mrkdwn", "text": "h"}}), "plain_text"),
        (msg({"type": "context", "elements": [{"type": "mrkdwn", "text": ""}]}), "non-empty"),
        (msg(section(), text=""), "fallback text"),
        (msg(section(), text="t" * 4001), "4001 > 4000"),
        (msg({"type": "input", "label": {"type": "plain_text", "text": "L"},
              "element": {"type": "url_text_input", "action_id": "u"}}), "belong in modals"),
        (msg({"type": "video"}), "not one AdBee uses"),
        (msg(section(fields=[{"type": "mrkdwn", "text": "f"}] * 11)), "need 1-10"),
        ({"text": "t", "blocks": [section(extra=object())]}, "JSON"),
        (msg({"type": "actions", "elements": [button(confirm={
            "title": {"type": "plain_text", "text": "t"}, "text": {"type": "mrkdwn", "text": "x" * 301},
            "confirm": {"type": "plain_text", "text": "ok"}, "deny": {"type": "plain_text", "text": "no"}})]}),
         "301 > 300"),
    ],
)  # fmt: skip
def test_message_violations_are_reported(payload, needle):
    problems = check_blocks("message", payload)
    assert any(needle in p for p in problems), problems


def select(options, **extra):
    element = {"type": "static_select", "action_id": "s", "options": options, **extra}
    return {
        "type": "input",
        "block_id": "b",
        "label": {"type": "plain_text", "text": "L"},
        "element": element,
    }


def opt(value, text="o"):
    return {"text": {"type": "plain_text", "text": text}, "value": value}


@pytest.mark.parametrize(
    ("view", "needle"),
    [
        (modal(section(), title={"type": "plain_text", "text": "x" * 25}), "25 > 24"),
        (modal(section(), private_metadata="m" * 3001), "private_metadata"),
        (modal(select([opt("a")])), "needs a submit"),
        (modal(select([opt(str(i)) for i in range(101)]), submit={"type": "plain_text", "text": "S"}), "101 items"),
        (modal(select([opt("a"), opt("a")])), "duplicate"),
        (modal(select([opt("a", "t" * 76)])), "76 > 75"),
        (modal(select([opt("v" * 151)])), "1-150"),
        (modal(select([opt("a")], initial_option=opt("b"))), "not among the options"),
        (modal({"type": "input", "label": {"type": "plain_text", "text": "L"},
                "element": {"type": "number_input", "action_id": "n"}}), "is_decimal_allowed"),
        (modal({"type": "input", "label": {"type": "plain_text", "text": "L"},
                "element": {"type": "file_input", "action_id": "f", "max_files": 11}}), "1-10"),
        (modal({"type": "input", "label": {"type": "plain_text", "text": "L"},
                "element": {"type": "plain_text_input", "action_id": "p", "max_length": 5, "initial_value": "toolong"}}),
         "longer than max_length"),
        (modal(*[section()] * 101), "101 > 100 blocks"),
        (modal(*[section("x" * 2900, block_id=str(i)) for i in range(90)]), "bytes"),
    ],
)  # fmt: skip
def test_modal_violations_are_reported(view, needle):
    problems = check_blocks("modal", view)
    assert any(needle in p for p in problems), problems
