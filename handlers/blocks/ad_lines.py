"""Every ad of a campaign of several on its approval card: thumbnail, texts, previews, Reject.

Up to ``PER_AD_LIMIT`` ads (the create form's ten files) each get a section (its video's
thumbnail as the accessory, its file, headline, primary text and Meta's previews) and an actions
row with its own Reject button: two blocks an ad, so ten ads and the rest of the card stay far
below a message's 50 blocks. More ads (a campaign file may list 50) are listed in one context
block, and one select offers Reject for any of them. An ad an approver rejected is one struck
line. Pure functions of the summary.
"""

from __future__ import annotations

from handlers.blocks.common import (
    CONTEXT_TEXT,
    Block,
    actions,
    button,
    confirm_dialog,
    context,
    dialog_name,
    esc,
    mention,
    plain,
    section,
    truncate,
)
from handlers.ids import CampaignAction, CampaignMessageBlock
from handlers.metadata import ActionMetadata
from meta.services.summary import AdLine, CampaignSummary

PER_AD_LIMIT = 10  # two blocks an ad: 20 of a message's 50
IMAGE_URL_LIMIT = 3000  # slack_sdk.models ImageElement.image_url_max_length
_M = CampaignMessageBlock


def ad_blocks(summary: CampaignSummary, *, decidable: bool) -> list[Block]:
    """The card's ads (nothing for a one-ad campaign); ``decidable`` adds the Reject controls
    (the approval card; a decided card only lists them)."""
    if len(summary.ads) < 2:
        return []
    left = [ad for ad in summary.ads if not ad.rejected_by]
    # The last ad left has no Reject: rejecting the campaign says that (the domain refuses too).
    can_reject = decidable and len(left) > 1
    if len(left) == len(summary.ads):
        intro = f"*{len(left)} ads*, one per video; approving switches on all of them."
    else:
        these = "this one" if len(left) == 1 else "these"
        intro = (
            f"*{len(left)} ad{'s' if len(left) != 1 else ''}* of {len(summary.ads)}, one per "
            f"video; approving switches on {these} and no rejected one."
        )
    blocks: list[Block] = [context(intro, block_id=_M.ADS)]
    if len(summary.ads) > PER_AD_LIMIT:
        blocks.append(
            context(*_chunks([_listed(ad) for ad in summary.ads]), block_id=f"{_M.ADS}-list")
        )
        if can_reject:
            blocks.append(_reject_select(summary, left))
        return blocks
    for ad in summary.ads:
        if ad.rejected_by:
            blocks.append(context(_rejected(ad), block_id=f"{_M.AD}-{ad.index}"))
            continue
        blocks.append(_ad_section(ad))
        if can_reject:
            blocks.append(
                actions([_reject_button(summary, ad)], block_id=f"{_M.AD_ACTIONS}-{ad.index}")
            )
    return blocks


def _ad_section(ad: AdLine) -> Block:
    ident = f" · ad `{esc(ad.ad_id)}`" if ad.ad_id else ""
    lines = [
        f"*{ad.index}.* `{esc(truncate(ad.video_name, 80))}`{ident}",
        f"*{esc(truncate(ad.headline, 100))}*",
        esc(truncate(ad.primary_text, 300)),
    ]
    if ad.previews:
        links = " · ".join(f"<{esc(url)}|{esc(label)}>" for label, url in ad.previews)
        lines.append(f":eyes: {links}")
    block = section("\n".join(lines), block_id=f"{_M.AD}-{ad.index}")
    url = ad.thumbnail_url
    if url and url.startswith(("https://", "http://")) and len(url) <= IMAGE_URL_LIMIT:
        block["accessory"] = {
            "type": "image",
            "image_url": url,
            "alt_text": truncate(f"Thumbnail of {ad.video_name}", 2000),
        }
    return block


def _rejected(ad: AdLine) -> str:
    return (
        f":no_entry_sign: ~{ad.index}. `{esc(truncate(ad.video_name, 80))}`~ rejected by "
        f"{mention(ad.rejected_by)}; deleted from Meta"
    )


def _listed(ad: AdLine) -> str:
    if ad.rejected_by:
        return _rejected(ad)
    ident = f" · ad `{esc(ad.ad_id)}`" if ad.ad_id else ""
    return (
        f"{ad.index}. `{esc(truncate(ad.video_name, 60))}`: {esc(truncate(ad.headline, 60))} / "
        f"{esc(truncate(ad.primary_text, 80))}{ident}"
    )


def _chunks(lines: list[str]) -> list[str]:
    """Lines joined into a context block's elements (10 of ``CONTEXT_TEXT`` characters each)."""
    chunks: list[str] = []
    for line in lines:
        if chunks and len(chunks[-1]) + 1 + len(line) <= CONTEXT_TEXT:
            chunks[-1] += "\n" + line
        else:
            chunks.append(truncate(line, CONTEXT_TEXT))
    return chunks[:10]


def _value(summary: CampaignSummary, ad: AdLine) -> str:
    return ActionMetadata(campaign_id=summary.id, ad=ad.index).to_value()


def _reject_button(summary: CampaignSummary, ad: AdLine) -> dict[str, object]:
    others = len([a for a in summary.ads if not a.rejected_by]) - 1
    return button(
        f"Reject ad {ad.index}",
        action_id=CampaignAction.REJECT_AD,
        value=_value(summary, ad),
        confirm=confirm_dialog(
            f"Reject ad {ad.index}?",
            f"AdBee deletes ad {ad.index} ({dialog_name(ad.video_name, 80)}) of "
            f"{dialog_name(summary.name, 80)} and its creative from Meta. The "
            f"other {others} ad{'s' if others != 1 else ''} stay for approval. This cannot be "
            "undone.",
            "Reject ad",
            style="danger",
        ),
    )


def _reject_select(summary: CampaignSummary, left: list[AdLine]) -> Block:
    """Reject for a card of more ads than get a button each: one select, one option an ad."""
    options = [
        {
            "text": plain(f"Ad {ad.index}: {ad.video_name}", 75),
            "value": _value(summary, ad),
        }
        for ad in left[:100]
    ]
    select = {
        "type": "static_select",
        "action_id": str(CampaignAction.REJECT_AD),
        "placeholder": plain("Reject one ad…", 150),
        "options": options,
        "confirm": confirm_dialog(
            "Reject this ad?",
            f"AdBee deletes the chosen ad of {dialog_name(summary.name, 80)} and its creative "
            "from Meta; the other ads stay for approval. This cannot be undone.",
            "Reject ad",
            style="danger",
        ),
    }
    return actions([select], block_id=f"{_M.AD_ACTIONS}-select")
