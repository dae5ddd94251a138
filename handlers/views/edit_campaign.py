"""Submit of the edit modal: field errors in the modal, or the diff and the work in background."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack

from handlers.blocks.resubmit import is_resubmit
from handlers.ids import CampaignEditBlock
from handlers.ports import EditPort, ResubmitPort
from meta.domain.errors import AdBeeError


def handle_edit_submission(
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    edits: EditPort,
    resubmit: ResubmitPort | None = None,
) -> None:
    try:
        campaign_id = int(json.loads(view.get("private_metadata") or "{}")["campaign_id"])
    except (ValueError, KeyError, TypeError):
        ack(response_action="errors", errors={CampaignEditBlock.DAILY_BUDGET.value: "Stale form"})
        return
    values = view.get("state", {}).get("values")
    try:
        errors, sent = edits.check(campaign_id, values)
    except AdBeeError as exc:
        ack(
            response_action="errors",
            errors={CampaignEditBlock.DAILY_BUDGET.value: exc.message[:300]},
        )
        return
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack(response_action="update", view=sent)
    user = body.get("user", {})
    edits.start(
        campaign_id,
        values,
        user_id=user.get("id", ""),
        team_id=user.get("team_id"),
        view_id=view.get("id"),
    )
    if resubmit is not None and is_resubmit(view):  # opened from a disapproval alert
        resubmit.resubmitted(campaign_id, user_id=user.get("id", ""))
