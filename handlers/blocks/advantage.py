"""The approval card's line on Meta's Advantage+ classification of the campaign.

Approvers approve an "Advantage+ Sales" campaign; this says whether Meta agrees (its read-only
``advantage_state_info``), and when it does not, which lever is off and what to change.
"""

from __future__ import annotations

from handlers.blocks.common import Block, context, esc, section
from handlers.ids import CampaignMessageBlock
from meta.services.summary import CampaignSummary


def advantage_block(summary: CampaignSummary) -> Block:
    """One block: confirmed, not confirmed (with the levers that are off), or not read yet."""
    advantage = summary.advantage
    block_id = CampaignMessageBlock.ADVANTAGE
    if advantage is None:
        return context(
            ":grey_question: Meta's Advantage+ classification has not been read yet; the next "
            "status sync reads it.",
            block_id=block_id,
        )
    if advantage.is_sales:
        return context(
            ":white_check_mark: Meta classifies it as *Advantage+ Sales*: Advantage+ campaign "
            "budget, audience and placements are all on.",
            block_id=block_id,
        )
    lines = [
        ":warning: Meta does *not* classify it as Advantage+ Sales "
        f"(it reports `{esc(advantage.state)}`)."
    ]
    off = advantage.levers_off()
    for lever in off:
        state = esc(advantage.levers.get(lever.key, "UNKNOWN"))
        lines.append(f"• *{lever.name}* is off (`{state}`): {esc(lever.fix)}.")
    if not off:
        lines.append(
            "• All three levers are on, yet Meta reports another state; check Ads Manager."
        )
    return section("\n".join(lines), block_id=block_id)
