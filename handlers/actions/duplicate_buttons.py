"""The Duplicate button on campaign cards: the create modal pre-filled from the campaign."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from handlers.actions.campaign_buttons import clicked_channel, tell
from handlers.metadata import ActionValueError, parse_action_value
from handlers.ports import DuplicatePort
from meta.domain.errors import AdBeeError


def on_duplicate(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    duplicates: DuplicatePort,
) -> None:
    ack()
    user = body.get("user", {})
    try:
        campaign_id = parse_action_value(action.get("value")).campaign_id
        view = duplicates.duplicator(str(campaign_id))
        client.views_open(trigger_id=body["trigger_id"], view=view)
    except (AdBeeError, ActionValueError) as exc:
        tell(client, clicked_channel(body), user.get("id", ""), exc.message)
