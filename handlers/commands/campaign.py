"""``/campaign <subcommand>``: open the create modal, or answer privately, or act on a campaign."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from handlers.blocks.bulk import build_bulk_modal
from handlers.blocks.campaign_modal import build_campaign_modal
from handlers.blocks.listing import (
    build_accounts,
    build_campaign_list,
    build_campaign_status,
    build_help,
)
from handlers.command_text import CommandRequest, Subcommand, parse_command_text
from handlers.ports import DuplicatePort, EditPort, MessagePort
from handlers.reporting import post_report
from meta.domain.access import Actor
from meta.domain.errors import AdBeeError
from meta.services.campaigns import CampaignService
from meta.services.lifecycle import CampaignLifecycle
from meta.services.reports import CampaignReports
from meta.services.status_sync import StatusSync


def handle_campaign_command(
    ack: Ack,
    command: dict[str, Any],
    client: WebClient,
    respond: Respond,
    campaigns: CampaignService,
    lifecycle: CampaignLifecycle,
    status_sync: StatusSync,
    messages: MessagePort,
    reports: CampaignReports,
    edits: EditPort,
    duplicates: DuplicatePort | None = None,
) -> None:
    request = parse_command_text(command.get("text", ""))
    sub = request.subcommand
    opener = {Subcommand.EDIT: edits.editor}
    if duplicates is not None:
        opener[Subcommand.DUPLICATE] = duplicates.duplicator
    if sub in opener:  # a modal pre-filled from the campaign as Meta holds it
        ack()
        try:
            view = opener[sub](request.campaign_ref or "")
        except AdBeeError as exc:
            respond(text=f":no_entry: {exc.message}", response_type="ephemeral")
            return
        client.views_open(trigger_id=command["trigger_id"], view=view)
        return
    if sub is Subcommand.HISTORY:
        try:
            ack(**edits.history(request.campaign_ref or ""))
        except AdBeeError as exc:
            ack(text=f":no_entry: {exc.message}")
        return
    if sub is Subcommand.CREATE:
        ack()
        client.views_open(
            trigger_id=command["trigger_id"],
            view=build_campaign_modal(
                accounts=campaigns.accounts.all(),
                templates=campaigns.template_choices(),
                template_notes=campaigns.template_notes(),
            ),
        )
        return
    if sub is Subcommand.BULK:
        ack()
        client.views_open(
            trigger_id=command["trigger_id"], view=build_bulk_modal(command.get("channel_id"))
        )
        return
    if sub is Subcommand.HELP:
        ack(**build_help(request.note))
    elif sub is Subcommand.LIST:
        ack(
            **build_campaign_list(
                campaigns.list_campaigns(account_key=request.account_key), request.account_key
            )
        )
    elif sub is Subcommand.ACCOUNTS:
        ack(**build_accounts(campaigns.accounts.all()))
    elif sub is Subcommand.STATUS:
        summary = campaigns.find(request.campaign_ref or "")
        if summary is None:
            ack(text=f"No campaign matches {request.campaign_ref!r}; `/campaign list` shows them.")
        else:
            ack(**build_campaign_status(summary, now=datetime.now(UTC)))
    elif sub is Subcommand.REPORT:
        ack(text=f":hourglass_flowing_sand: Reading Meta's numbers for {request.campaign_ref}…")
        _report(request, command, client, respond, reports)
    else:
        # The ack's ephemeral cannot be replaced later: a slash command's response_url does not
        # support replace_original (Slack posts a new message; bolt-python#1268). So the ack says
        # what is under way, and the outcome follows as its own ephemeral reply.
        ack(text=f":hourglass_flowing_sand: {_UNDER_WAY[sub]} #{request.campaign_id}…")
        _act(request, command, respond, lifecycle, status_sync, messages)


_UNDER_WAY = {
    Subcommand.RESCHEDULE: "Rescheduling campaign",
    Subcommand.CANCEL: "Cancelling the schedule of campaign",
    Subcommand.PAUSE: "Pausing campaign",
    Subcommand.RESUME: "Resuming campaign",
    Subcommand.ACTIVATE: "Activating campaign",
    Subcommand.SYNC: "Refreshing from Meta: campaign",
}


def _report(
    request: CommandRequest,
    command: dict[str, Any],
    client: WebClient,
    respond: Respond,
    reports: CampaignReports,
) -> None:
    """The table in the campaign's thread (or the channel asked from, for a campaign without
    one), then its chart; a bad range or an unknown campaign is told only to the asker."""
    try:
        report = reports.report(request.campaign_ref or "", request.range_text)
    except AdBeeError as exc:
        respond(text=f":no_entry: {exc.message}", response_type="ephemeral")
        return
    summary = report.summary
    in_thread = post_report(client, report, fallback_channel=command["channel_id"])
    where = "in its thread" if in_thread else "here"
    respond(text=f"Report for {summary.name} posted {where}.", response_type="ephemeral")


def _act(
    request: CommandRequest,
    command: dict[str, Any],
    respond: Respond,
    lifecycle: CampaignLifecycle,
    status_sync: StatusSync,
    messages: MessagePort,
) -> None:
    """State changes answer through response_url: they may call Meta, which can take seconds."""
    actor = Actor(command["user_id"], command.get("team_id"))
    campaign_id = request.campaign_id
    assert campaign_id is not None  # parse_command_text guarantees it for these subcommands
    try:
        match request.subcommand:
            case Subcommand.RESCHEDULE:
                summary = lifecycle.reschedule(campaign_id, actor, request.when or "")
            case Subcommand.CANCEL:
                summary = lifecycle.cancel(campaign_id, actor)
            case Subcommand.PAUSE:
                summary = lifecycle.pause(campaign_id, actor)
            case Subcommand.RESUME:
                summary = lifecycle.resume(campaign_id, actor)
            case Subcommand.ACTIVATE:
                summary = lifecycle.activate_now(campaign_id, actor)
            case Subcommand.SYNC:
                status_sync.sync(campaign_id)
                summary = lifecycle.summary(campaign_id)
            case other:
                raise AssertionError(f"/campaign {other} is not a state change")
    except AdBeeError as exc:
        respond(text=f":no_entry: {exc.message}", response_type="ephemeral")
        return
    messages.refresh_campaign_message(summary)
    if summary.status == "created" and summary.changed_since_approval:
        respond(
            text=f"{summary.name} (#{summary.id}) now differs from what was approved "
            f"({'; '.join(summary.changed_since_approval)}): it is unscheduled and awaits a new "
            "approval on its card.",
            response_type="ephemeral",
        )
        return
    respond(
        text=f"{summary.name} (#{summary.id}) is now {summary.status.replace('_', ' ')}.",
        response_type="ephemeral",
    )
