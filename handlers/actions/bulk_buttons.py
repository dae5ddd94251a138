"""The batch message's Approve all button: every campaign of the batch approved by its own
rules (``BulkPort.approve_all`` calls ``CampaignLifecycle.approve`` once per campaign)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from handlers.ports import BulkPort
from meta.domain.access import Actor


def on_approve_all(ack: Ack, body: dict[str, Any], action: dict[str, Any], bulk: BulkPort) -> None:
    ack()
    user = body.get("user", {})
    container = body.get("container", {})
    bulk.approve_all(
        str(action.get("value", "")),
        Actor(user.get("id", ""), user.get("team_id")),
        channel=str(container.get("channel_id") or body.get("channel", {}).get("id", "")),
        ts=str(container.get("message_ts", "")),
    )
