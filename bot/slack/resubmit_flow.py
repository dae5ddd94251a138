"""Edit and re-submit after Meta disapproved an ad (issue 16).

The disapproval alert's button opens the edit modal (``EditFlow.editor``, what Meta holds now)
with Meta's reason on top (the ad review feedback the status sync kept in ``last_sync``). The
submission is an ordinary edit: texts, link or call to action make a new creative swapped into
the ad (``EditService``), which sends the ad back into Meta's review; the status sync reports
that review's outcome like any other. This flow adds the reason and the audit line that says the
edit was a re-submit after a disapproval.
"""

from __future__ import annotations

from typing import Any

from handlers.blocks.resubmit import build_resubmit_modal
from handlers.ports import EditPort
from meta.domain.ports import CampaignRepository
from meta.services.edits import EditError


class ResubmitFlow:
    def __init__(self, *, edits: EditPort, store: CampaignRepository) -> None:
        self._edits = edits
        self._store = store

    def resubmitter(self, campaign_id: int) -> dict[str, Any]:
        return build_resubmit_modal(
            self._edits.editor(str(campaign_id)), reason=self.reason(campaign_id)
        )

    def reason(self, campaign_id: int) -> str:
        """Meta's words for every disapproved ad of the campaign, as the last sync read them."""
        row = self._store.get(campaign_id)
        if row is None:
            raise EditError(f"No campaign #{campaign_id}.")
        seen = row.last_sync or {}
        lines = (
            [str(seen["review"])] if seen.get("ad") == "DISAPPROVED" and seen.get("review") else []
        )
        for other in (seen.get("other_ads") or {}).values():
            if isinstance(other, dict) and other.get("status") == "DISAPPROVED":
                lines.append(
                    f"{other.get('name') or 'an ad'}: {other.get('review') or 'no reason'}"
                )
        return "\n".join(lines) or "Meta gave no reason."

    def resubmitted(self, campaign_id: int, *, user_id: str) -> None:
        self._store.audit(
            actor=user_id,
            action="resubmit",
            outcome="requested",
            campaign_id=campaign_id,
            detail="edit and re-submit after Meta's disapproval: "
            + self.reason(campaign_id).replace("\n", "; "),
        )
