"""Ephemeral replies to ``/campaign``: help, the campaign list, one campaign's status, accounts.

Each returns ``{"response_type": "ephemeral", "text", "blocks"}`` so a listener can pass it
straight to ``ack(**reply)`` or ``respond(**reply)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from handlers.blocks import campaign_parts as parts
from handlers.blocks.common import (
    Block,
    context,
    divider,
    esc,
    header,
    section,
    status_label,
    truncate,
)
from meta.domain.accounts import AccountConfig
from meta.services.summary import CampaignSummary

MAX_ROWS = 40  # one section per row stays inside a message's 50 blocks
_COMMANDS = (
    ("create", "open the form to create a campaign"),
    ("bulk", "launch many campaigns from a CSV sheet (one per row) and its videos"),
    ("list [account]", "recent campaigns, optionally for one account"),
    ("status <id or name>", "one campaign in detail"),
    (
        "report <id or name> [today|yesterday|7d|30d|YYYY-MM-DD..YYYY-MM-DD]",
        "spend, results and a chart in the campaign's thread (default 7d)",
    ),
    (
        "edit <id or name>",
        "change budget, end, countries or texts (the diff, then apply or approve)",
    ),
    (
        "duplicate <id or name>",
        "the same campaign again (e.g. for another account), a new request for approval",
    ),
    ("history <id or name>", "every change: who, when, before → after, who approved"),
    ("accounts", "the ad accounts AdBee can use"),
    ("cancel <id>", "cancel a scheduled activation (the campaign stays paused)"),
    ("reschedule <id> <time>", "move the activation, e.g. `reschedule 12 2026-12-03 20:00`"),
    ("activate <id>", "go live now"),
    ("pause <id>", "stop delivery"),
    ("resume <id>", "deliver again after a pause"),
    ("sync <id>", "refresh the status from Meta"),
    ("help", "this list"),
)


def _reply(text: str, blocks: list[Block]) -> dict[str, Any]:
    return {"response_type": "ephemeral", "text": truncate(text, 3000), "blocks": blocks[:50]}


def build_help(unknown: str | None = None) -> dict[str, Any]:
    """The command list; ``unknown`` is what was not understood (``CommandRequest.note``)."""
    lines = [f"`/campaign {usage}`: {what}" for usage, what in _COMMANDS]
    blocks: list[Block] = []
    if unknown:
        blocks.append(section(f":grey_question: {esc(truncate(unknown, 500))}"))
    blocks.append(section("*AdBee commands*\n" + "\n".join(lines)))
    blocks.append(context("Times are in the ad account's timezone unless they carry an offset."))
    return _reply("AdBee commands" + (f" ({esc(unknown)})" if unknown else ""), blocks)


def build_campaign_list(
    summaries: Sequence[CampaignSummary], account_key: str | None = None
) -> dict[str, Any]:
    scope = f" in `{esc(account_key)}`" if account_key else ""
    if not summaries:
        text = f"No campaigns{scope} yet. `/campaign create` starts one."
        return _reply(text, [section(text)])
    blocks: list[Block] = [header(f"Campaigns{' in ' + account_key if account_key else ''}")]
    for summary in summaries[:MAX_ROWS]:
        countries = esc(", ".join(summary.countries)) or "no countries"
        blocks.append(
            section(
                f"{truncate(parts.title(summary), 500)} · {status_label(summary.status)}\n"
                f"{esc(summary.budget_text)}/day · starts {esc(summary.start_text)} · {countries}"
            )
        )
    if len(summaries) > MAX_ROWS:
        more = len(summaries) - MAX_ROWS
        blocks.append(context(f"…and {more} more. `/campaign list <account>` narrows the list."))
    return _reply(f"{len(summaries)} campaigns{scope}", blocks)


def build_campaign_status(
    summary: CampaignSummary, *, now: datetime | None = None
) -> dict[str, Any]:
    """One campaign in detail, with the buttons its status allows."""
    now = now or datetime.now(UTC)
    blocks: list[Block] = [
        header(summary.name),
        section(
            f"{parts.title(summary)} · {status_label(summary.status)}",
            fields=parts.facts(summary, now),
        ),
    ]
    if summary.error:
        blocks.append(section(f":warning: {esc(summary.error)}"))
    blocks += parts.warnings_context(summary)
    blocks.append(parts.ids_context(summary))
    blocks += parts.management_buttons(summary)
    return _reply(f"{esc(summary.name)}: {summary.status.replace('_', ' ')}", blocks)


def build_accounts(accounts: Sequence[AccountConfig]) -> dict[str, Any]:
    if not accounts:
        text = "No ad accounts are configured; add them to configs/accounts.yaml."
        return _reply(text, [section(text)])
    blocks: list[Block] = [header("Ad accounts")]
    for account in accounts[:MAX_ROWS]:
        reg = account.regulation
        sg = "ready" if reg.singapore_beneficiary and reg.singapore_payer else "not set up"
        eu = "ready" if reg.dsa_beneficiary and reg.dsa_payor else "not set up"
        cap = (
            f"max {account.currency} {account.max_daily_budget}/day"
            if account.max_daily_budget
            else "no cap"
        )
        blocks.append(
            section(
                f"*{esc(account.name)}* (`{esc(account.key)}`) · `{esc(account.ad_account_id)}`\n"
                f"{esc(account.currency)} · {esc(account.timezone)} · {cap} · "
                f"Singapore targeting {sg} · EU targeting {eu}"
            )
        )
    if len(accounts) > MAX_ROWS:
        blocks.append(divider())
        blocks.append(context(f"…and {len(accounts) - MAX_ROWS} more."))
    return _reply(f"{len(accounts)} ad accounts", blocks)
