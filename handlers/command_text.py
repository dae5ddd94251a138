"""``/campaign <sub> [args]`` text into a typed ``CommandRequest``; anything odd becomes help.

The text is whatever the user typed, after Slack turned mentions, channels and links into
``<...>`` markup and escaped ``& < >``. It is cleaned before parsing (control and invisible
characters dropped, markup reduced to its visible label, length bounded), so a listener can echo
parts of it back (escaped by the builders) and pass ids and names to the service safely.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from meta.domain.report_range import RANGE_HELP, looks_like_range
from meta.domain.spec import TEXT_LIMITS

MAX_COMMAND_TEXT = 500  # longer text is cut; no subcommand needs more than a name and a time
_MAX_SCAN = 4000  # bound the work done on hostile input before cutting
_MARKUP = re.compile(r"<([^<>]{0,300})>")
_CAMPAIGN_ID = re.compile(r"^#?(\d{1,18})$")
_ACCOUNT_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_MAX_WHEN = 100


class Subcommand(StrEnum):
    CREATE = "create"
    BULK = "bulk"
    LIST = "list"
    STATUS = "status"
    ACCOUNTS = "accounts"
    HELP = "help"
    CANCEL = "cancel"
    RESCHEDULE = "reschedule"
    PAUSE = "pause"
    RESUME = "resume"
    ACTIVATE = "activate"
    SYNC = "sync"
    REPORT = "report"
    EDIT = "edit"
    DUPLICATE = "duplicate"
    HISTORY = "history"


_ALIASES = {
    "new": Subcommand.CREATE,
    "ls": Subcommand.LIST,
    "show": Subcommand.STATUS,
    "?": Subcommand.HELP,
}
_ONE_ID = frozenset(
    {Subcommand.CANCEL, Subcommand.PAUSE, Subcommand.RESUME, Subcommand.ACTIVATE, Subcommand.SYNC}
)


class CommandRequest(BaseModel):
    """A parsed command. ``note`` says why a request fell back to help (shown to the user)."""

    model_config = ConfigDict(frozen=True)

    subcommand: Subcommand
    campaign_id: int | None = None
    campaign_ref: str | None = None  # status: an id or a campaign name, for service.find()
    account_key: str | None = None
    when: str | None = None  # reschedule: the time as typed, parsed by the domain
    range_text: str | None = None  # report: the range as typed, parsed by meta.domain.report_range
    note: str | None = None


def clean_command_text(text: object) -> str:
    """Visible text only: markup reduced to labels, entities unescaped, spaces collapsed, bounded."""
    raw = text[:_MAX_SCAN] if isinstance(text, str) else ""
    raw = _MARKUP.sub(_markup_label, raw)
    raw = raw.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(strip_invisible(raw).split())[:MAX_COMMAND_TEXT].strip()


def parse_command_text(text: object) -> CommandRequest:
    """Never raises: unknown, empty or malformed input is help with a note saying what was wrong."""
    words = clean_command_text(text).split(" ")
    head = words[0].lower() if words[0] else ""
    args = [w for w in words[1:] if w]
    if not head:
        return CommandRequest(subcommand=Subcommand.HELP)
    sub = _ALIASES.get(head) or next((s for s in Subcommand if s.value == head), None)
    if sub is None:
        return _help(f"I don't know `{head[:40]}`.")
    if sub in (Subcommand.CREATE, Subcommand.BULK, Subcommand.ACCOUNTS, Subcommand.HELP):
        return CommandRequest(subcommand=sub)
    if sub is Subcommand.LIST:
        if not args:
            return CommandRequest(subcommand=sub)
        if len(args) == 1 and _ACCOUNT_KEY.match(args[0]):
            return CommandRequest(subcommand=sub, account_key=args[0])
        return _help("`list` takes one account key, e.g. `/campaign list sg-main`.")
    if sub is Subcommand.REPORT:
        return _report(args)
    if sub in (Subcommand.STATUS, Subcommand.EDIT, Subcommand.HISTORY, Subcommand.DUPLICATE):
        ref = " ".join(args)[: TEXT_LIMITS["name"]]
        if not ref:
            return _help(f"`{sub}` needs a campaign number or name, e.g. `/campaign {sub} 12`.")
        match = _CAMPAIGN_ID.match(ref)
        campaign_id = _campaign_id(match.group(1)) if match else None
        return CommandRequest(subcommand=sub, campaign_ref=ref, campaign_id=campaign_id)
    campaign_id = _campaign_id(args[0]) if args else None
    if sub is Subcommand.RESCHEDULE:
        when = " ".join(args[1:])[:_MAX_WHEN]
        if campaign_id is None or not when:
            return _help(
                "`reschedule` needs a campaign number and a time, "
                "e.g. `/campaign reschedule 12 2026-12-03 20:00`."
            )
        return CommandRequest(subcommand=sub, campaign_id=campaign_id, when=when)
    assert sub in _ONE_ID
    if campaign_id is None or len(args) != 1:
        return _help(f"`{sub}` needs one campaign number, e.g. `/campaign {sub} 12`.")
    return CommandRequest(subcommand=sub, campaign_id=campaign_id)


def _report(args: list[str]) -> CommandRequest:
    """``report <id or name> [range]``: the last word is the range when it is shaped like one."""
    range_text = args[-1] if len(args) > 1 and looks_like_range(args[-1]) else None
    ref = " ".join(args[:-1] if range_text else args)[: TEXT_LIMITS["name"]]
    if not ref:
        return _help(
            f"`report` needs a campaign number or name and optionally a range ({RANGE_HELP}), "
            "e.g. `/campaign report 12 7d`."
        )
    match = _CAMPAIGN_ID.match(ref)
    return CommandRequest(
        subcommand=Subcommand.REPORT,
        campaign_ref=ref,
        campaign_id=_campaign_id(match.group(1)) if match else None,
        range_text=range_text,
    )


def _help(note: str) -> CommandRequest:
    return CommandRequest(subcommand=Subcommand.HELP, note=note)


def _campaign_id(token: str) -> int | None:
    match = _CAMPAIGN_ID.match(token)
    if not match:
        return None
    value = int(match.group(1))
    return value if 0 < value < 2**63 else None


def _markup_label(match: re.Match[str]) -> str:
    """``<@U1|bob>`` → ``@bob``, ``<#C1|ops>`` → ``#ops``, ``<!here>`` → ``here``, links → label."""
    body = match.group(1)
    target, _, label = body.partition("|")
    if target.startswith("@"):
        return f"@{label or target[1:]}"
    if target.startswith("#"):
        return f"#{label or target[1:]}"
    if target.startswith("!"):
        return label.lstrip("@") or target[1:].split("^", 1)[0]
    return label or target


def strip_invisible(text: str) -> str:
    """Whitespace becomes a space; control, format (zero-width, bidi overrides), surrogate,
    private-use and unassigned code points are dropped."""
    if text.isascii() and text.isprintable():
        # Printable ASCII has no invisible code point and no whitespace but the space itself.
        # Most of what users type, and every form field is checked: the per-character loop
        # below showed up in the bot's profile with 20 submissions at once (issue 18).
        return text
    return "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or unicodedata.category(ch) not in _INVISIBLE
    )


_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
