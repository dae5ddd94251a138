"""``python -m bot edit <id|name> --set NAME=VALUE ...``: the Slack edit's rules from a terminal.

The same diff (from what Meta holds now), checks and ``edits.auto_apply`` rules as the Slack
modal: what applies at once is validated by Meta and applied; what needs an approver is printed
with the way to ask for it in Slack, and not applied. An edit a crash interrupted is finished
first (it resumes from its last committed step).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from bot.cli_problems import print_refusal
from bot.settings import Settings
from meta.domain.access import Actor, StaticAccessPolicy
from meta.domain.edits import Proposal, parse_assignments
from meta.domain.errors import AdBeeError, ValidationError
from meta.domain.records import EditRecord, EditStatus
from meta.services.edits import EditService

CLI = Actor("cli")
# Nobody approves from a terminal: what needs an approver is asked for in Slack.
NO_APPROVERS = StaticAccessPolicy(approvers=frozenset())


def edit_command(words: Sequence[str], assignments: Sequence[str], out: TextIO) -> int:
    from bot.bootstrap import build_services

    services = build_services(Settings())
    try:
        edits = services.edits(NO_APPROVERS)
        return _edit(edits, " ".join(words), assignments, out)
    finally:
        services.engine.dispose()


def _edit(edits: EditService, ref: str, assignments: Sequence[str], out: TextIO) -> int:
    try:
        row = edits.campaign(ref)
        for edit in edits.open_edits(row.id):
            if edit.status is EditStatus.APPLYING and edit.id in edits.stopped():
                print(f"Finishing edit {edit.id}, interrupted earlier:", file=out)
                _print_result(edits, edits.apply(edit.id, actor=CLI.user_id), out)
        if not assignments:
            return 0
        wanted = parse_assignments(assignments)
        _state, proposal = edits.propose(row, wanted)
    except ValidationError as exc:
        return print_refusal(exc, out)
    except AdBeeError as exc:
        print(f"error: {exc.message}", file=out)
        return 1
    account = edits.account_of(row)
    if proposal.empty:
        print(f"Nothing to change: Meta already shows these values for {row.name!r}.", file=out)
        return 0
    _print_proposal(proposal, account.currency, account.timezone, out)
    code = 0
    if proposal.now is not None:
        try:
            done = edits.submit(row.id, wanted, CLI, source="cli", ask_approval=False)
        except AdBeeError as exc:
            print(f"error: {exc.message}", file=out)
            return 1
        assert done.applied is not None
        code = _print_result(edits, done.applied, out)
    if proposal.later is not None:
        print(
            f"Not applied: {len(proposal.later.changes)} change(s) need an approver. Ask in "
            f"Slack: /campaign edit {row.id}",
            file=out,
        )
        code = 1
    return code


def _print_proposal(proposal: Proposal, currency: str, tz: str, out: TextIO) -> None:
    for heading, plan in (
        ("Applies now", proposal.now),
        ("Needs approval in Slack", proposal.later),
    ):
        if plan is None:
            continue
        print(f"{heading}:", file=out)
        for line in plan.lines(currency, tz):
            print(f"  {line}", file=out)


def _print_result(edits: EditService, edit: EditRecord, out: TextIO) -> int:
    if edit.status is EditStatus.APPLIED:
        made = edit.progress.get("creative_id")
        extra = f" (new creative {made}, the ad switched to it)" if made else ""
        print(f"Applied edit {edit.id}{extra}.", file=out)
        return 0
    print(f"Edit {edit.id} {edit.status.value.replace('_', ' ')}: {edit.error}", file=out)
    return 1
