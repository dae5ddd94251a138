"""Approve, Reject, Cancel, Pause, Resume, Activate and Sync buttons on campaign messages.

Anyone who sees a message can click its buttons, so the role check happens in the domain
(``CampaignLifecycle``) on every click; a refusal is answered privately and audited there.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from handlers.forms import ActionValueError, parse_action_value
from handlers.ids import CampaignAction
from handlers.ports import CreationPort, MessagePort
from meta.access import Actor
from meta.errors import AdBeeError
from meta.lifecycle import CampaignLifecycle
from meta.status_sync import StatusSync

_VERBS = {
    CampaignAction.APPROVE: "approve",
    CampaignAction.REJECT: "reject",
    CampaignAction.CANCEL: "cancel",
    CampaignAction.PAUSE: "pause",
    CampaignAction.RESUME: "resume",
    CampaignAction.ACTIVATE: "activate_now",
}


def handle_campaign_button(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    lifecycle: CampaignLifecycle,
    status_sync: StatusSync,
    messages: MessagePort,
    creation: CreationPort,
) -> None:
    ack()
    user = body.get("user", {})
    channel = (body.get("channel") or {}).get("id") or body.get("container", {}).get("channel_id")
    try:
        campaign_id = parse_action_value(action.get("value")).campaign_id
        actor = Actor(user.get("id", ""), user.get("team_id") or body.get("team", {}).get("id"))
        if action["action_id"] == CampaignAction.RESUME_CREATION:
            summary = lifecycle.claim_resume(campaign_id, actor)
            creation.resume(summary.id, user_id=actor.user_id, team_id=actor.team_id)
        elif action["action_id"] == CampaignAction.SYNC:
            status_sync.sync(campaign_id)
            summary = lifecycle.summary(campaign_id)
        else:
            summary = getattr(lifecycle, _VERBS[CampaignAction(action["action_id"])])(
                campaign_id, actor
            )
    except (AdBeeError, ActionValueError) as exc:
        if channel:
            client.chat_postEphemeral(channel=channel, user=user.get("id", ""), text=exc.message)
        return
    messages.refresh_campaign_message(summary)
