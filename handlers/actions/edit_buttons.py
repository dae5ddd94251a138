"""The Edit button on campaign cards, and Approve / Reject / Finish / Undo on an edit's card.

Thin: parse the button's value, call the edit port, tell the clicker privately on a refusal (the
role checks are the edit service's, on every click).
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from handlers.actions.campaign_buttons import clicked_channel, tell
from handlers.metadata import ActionValueError, parse_action_value, parse_edit_value
from handlers.ports import EditPort
from meta.domain.errors import AdBeeError


def on_edit(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, edits: EditPort
) -> None:
    """Open the edit modal, pre-filled from what Meta holds now."""
    ack()
    user = body.get("user", {})
    try:
        campaign_id = parse_action_value(action.get("value")).campaign_id
        client.views_open(trigger_id=body["trigger_id"], view=edits.editor(str(campaign_id)))
    except (AdBeeError, ActionValueError) as exc:
        tell(client, clicked_channel(body), user.get("id", ""), exc.message)


def on_edit_decision(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, edits: EditPort
) -> None:
    """Approve, Reject, Finish or Undo (the action id says which); the card follows."""
    ack()
    user = body.get("user", {})
    try:
        edit_id = parse_edit_value(action.get("value")).edit_id
        edits.decide(
            edit_id,
            str(action.get("action_id")),
            user_id=user.get("id", ""),
            team_id=user.get("team_id") or body.get("team", {}).get("id"),
        )
    except (AdBeeError, ActionValueError) as exc:
        tell(client, clicked_channel(body), user.get("id", ""), exc.message)
