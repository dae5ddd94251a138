"""Buttons that open a modal filled from a campaign: Duplicate on campaign cards (the create
form) and Edit and re-submit on a disapproval alert (the edit form with Meta's reason on top)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from handlers.actions.campaign_buttons import clicked_channel, tell
from handlers.metadata import ActionValueError, parse_action_value
from handlers.ports import DuplicatePort, ResubmitPort
from meta.domain.errors import AdBeeError


def on_duplicate(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    duplicates: DuplicatePort,
) -> None:
    _open(ack, body, action, client, lambda campaign_id: duplicates.duplicator(str(campaign_id)))


def on_resubmit(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    resubmit: ResubmitPort,
) -> None:
    _open(ack, body, action, client, resubmit.resubmitter)


def _open(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    build: Callable[[int], dict[str, Any]],
) -> None:
    """The modal ``build`` makes for the button's campaign; a refusal told privately."""
    ack()
    user = body.get("user", {})
    try:
        campaign_id = parse_action_value(action.get("value")).campaign_id
        client.views_open(trigger_id=body["trigger_id"], view=build(campaign_id))
    except (AdBeeError, ActionValueError) as exc:
        tell(client, clicked_channel(body), user.get("id", ""), exc.message)
