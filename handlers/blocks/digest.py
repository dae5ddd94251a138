"""The daily digest message: one ad account's yesterday, in its currency and timezone."""

from __future__ import annotations

from typing import Any

from handlers.blocks.common import Block, context, esc, header, message, section, truncate
from meta.domain import report_table as fmt
from meta.domain.digest import CampaignDay, Digest

MAX_ATTENTION_LINES = 20


def build_digest(digest: Digest) -> dict[str, Any]:
    cur = digest.currency
    totals = digest.totals
    day = digest.day.strftime("%a %d %b %Y")
    fields = [
        f"*Spend*\n{fmt.money_with_code(totals.spend_minor, cur)}",
        f"*Impressions*\n{fmt.count(totals.impressions)}",
        f"*Clicks (CTR)*\n{fmt.count(totals.clicks)} ({fmt.percent(totals.ctr)})",
        f"*Purchases*\n{fmt.count(totals.purchases)}",
        f"*Purchase value*\n{fmt.money_with_code(totals.purchase_value_minor, cur)}",
        f"*ROAS*\n{fmt.roas(totals.roas)}",
    ]
    blocks: list[Block] = [
        header(f"Yesterday in {digest.account_name}"),
        section(
            f"{esc(day)} · {sum(c.ran for c in digest.campaigns)} campaign(s) delivered",
            fields=fields,
        ),
    ]
    best, worst = digest.best_and_worst()
    ranking = []
    if best is not None:
        ranking.append(f":trophy: Best: {_line(best, cur)}")
    if worst is not None:
        ranking.append(f":small_red_triangle_down: Worst: {_line(worst, cur)}")
    if ranking:
        blocks.append(section("\n".join(ranking)))
    needing = [c for c in digest.campaigns if c.attention]
    if needing:
        lines = [
            f"• *{esc(c.name)}* (AdBee #{c.adbee_id}) {esc(c.attention or '')}"
            for c in needing[:MAX_ATTENTION_LINES]
        ]
        if len(needing) > MAX_ATTENTION_LINES:
            lines.append(f"…and {len(needing) - MAX_ATTENTION_LINES} more")
        blocks.append(section(truncate("*Needs attention*\n" + "\n".join(lines), 3000)))
    blocks.append(
        context(
            f"{esc(day)}, {esc(digest.timezone)} · {esc(cur)} · attribution "
            f"{esc(digest.attribution or '7-day click, 1-day view')} · Meta's figures for a day "
            "can still change for up to 28 days as late conversions arrive."
        )
    )
    text = (
        f"Yesterday in {esc(digest.account_name)}: "
        f"{fmt.money_with_code(totals.spend_minor, cur)} spent, ROAS {fmt.roas(totals.roas)}"
    )
    return message(text, blocks)


def _line(campaign: CampaignDay, currency: str) -> str:
    d = campaign.day
    return (
        f"*{esc(campaign.name)}* (AdBee #{campaign.adbee_id}): ROAS {fmt.roas(d.roas)}, "
        f"{fmt.money_with_code(d.spend_minor, currency)} spent, {fmt.count(d.purchases)} purchase(s)"
    )


def digest_chart_title(digest: Digest) -> str:
    return f"{digest.account_name}: the last {len(digest.history)} days"


def digest_chart_filename(digest: Digest) -> str:
    return f"adbee-digest-{digest.account_key}-{digest.day.isoformat()}.png"


def digest_chart_alt_text(digest: Digest) -> str:
    totals = digest.totals
    return (
        f"Daily spend bars and ROAS line of {digest.account_name} for the {len(digest.history)} "
        f"days to {digest.day.isoformat()}; yesterday "
        f"{fmt.money_with_code(totals.spend_minor, digest.currency)} spent, ROAS "
        f"{fmt.roas(totals.roas)}."
    )
