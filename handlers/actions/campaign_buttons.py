"""Approve, Reject, Reject ad, Cancel, Pause, Resume, Activate, Resume creation, Sync and Report buttons.

One listener per button, each calling its ``CampaignLifecycle`` verb by name, so "find usages"
of ``approve`` leads from the button to the domain. Anyone who sees a message can click its
buttons, so the role check happens in the domain on every click; a refusal is answered privately
and audited there.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from handlers.forms import ActionValueError, parse_action_value
from handlers.ports import CreationPort, MessagePort
from handlers.reporting import post_report
from meta.domain.access import Actor
from meta.domain.errors import AdBeeError
from meta.services.lifecycle import CampaignLifecycle
from meta.services.reports import CampaignReports
from meta.services.status_sync import StatusSync
from meta.services.summary import CampaignSummary

Verb = Callable[[int, Actor], CampaignSummary]
LifecycleVerb = Callable[[CampaignLifecycle, int, Actor], CampaignSummary]


def verb_listener(verb: LifecycleVerb) -> Callable[..., None]:
    """The listener for a button that runs one lifecycle verb, e.g. ``CampaignLifecycle.approve``.

    Registration names the method itself (``handlers/actions/__init__.py``), so a reader and a
    type checker follow a click to the domain by name, not through a string table.
    """

    def listener(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        lifecycle: CampaignLifecycle,
        messages: MessagePort,
    ) -> None:
        _answer_click(ack, body, action, client, messages, partial(verb, lifecycle))

    listener.__name__ = listener.__qualname__ = f"on_{verb.__name__}"
    return listener


def on_reject_ad(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    lifecycle: CampaignLifecycle,
    messages: MessagePort,
) -> None:
    """Reject one ad: its button (``value``) or, on a card of many ads, its option of the select
    (``selected_option.value``); both carry ``ActionMetadata(campaign_id, ad)``."""
    option = action.get("selected_option")
    value = option.get("value") if isinstance(option, dict) else action.get("value")

    def reject_ad(campaign_id: int, actor: Actor) -> CampaignSummary:
        ad = parse_action_value(value).ad
        if ad is None:
            raise ActionValueError("This button names no ad, so nothing was rejected.")
        return lifecycle.reject_ad(campaign_id, actor, ad)

    _answer_click(ack, body, {**action, "value": value}, client, messages, reject_ad)


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


def on_report(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    reports: CampaignReports,
) -> None:
    """Report (on a pacing alert): what ``/campaign report <id>`` posts, in the campaign's
    thread; an unknown campaign or Meta's refusal is told only to whoever clicked."""
    ack()
    user = body.get("user", {})
    channel = (body.get("channel") or {}).get("id") or body.get("container", {}).get("channel_id")
    try:
        campaign_id = parse_action_value(action.get("value")).campaign_id
        report = reports.report(str(campaign_id))
    except (AdBeeError, ActionValueError) as exc:
        _tell(client, channel, user.get("id", ""), exc.message)
        return
    post_report(client, report, fallback_channel=channel or user.get("id", ""))


def on_link(ack: Ack) -> None:
    """A link button: Slack opens the URL itself and still sends the click, which needs its ack."""
    ack()


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
        _tell(client, channel, user.get("id", ""), exc.message)
        return
    messages.refresh_campaign_message(summary)


def clicked_channel(body: dict[str, Any]) -> str | None:
    """The channel a click came from (None on the Home tab)."""
    return (body.get("channel") or {}).get("id") or body.get("container", {}).get("channel_id")


def tell(client: WebClient, channel: str | None, user_id: str, text: str) -> None:
    """A refusal, privately (``_tell``), for the other button listeners."""
    _tell(client, channel, user_id, text)


def _tell(client: WebClient, channel: str | None, user_id: str, text: str) -> None:
    """A refusal, privately: an ephemeral where the click was, else the app's DM."""
    if channel:
        client.chat_postEphemeral(channel=channel, user=user_id, text=text)
    elif user_id:  # a click on the Home tab: no channel, so the app's DM says why
        client.chat_postMessage(channel=user_id, text=text)
