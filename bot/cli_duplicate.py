"""``python -m bot duplicate <id|name> [--name NEW] [--account KEY] [--countries MY]``.

The same campaign again, as ``create`` makes one from a file: every field checked first (a
refusal names the field and sends nothing to Meta), then the campaign created PAUSED with live
progress, awaiting approval in Slack like any creation. In the source's ad account its videos
are reused (no upload); in another account they are uploaded there (``meta.services.duplicates``
says why Meta's ``copies`` edge is not the way).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from bot.cli_problems import print_refusal
from bot.settings import Settings
from meta.domain.access import StaticAccessPolicy
from meta.domain.errors import AdBeeError, ValidationError
from meta.services.duplicates import DuplicateService

CLI = "cli"


def duplicate_command(
    words: Sequence[str],
    out: TextIO,
    *,
    name: str | None = None,
    account: str | None = None,
    countries: str | None = None,
    daily_budget: str | None = None,
    start_time: str | None = None,
    end_time: str | None = None,
) -> int:
    from bot.bootstrap import build_services
    from bot.cli import ProgressPrinter, _print_created

    services = build_services(Settings())
    try:
        edits = services.edits(StaticAccessPolicy(approvers=frozenset()))
        duplicates = DuplicateService(
            services.campaigns, edits, services.store, clock=services.campaigns.clock
        )
        try:
            draft = duplicates.draft(
                " ".join(words),
                account=account,
                name=name,
                countries=[c.strip().upper() for c in countries.split(",")] if countries else None,
                daily_budget=daily_budget,
                start_time=start_time,
                end_time=end_time,
            )
            spec = duplicates.check(draft)
        except ValidationError as exc:
            return print_refusal(exc, out)
        except AdBeeError as exc:
            print(f"error: {exc.message}", file=out)
            return 1
        source = draft.source
        print(
            f"Duplicating #{source.id} {source.name!r} ({source.account_key}) as {spec.name!r} "
            f"in {spec.account_key}:",
            file=out,
        )
        for note in draft.notes:
            print(f"  note: {note}", file=out)
        try:
            made = duplicates.start(source, spec, requested_by=CLI, origin=CLI)
            summary = services.campaigns.run_creation(made.id, ProgressPrinter(out))
        except AdBeeError as exc:
            print(f"\nerror: {exc.message}", file=out)
            return 1
        _print_created(summary, out)
        print(
            "  It awaits approval in Slack before it starts (a duplicate is a new request).",
            file=out,
        )
        return 0
    finally:
        services.engine.dispose()
