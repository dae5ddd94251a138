"""What the approver sees of the real ad: the video's thumbnail, Meta's previews, the choices sent.

The approval card used to show a summary of the form; what Meta runs is the requests AdBee sent.
These blocks show those: the thumbnail Meta picked (an image block), links to Meta's own previews
per placement, the final URL with its UTMs, each Advantage+ creative enhancement choice, the
multi-advertiser choice and the object names, as ``CampaignSummary.request`` read them from the
requests. Pure functions of the summary.
"""

from __future__ import annotations

from handlers.blocks import campaign_parts as parts
from handlers.blocks.common import (
    Block,
    actions,
    button,
    confirm_dialog,
    context,
    dialog_name,
    esc,
    section,
    truncate,
)
from handlers.ids import CampaignAction, CampaignMessageBlock
from meta.domain.approval import RequestFacts
from meta.services.summary import CampaignSummary

_M = CampaignMessageBlock
IMAGE_URL_LIMIT = 3000  # slack_sdk.models ImageBlock.image_url_max_length
ALT_TEXT_LIMIT = 2000  # ImageBlock.alt_text_max_length


def thumbnail_block(summary: CampaignSummary) -> list[Block]:
    """The video's thumbnail as an image block; nothing when Meta gave none (or it is too long)."""
    url = summary.thumbnail_url
    if not url or not url.startswith(("https://", "http://")) or len(url) > IMAGE_URL_LIMIT:
        return []
    return [
        {
            "type": "image",
            "image_url": url,
            "alt_text": truncate(f"Thumbnail of the video of {summary.name}", ALT_TEXT_LIMIT),
            "block_id": _M.THUMBNAIL,
        }
    ]


def previews_block(summary: CampaignSummary) -> Block:
    """Links to Meta's previews (Feed, Reels, Stories, shareable), or why there are none."""
    if not summary.previews:
        return context(
            ":grey_question: Meta's previews of the ad could not be read; open it in Ads "
            "Manager to see it.",
            block_id=_M.PREVIEWS,
        )
    links = " · ".join(f"<{esc(url)}|{esc(label)}>" for label, url in summary.previews)
    return section(f":eyes: *See the ad as Meta shows it:* {links}", block_id=_M.PREVIEWS)


def choices_block(summary: CampaignSummary) -> list[Block]:
    """The final URL, the enhancement and multi-advertiser choices and the names, as sent."""
    facts = summary.request
    if facts is None:
        return []
    lines = [
        f"*Final URL:* `{esc(facts.final_url)}`" if facts.final_url else "*Final URL:* none",
        f"*Advantage+ creative enhancements:* {enhancements_text(facts)}",
        f"*Multi-advertiser ads:* {multi_advertiser_text(facts)}",
        "*Names:* " + " · ".join(f"{esc(level)} `{esc(name)}`" for level, name in facts.names),
    ]
    return [section(truncate("\n".join(lines), 3000), block_id=_M.CHOICES)]


def enhancements_text(facts: RequestFacts) -> str:
    """'all 14 opted out', or which ones are on; Meta's defaults when the request names none."""
    if not facts.enhancements:
        return "Meta's defaults (the request opts out of none; Meta may apply any of them)"
    opted_in = facts.opted_in
    total = len(facts.enhancements)
    if not opted_in:
        return f"all {total} opted out"
    on = ", ".join(f"`{esc(name)}`" for name in opted_in)
    return f"{len(opted_in)} of {total} on: {on}; the others opted out"


def multi_advertiser_text(facts: RequestFacts) -> str:
    status = facts.multi_advertiser
    if status is None:
        return "Meta's default (enrolled: the ad may show next to other advertisers' ads)"
    if status == "OPT_OUT":
        return "off (`OPT_OUT`)"
    return f"on (`{esc(status)}`)"


def big_spend_block(summary: CampaignSummary) -> list[Block]:
    """Who may approve a budget above the account's ``approval.budget_above``."""
    if not summary.big_spend_approvers:
        return []
    who = ", ".join(_person_or_group(i) for i in summary.big_spend_approvers)
    return [
        context(
            f":moneybag: {esc(summary.budget_text)}/day is above the account's big-spend "
            f"threshold: only {who} can approve it.",
            block_id=_M.BIG_SPEND,
        )
    ]


def changed_block(summary: CampaignSummary) -> list[Block]:
    """What changed since the last approval, when a change asks for a new one."""
    if not summary.changed_since_approval:
        return []
    lines = "\n".join(f"• `{esc(line)}`" for line in summary.changed_since_approval[:20])
    return [
        section(
            truncate(f":arrows_counterclockwise: *Changed since it was approved:*\n{lines}", 3000),
            block_id=_M.CHANGED,
        )
    ]


def _person_or_group(slack_id: str) -> str:
    return f"<!subteam^{slack_id}>" if slack_id.startswith("S") else f"<@{slack_id}>"


def drift_block(summary: CampaignSummary) -> list[Block]:
    """What Meta shows unlike the approved settings, with the button that re-applies them."""
    if not summary.drift:
        return []
    lines = "\n".join(f"• {esc(line)}" for line in summary.drift[:20])
    text = f":rotating_light: *Meta no longer shows the approved settings:*\n{lines}"
    return [section(truncate(text, 3000), block_id=_M.DRIFT), reapply_buttons(summary)]


def reapply_buttons(summary: CampaignSummary) -> Block:
    """The button that sends the approved settings again (approvers only)."""
    reapply = button(
        "Re-apply approved settings",
        action_id=CampaignAction.REAPPLY,
        value=parts.value(summary),
        style="primary",
        confirm=confirm_dialog(
            "Re-apply the approved settings?",
            f"AdBee creates {dialog_name(summary.name)}'s creative again from the approved "
            "request and points the ad at it; Meta reviews the ad again.",
            "Re-apply",
        ),
    )
    return actions([reapply], block_id=_M.REAPPLY)
