"""Approve, Reject, Cancel, Pause, Resume, Activate, Resume creation and Sync buttons.

One listener per button, each calling its ``CampaignLifecycle`` verb by name, so "find usages"
of ``approve`` leads from the button to the domain. Anyone who sees a message can click its
buttons, so the role check happens in the domain on every click; a refusal is answered privately
and audited there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from handlers.forms import ActionValueError, parse_action_value
from handlers.ports import CreationPort, MessagePort
from meta.access import Actor
from meta.errors import AdBeeError
from meta.lifecycle import CampaignLifecycle
from meta.status_sync import StatusSync
from meta.summary import CampaignSummary

Verb = Callable[[int, Actor], CampaignSummary]


def on_approve(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    lifecycle: CampaignLifecycle,
    messages: MessagePort,
) -> None:
    _answer_click(ack, body, action, client, messages, lifecycle.approve)


def on_reject(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    lifecycle: CampaignLifecycle,
    messages: MessagePort,
) -> None:
    _answer_click(ack, body, action, client, messages, lifecycle.reject)


def on_cancel(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    lifecycle: CampaignLifecycle,
    messages: MessagePort,
) -> None:
    _answer_click(ack, body, action, client, messages, lifecycle.cancel)


def on_pause(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    lifecycle: CampaignLifecycle,
    messages: MessagePort,
) -> None:
    _answer_click(ack, body, action, client, messages, lifecycle.pause)


def on_resume(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    lifecycle: CampaignLifecycle,
    messages: MessagePort,
) -> None:
    _answer_click(ack, body, action, client, messages, lifecycle.resume)


def on_activate(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    lifecycle: CampaignLifecycle,
    messages: MessagePort,
) -> None:
    _answer_click(ack, body, action, client, messages, lifecycle.activate_now)


def on_resume_creation(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    lifecycle: CampaignLifecycle,
    messages: MessagePort,
    creation: CreationPort,
) -> None:
    def resume_creation(campaign_id: int, actor: Actor) -> CampaignSummary:
        summary = lifecycle.claim_resume(campaign_id, actor)
        creation.resume(summary.id, user_id=actor.user_id, team_id=actor.team_id)
        return summary

    _answer_click(ack, body, action, client, messages, resume_creation)


def on_sync(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    lifecycle: CampaignLifecycle,
    messages: MessagePort,
    status_sync: StatusSync,
) -> None:
    def sync(campaign_id: int, _actor: Actor) -> CampaignSummary:
        status_sync.sync(campaign_id)
        return lifecycle.summary(campaign_id)

    _answer_click(ack, body, action, client, messages, sync)


def _answer_click(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    messages: MessagePort,
    verb: Verb,
) -> None:
    """Ack, run the verb for the clicked campaign, refresh its message or explain the refusal."""
    ack()
    user = body.get("user", {})
    channel = (body.get("channel") or {}).get("id") or body.get("container", {}).get("channel_id")
    try:
        campaign_id = parse_action_value(action.get("value")).campaign_id
        actor = Actor(user.get("id", ""), user.get("team_id") or body.get("team", {}).get("id"))
        summary = verb(campaign_id, actor)
    except (AdBeeError, ActionValueError) as exc:
        if channel:
            client.chat_postEphemeral(channel=channel, user=user.get("id", ""), text=exc.message)
        return
    messages.refresh_campaign_message(summary)
