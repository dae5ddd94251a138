"""Messages of the watch after go-live: pacing and health alerts, and approval reminders.

A pacing alert goes to the campaign's thread and to the alerts channel, with what can be done
at once: Pause (live campaigns), Open in Ads Manager (a link) and Report (the
``/campaign report`` table and chart in the campaign's thread). A reminder goes to the campaign's thread only and mentions who may approve it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from handlers.blocks import campaign_parts as parts
from handlers.blocks.common import (
    Block,
    actions,
    button,
    context,
    esc,
    message,
    section,
    truncate,
)
from handlers.ids import CampaignAction, CampaignMessageBlock
from meta.services.summary import CampaignSummary

_M = CampaignMessageBlock
# pacing condition -> (emoji, what happened, what to do)
PACING: dict[str, tuple[str, str, str]] = {
    "no_delivery": (
        ":zzz:",
        "is live but not delivering",
        "Check the ad's review status, the audience and the budget in Ads Manager.",
    ),
    "underspend": (
        ":turtle:",
        "is spending slowly today",
        "Meta may catch up later in the day; a narrow audience or a low budget slows delivery.",
    ),
    "overspend": (
        ":money_with_wings:",
        "spent more than its budget allows today",
        "More than Meta's daily flexibility: check the budget in Ads Manager, or pause it.",
    ),
    "no_purchase": (
        ":shopping_trolley:",
        "is spending without a purchase",
        "Check the pixel's Purchase events and the landing page, or pause it.",
    ),
    "account_blocked": (
        ":no_entry:",
        "cannot deliver: its ad account is blocked",
        "Nothing in this ad account spends until Meta's block or the spend cap is lifted.",
    ),
}


def build_pacing_alert(condition: str, summary: CampaignSummary, detail: str | None) -> dict:
    """One pacing or health alert for ``summary``; ``detail`` holds Meta's numbers."""
    emoji, what, fix = PACING.get(condition, (":bell:", condition.replace("_", " "), ""))
    lines = [f"{emoji} {parts.title(summary)} {esc(what)}."]
    if detail:
        lines.append("> " + esc(detail))
    if fix:
        lines.append(fix)
    blocks: list[Block] = [
        section(truncate("\n".join(lines), 3000), block_id=_M.SUMMARY),
        context(
            f"{esc(summary.account_name)} · {esc(summary.budget_text)}/day · once a day per "
            "campaign and condition",
            block_id=_M.DETAIL,
        ),
        actions(_pacing_buttons(summary), block_id=_M.ACTIONS),
    ]
    return message(f"{esc(summary.name)} {what}" + (f": {esc(detail)}" if detail else ""), blocks)


def _pacing_buttons(summary: CampaignSummary) -> list[dict[str, Any]]:
    elements = [
        element
        for block in parts.management_buttons(summary)
        for element in block["elements"]
        if element["action_id"] == CampaignAction.PAUSE
    ]
    link = button("Open in Ads Manager", action_id=CampaignAction.OPEN_ADS_MANAGER)
    link["url"] = summary.ads_manager_url
    elements.append(link)
    elements.append(button("Report", action_id=CampaignAction.REPORT, value=parts.value(summary)))
    return elements


def build_approval_reminder(
    summary: CampaignSummary, approvers: Sequence[str], detail: str | None
) -> dict:
    """A reply in the campaign's thread that pings whoever may approve it."""
    who = " ".join(_mention(a) for a in approvers) or "Approvers"
    waited = f" ({esc(detail)})" if detail else ""
    text = (
        f":alarm_clock: {who}: {parts.title(summary)} is still waiting for approval{waited}. "
        "Approve or reject it on the card above, or from AdBee's Home tab."
    )
    return message(truncate(text, 3000), [section(truncate(text, 3000), block_id=_M.SUMMARY)])


def _mention(slack_id: str) -> str:
    """``<@U…>`` for a person, ``<!subteam^S…>`` for a user group (Slack's mention syntax)."""
    if slack_id.startswith("S"):
        return f"<!subteam^{esc(slack_id)}>"
    return f"<@{esc(slack_id)}>"
