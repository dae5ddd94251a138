"""Submit of the ``/campaign bulk`` modal: the sheet's errors on its field, or every row recorded,
a working view, and the batch started."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt import Ack

from handlers.blocks.bulk import build_bulk_working_modal, bulk_channel
from handlers.ids import CampaignBulk
from handlers.ports import BulkPort
from handlers.uploads import SlackFile, read_file
from handlers.views.create_campaign import submission_key
from meta.domain.errors import AdBeeError


def handle_bulk_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], bulk: BulkPort
) -> None:
    values = view.get("state", {}).get("values", {})
    sheets = attached(values, CampaignBulk.SHEET_BLOCK)
    plan = bulk.check(
        sheets[0] if sheets else None,
        attached(values, CampaignBulk.VIDEOS_BLOCK),
        channel=bulk_channel(view),
    )
    if plan.errors:
        ack(response_action="errors", errors=plan.errors)
        return
    user = body.get("user", {})
    try:  # recorded before the ack, as a single create form is
        request_ids = bulk.launch(
            plan,
            key=submission_key(view),
            user_id=user.get("id", ""),
            team_id=user.get("team_id"),
            view_id=view["id"],
        )
    except AdBeeError as exc:
        ack(response_action="errors", errors={str(CampaignBulk.SHEET_BLOCK): exc.message})
        return
    ack(response_action="update", view=build_bulk_working_modal(len(plan.forms)))
    if request_ids:  # none: a redelivery of a submission already recorded
        bulk.start(plan, request_ids, user_id=user.get("id", ""))


def attached(values: Mapping[str, Any], block: str) -> tuple[SlackFile, ...]:
    """The files of one file input of the modal (none when the block is missing or empty)."""
    actions = values.get(str(block))
    if not isinstance(actions, Mapping) or not actions:
        return ()
    state = next(iter(actions.values()))
    files = state.get("files") if isinstance(state, Mapping) else None
    return tuple(read_file(f) for f in files) if isinstance(files, list) else ()
