"""``/campaign`` text: every subcommand parses, and hostile text becomes help, never an error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.command_text import MAX_COMMAND_TEXT, clean_command_text, strip_invisible
from handlers.forms import CommandRequest, Subcommand, parse_command_text

S = Subcommand


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("create", CommandRequest(subcommand=S.CREATE)),
        ("  CREATE  ", CommandRequest(subcommand=S.CREATE)),
        ("new", CommandRequest(subcommand=S.CREATE)),
        ("list", CommandRequest(subcommand=S.LIST)),
        ("list iflytek-sg", CommandRequest(subcommand=S.LIST, account_key="iflytek-sg")),
        ("accounts", CommandRequest(subcommand=S.ACCOUNTS)),
        ("help", CommandRequest(subcommand=S.HELP)),
        ("", CommandRequest(subcommand=S.HELP)),
        ("status 12", CommandRequest(subcommand=S.STATUS, campaign_ref="12", campaign_id=12)),
        ("status #12", CommandRequest(subcommand=S.STATUS, campaign_ref="#12", campaign_id=12)),
        (
            "status AINOTE2 launch SG",
            CommandRequest(subcommand=S.STATUS, campaign_ref="AINOTE2 launch SG"),
        ),
        ("cancel 7", CommandRequest(subcommand=S.CANCEL, campaign_id=7)),
        ("pause #7", CommandRequest(subcommand=S.PAUSE, campaign_id=7)),
        ("resume 7", CommandRequest(subcommand=S.RESUME, campaign_id=7)),
        ("activate 7", CommandRequest(subcommand=S.ACTIVATE, campaign_id=7)),
        ("sync 7", CommandRequest(subcommand=S.SYNC, campaign_id=7)),
        (
            "reschedule 7 2026-12-03 20:00",
            CommandRequest(subcommand=S.RESCHEDULE, campaign_id=7, when="2026-12-03 20:00"),
        ),
    ],
)
def test_subcommands(text, expected):
    assert parse_command_text(text) == expected


@pytest.mark.parametrize(
    ("text", "note_part"),
    [
        ("launch", "I don't know `launch`"),
        ("status", "`status` needs a campaign"),
        ("pause", "`pause` needs one campaign number"),
        ("pause twelve", "`pause` needs one campaign number"),
        ("pause 12 13", "`pause` needs one campaign number"),
        ("pause 0", "`pause` needs one campaign number"),
        ("cancel 99999999999999999999", "`cancel` needs one campaign number"),
        ("reschedule 12", "`reschedule` needs a campaign number and a time"),
        ("reschedule tomorrow 20:00", "`reschedule` needs a campaign number and a time"),
        ("list two accounts", "`list` takes one account key"),
        ("list &lt;script&gt;", "`list` takes one account key"),
    ],
)
def test_malformed_commands_fall_back_to_help_with_a_note(text, note_part):
    request = parse_command_text(text)
    assert request.subcommand is S.HELP
    assert note_part in request.note


def test_slack_markup_is_reduced_to_what_the_user_saw():
    assert clean_command_text("status <@U123|bob> <#C1|ops> <!here> <!channel>") == (
        "status @bob #ops here channel"
    )
    assert clean_command_text("status <https://evil.example|Spring sale>") == "status Spring sale"
    assert clean_command_text("status <https://x.example>") == "status https://x.example"
    assert clean_command_text("status <!subteam^S1|@ads-team>") == "status ads-team"
    assert clean_command_text("status A &amp; B &lt;3") == "status A & B <3"


def test_status_by_name_gets_the_visible_name():
    request = parse_command_text("status <https://shop.example|shop.example> launch")
    assert request.campaign_ref == "shop.example launch"


def test_control_and_invisible_characters_are_dropped():
    text = "pa\u200buse\x00 1\u202e2\x07\r\n"
    assert clean_command_text(text) == "pause 12"
    assert parse_command_text(text) == CommandRequest(subcommand=S.PAUSE, campaign_id=12)


def test_very_long_text_is_cut():
    request = parse_command_text("status " + "a" * 100_000)
    assert request.subcommand is S.STATUS
    assert len(request.campaign_ref) <= MAX_COMMAND_TEXT


def test_unknown_word_is_cut_in_the_note():
    request = parse_command_text("x" * 5000)
    assert request.subcommand is S.HELP
    assert len(request.note) < 100


def test_reschedule_time_is_bounded():
    request = parse_command_text("reschedule 3 " + "9" * 1000)
    assert request.subcommand is S.RESCHEDULE and len(request.when) <= 100


@given(st.text(max_size=600) | st.from_regex(r"(status|pause|list|reschedule) .{0,80}"))
def test_any_text_parses_to_a_known_subcommand(text):
    request = parse_command_text(text)
    assert request.subcommand in set(Subcommand)
    for value in (request.campaign_ref, request.when, request.account_key, request.note):
        assert value is None or (len(value) <= MAX_COMMAND_TEXT and value.isprintable())
    if request.campaign_id is not None:
        assert 0 < request.campaign_id < 2**63


@given(st.one_of(st.none(), st.integers(), st.binary(max_size=20), st.lists(st.text(max_size=3))))
def test_non_text_is_help(value):
    assert parse_command_text(value).subcommand is S.HELP


def test_plain_ascii_is_kept_whitespace_becomes_a_space_and_control_characters_go() -> None:
    printable = "".join(chr(n) for n in range(0x20, 0x7F))
    assert strip_invisible(printable) == printable
    assert strip_invisible("Sale\tday\nnow\r!") == "Sale day now !"
    assert strip_invisible("a\x00b\x07c\x1bd\x7fe") == "abcde"
    assert strip_invisible("zero\u200bwidth\u202eflip") == "zerowidthflip"
