"""Edit and re-submit after Meta disapproved an ad: the edit modal with Meta's reason on top.

The modal is the edit's own (``handlers.blocks.edits.build_edit_modal``, submitted through the
edit flow): changing the texts or link makes a new creative that is swapped into the ad, which
Meta then reviews again; the status sync tells the result as it tells any review. What this adds
is the reason, where the fix is typed, and a mark in ``private_metadata`` (``resubmit``) so the
submission is audited as a re-submit.
"""

from __future__ import annotations

import json
from typing import Any

from handlers.blocks.common import context, esc, truncate
from handlers.ids import CampaignEditBlock

RESUBMIT_KEY = "resubmit"


def build_resubmit_modal(edit_view: dict[str, Any], *, reason: str) -> dict[str, Any]:
    """``edit_view`` with Meta's ``reason`` (the ad review feedback) as its first block."""
    lines = [line.strip() for line in reason.splitlines() if line.strip()] or [
        "Meta gave no reason."
    ]
    why = context(
        ":no_entry: *Meta disapproved the ad:* "
        + truncate("; ".join(esc(line) for line in lines), 1500)
        + "\nFix the text, headline, link or call to action below: AdBee makes a new creative, "
        "Meta reviews it again, and the campaign's thread follows the review.",
        block_id=CampaignEditBlock.REVIEW_REASON,
    )
    try:
        metadata = json.loads(edit_view.get("private_metadata") or "{}")
    except ValueError:
        metadata = {}
    metadata = {**(metadata if isinstance(metadata, dict) else {}), RESUBMIT_KEY: True}
    return {
        **edit_view,
        "blocks": [why, *edit_view.get("blocks", [])],
        "private_metadata": json.dumps(metadata),
    }


def is_resubmit(view: dict[str, Any]) -> bool:
    """A submitted edit modal opened from a disapproval alert."""
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return False
    return isinstance(metadata, dict) and metadata.get(RESUBMIT_KEY) is True
