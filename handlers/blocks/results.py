"""Modals shown after the create form is submitted: working, and video refused (form kept)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from handlers.blocks.campaign_modal import build_campaign_modal
from handlers.blocks.common import esc, plain, section, truncate
from handlers.ids import CampaignCreate, CampaignCreateBlock
from meta.domain.accounts import AccountConfig


def build_working_modal(*, name: str) -> dict[str, Any]:
    """Replaces the form at once so the user is never left staring at a spinner."""
    return {
        "type": "modal",
        "callback_id": f"{CampaignCreate.CALLBACK}-working",
        "title": plain("Creating campaign", 24),
        "close": plain("Close", 24),
        "blocks": [
            section(
                f":hourglass_flowing_sand: AdBee is creating *{esc(truncate(name, 200))}*, "
                "everything paused. You can close this; progress is posted in the campaigns "
                "channel and approvers are asked there."
            )
        ],
    }


def build_refused_modal(
    *,
    accounts: list[AccountConfig],
    templates: list[tuple[str, str]],
    prefill: Mapping[str, object],
    problem: str,
    template_notes: Sequence[str] = (),
) -> dict[str, Any]:
    """The form again, filled in as the user left it, with why it was not created on top."""
    view = build_campaign_modal(
        accounts=accounts, templates=templates, prefill=prefill, template_notes=template_notes
    )
    warning = section(
        f":warning: *Not created:* {esc(truncate(problem, 2500))}\n"
        "Correct it (attach the video again if it was the video) and submit again.",
        block_id=f"{CampaignCreateBlock.VIDEO}-problem",
    )
    view["blocks"] = [warning, *view["blocks"]][:100]
    return view
