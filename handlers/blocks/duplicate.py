"""The Duplicate modal: the create modal, pre-filled from a campaign (``/campaign duplicate``).

A duplicate is a new creation request: the same form, the same checks and the same approval.
What differs is said on top (which campaign it copies, what happens to its videos) and carried
in ``private_metadata`` (``duplicate_of``), so the submission uses the source's videos when no
file is attached.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from handlers.blocks.campaign_modal import build_campaign_modal
from handlers.blocks.common import context, esc, plain
from handlers.ids import CampaignCreateBlock
from meta.domain.accounts import AccountConfig


def build_duplicate_modal(
    *,
    accounts: list[AccountConfig],
    prefill: Mapping[str, object],
    source_id: int,
    source_name: str,
    source_account: str,
    videos: Sequence[str],
    notes: Sequence[str] = (),
) -> dict[str, Any]:
    """The create modal filled with ``prefill`` (the source's request as Meta holds it now)."""
    values = {**prefill, "duplicate_of": str(source_id)}
    view = build_campaign_modal(accounts=accounts, templates=[], prefill=values)
    names = ", ".join(v.rsplit("/", 1)[-1] for v in videos[:3]) + ("…" if len(videos) > 3 else "")
    about = context(
        f"Duplicate of *#{source_id} {esc(source_name)}* ({esc(source_account)}). In "
        f"{esc(source_account)} its videos are used as Meta holds them (nothing is uploaded); "
        "in another account they are uploaded there. A duplicate is a new campaign: it is "
        "created paused and waits for approval.",
        *(f":information_source: {esc(note)}" for note in notes),
        block_id=CampaignCreateBlock.DUPLICATE_INTRO,
    )
    blocks = list(view["blocks"])
    blocks.insert(1, about)
    for block in blocks:
        if block.get("block_id") == CampaignCreateBlock.VIDEO:
            block["hint"] = plain(
                f"Leave empty to use the source's {esc(names)}; attach files to use others.", 2000
            )
    return {**view, "title": plain("Duplicate campaign", 24), "blocks": blocks}
