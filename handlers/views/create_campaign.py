"""Submit of the create modal: field errors in the modal, or a working view and background work."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from slack_bolt import Ack

from handlers.blocks.results import build_working_modal
from handlers.forms import parse_campaign_form
from handlers.ids import FALLBACK_BLOCK
from handlers.modal_memory import recall
from handlers.ports import CreationPort
from meta.domain.errors import AdBeeError


def handle_create_campaign_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], creation: CreationPort
) -> None:
    # Inputs Slack left out of state.values after a views.update come from the remembered prefill.
    form = parse_campaign_form(
        view.get("state", {}).get("values"), remembered=recall(view.get("private_metadata"))
    )
    errors = creation.check_form(form)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    user = body.get("user", {})
    try:  # recorded before the ack: "AdBee is creating…" is a promise a crash cannot break
        request_id = creation.record(
            form,
            key=submission_key(view),
            user_id=user.get("id", ""),
            team_id=user.get("team_id"),
            view_id=view["id"],
        )
    except AdBeeError as exc:
        ack(response_action="errors", errors={str(FALLBACK_BLOCK): exc.message})
        return
    ack(response_action="update", view=build_working_modal(name=form.name or "your campaign"))
    if request_id is not None:  # None: a redelivery of a submission already recorded
        creation.start(request_id)


def submission_key(view: dict[str, Any]) -> str:
    """Same view version and values = the same submission, however often Slack delivers it.

    The view's ``hash`` changes with every ``views.update``, so after AdBee re-shows the form
    (e.g. the video was refused) submitting the same values again is a new submission.
    """
    values = json.dumps(view.get("state", {}).get("values", {}), sort_keys=True)
    digest = hashlib.sha256(f"{view.get('hash')}|{values}".encode()).hexdigest()[:32]
    return f"view:{view.get('id')}:{digest}"
