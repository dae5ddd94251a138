"""The App Home tab: the team's campaigns in three groups, with the channel cards' buttons.

Groups: waiting for approval (``created``), scheduled, live (``active`` and ``paused``, with
today's spend and ROAS once insights are read). An approver sees what waits for them first; a
requester sees live campaigns first. Within a group the viewer's own campaigns come first.

The buttons are taken from the campaign's channel card itself (``build_decided_message``), so the
Home tab can never offer a button the card does not, nor miss one the card gains. Their block ids
are made unique per campaign: Slack refuses a view with two blocks of the same ``block_id``.

A Home tab holds at most 100 blocks (docs.slack.dev/reference/views/home-tab-views; checked by
``slack_sdk.models.views.View``), so each group is cut and says how many more there are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from handlers.blocks import campaign_parts as parts
from handlers.blocks.approval import build_decided_message
from handlers.blocks.common import Block, context, divider, esc, header, mention, section
from handlers.ids import HomeBlock
from meta.services.summary import CampaignSummary

MAX_VIEW_BLOCKS = 100
# Blocks per campaign: its section, its buttons. Eight per group keeps three groups, their
# headers and "more" lines well inside the 100.
MAX_PER_GROUP = 8


@dataclass(frozen=True)
class TodayNumbers:
    """Today's figures for a live campaign, already formatted in the account's currency."""

    spend_text: str
    roas_text: str


@dataclass(frozen=True)
class _Group:
    key: str
    title: str
    empty: str
    statuses: tuple[str, ...]


_WAITING = _Group("waiting", "Waiting for approval", "Nothing waits for approval.", ("created",))
_WAITING_FOR_YOU = _Group(
    "waiting", "Waiting for your approval", "Nothing waits for your approval.", ("created",)
)
_SCHEDULED = _Group("scheduled", "Scheduled", "Nothing is scheduled.", ("scheduled", "armed"))
_LIVE = _Group("live", "Live", "Nothing is live.", ("active", "paused"))


def build_home(
    *,
    user_id: str,
    is_approver: bool,
    campaigns: Sequence[CampaignSummary],
    now: datetime,
    today: Mapping[int, TodayNumbers] | None = None,
) -> dict[str, Any]:
    """The ``home`` view for ``user_id`` over the team's current campaigns."""
    today = today or {}
    groups = (_WAITING_FOR_YOU, _SCHEDULED, _LIVE) if is_approver else (_LIVE, _SCHEDULED, _WAITING)
    blocks: list[Block] = [
        section(
            f"Campaigns of the team, {mention(user_id)}'s own first. "
            "`/campaign create` starts a new one; `/campaign list` shows every campaign.",
            block_id=HomeBlock.INTRO,
        )
    ]
    for group in groups:
        members = [c for c in campaigns if c.status in group.statuses]
        members.sort(key=lambda c: (c.requested_by != user_id, -c.id))
        blocks.append(header(f"{group.title} ({len(members)})", block_id=f"home-{group.key}"))
        if not members:
            blocks.append(context(group.empty, block_id=f"home-{group.key}-empty"))
        for summary in members[:MAX_PER_GROUP]:
            blocks += _campaign(summary, user_id, now, today.get(summary.id))
        if len(members) > MAX_PER_GROUP:
            more = len(members) - MAX_PER_GROUP
            blocks.append(
                context(
                    f"…and {more} more: `/campaign list` shows them all.",
                    block_id=f"home-{group.key}-more",
                )
            )
        blocks.append(divider())
    blocks.append(context(f"Updated {esc(now.strftime('%d %b %Y %H:%M UTC'))}."))
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}


def _campaign(
    summary: CampaignSummary, user_id: str, now: datetime, numbers: TodayNumbers | None
) -> list[Block]:
    own = " · _yours_" if summary.requested_by == user_id else ""
    lines = [f"{parts.title(summary)}{own}"]
    facts = f"{esc(summary.account_name)} · {esc(summary.budget_text)}/day"
    if summary.status == "created":
        lines.append(f"{facts} · starts {esc(summary.start_text)}")
        lines.append(f"Requested by {mention(summary.requested_by)}")
    elif summary.status in ("scheduled", "armed"):
        at = summary.activate_at or summary.start_time
        lines.append(f"{facts} · activates {esc(summary.local(at))}")
    else:
        state = "paused" if summary.status == "paused" else "live"
        lines.append(f"{facts} · {state}")
        if numbers is not None:
            lines.append(f"Today: spent {esc(numbers.spend_text)} · ROAS {esc(numbers.roas_text)}")
        else:
            lines.append("Today: no figures from Meta yet")
    blocks: list[Block] = [section("\n".join(lines), block_id=f"home-c{summary.id}")]
    card = build_decided_message(summary, now)
    for i, block in enumerate(b for b in card["blocks"] if b.get("type") == "actions"):
        blocks.append({**block, "block_id": f"home-c{summary.id}-actions-{i}"})
    return blocks
