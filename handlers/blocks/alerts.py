"""Alerts posted to the alerts channel by jobs: live, late, failed, changed, disapproved.

``detail`` is the text the domain queued with the alert (Meta's message and the fix, the old and
new status, the review reason). An unknown ``kind`` still renders, generically, because a job
that cannot post an alert about a new kind is worse than a plain one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handlers.blocks import campaign_parts as parts
from handlers.blocks import review
from handlers.blocks.common import (
    Block,
    context,
    esc,
    message,
    section,
    truncate,
)
from handlers.ids import CampaignMessageBlock
from meta.domain.times import humanize_delta
from meta.services.status_sync import SETTINGS_DRIFT
from meta.services.summary import CampaignSummary

_M = CampaignMessageBlock
# kind -> (emoji, what happened, what to do; "" when nothing is needed)
KINDS: dict[str, tuple[str, str, str]] = {
    "live": (":rocket:", "is live", ""),
    "live_late": (":rocket:", "went live late", "Check the start time and budget pacing."),
    "start_delayed": (
        ":hourglass_flowing_sand:",
        "will start late: Meta asked AdBee to wait",
        "Nothing to do: AdBee switches it on when Meta allows. Reschedule it if a later start "
        "suits better.",
    ),
    "activation_failed": (
        ":red_circle:",
        "could not be activated",
        "It is paused again. Fix the problem, then retry or reschedule.",
    ),
    "creation_failed": (
        ":warning:",
        "could not be created",
        "Fix the problem and create it again; finished steps are not repeated.",
    ),
    "status_changed": (":arrows_counterclockwise:", "changed status in Meta", ""),
    "ad_disapproved": (
        ":no_entry:",
        "has an ad Meta disapproved",
        "*Edit and re-submit* fixes the text or link: AdBee makes a new creative for the ad, "
        "Meta reviews it again and the campaign's thread follows the review.",
    ),
    "delivery_issue": (":warning:", "has a delivery issue", "Open it in Ads Manager for details."),
    SETTINGS_DRIFT: (
        ":rotating_light:",
        "no longer runs with the settings that were approved",
        "An approver can re-apply them: AdBee sends the approved creative again and points the "
        "ad at it (and sends the approved budget strategy and targeting if the campaign changed).",
    ),
    "database_down": (
        ":rotating_light:",
        "cannot use its database",
        "AdBee retries on its own; check the database server, its disk, or whatever holds a "
        "lock on the SQLite file.",
    ),
    "database_back": (":white_check_mark:", "can use its database again", ""),
    "database_lost": (
        ":rotating_light:",
        "stopped: its database file is gone",
        "Restore the file from its backup, then start AdBee again (docs/operations.md).",
    ),
    "job_failed": (":warning:", "had a scheduled job fail", "An admin should check the log."),
    "meta_auth": (
        ":key:",
        "AdBee cannot reach Meta",
        # docs/troubleshooting.md "Meta 190": the same steps, in the same words.
        "Renew the system-user token (Business Settings > System users > Generate new token, "
        "with ads_management and ads_read) and put it in META_ACCESS_TOKEN. In .env or a secret "
        "file, AdBee picks it up within a minute, no restart; set in the container's or "
        "service's environment, restart AdBee. Then resume stopped creations and run "
        "`/campaign activate <id>` for failed activations.",
    ),
}


def build_alert(
    *, kind: str, summary: CampaignSummary | None, detail: str | None, now: datetime
) -> dict[str, Any]:
    """One alert; ``summary`` is None for account-wide alerts such as ``meta_auth``."""
    emoji, what, fix = KINDS.get(kind, (":bell:", f"alert: {kind.replace('_', ' ')}", ""))
    detail = _detail(kind, summary, detail, now)
    subject = parts.title(summary) if summary else "*AdBee*"
    lines = [f"{emoji} {subject} {esc(what)}."]
    if detail:  # line by line: ``esc`` turns a newline into a space
        lines.append("\n".join("> " + esc(line) for line in detail.splitlines()))
    if fix:
        lines.append(fix)
    blocks: list[Block] = [section(truncate("\n".join(lines), 3000), block_id=_M.SUMMARY)]
    if summary is not None:
        blocks.append(
            context(
                f"{esc(summary.account_name)} · {esc(summary.budget_text)}/day · "
                f"{esc(', '.join(summary.countries)) or 'no countries'}",
                block_id=_M.DETAIL,
            )
        )
        blocks.append(parts.ids_context(summary))
        if kind == SETTINGS_DRIFT:
            blocks.append(review.reapply_buttons(summary))
        if kind == "ad_disapproved" and summary.status in parts.EDITABLE:
            blocks.append(parts.resubmit_buttons(summary))
        blocks += parts.management_buttons(summary)
    name = esc(summary.name) if summary else "AdBee"
    return message(f"{name} {what}" + (f": {esc(detail)}" if detail else ""), blocks)


def _detail(
    kind: str, summary: CampaignSummary | None, detail: str | None, now: datetime
) -> str | None:
    if kind == "status_changed" and detail:
        return detail.replace(" -> ", " → ")
    if kind in ("ad_disapproved", SETTINGS_DRIFT) and detail and "\n" in detail:
        # One verdict per line (a placement, its policy and Meta's reason): list them.
        return "\n".join(f"• {line}" for line in detail.splitlines() if line.strip())
    if detail or summary is None:
        return detail
    if kind == "live_late" and summary.activate_at:
        late = (summary.activated_at or now) - summary.activate_at
        return f"late by {humanize_delta(-late).removesuffix(' ago')}"
    if kind in ("activation_failed", "creation_failed"):
        return summary.error
    return None


_BURST_NAMES = 15  # names listed in a summary, then "and N more"
_BURST_DETAILS = 20  # late or failed campaigns given a line of their own


def _names(summaries: list[CampaignSummary]) -> str:
    shown = [f"{esc(s.name)} (#{s.id})" for s in summaries[:_BURST_NAMES]]
    more = len(summaries) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _plural(count: int) -> str:
    return f"{count} campaign" + ("" if count == 1 else "s")


def _first_sentence(text: str | None) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return truncate(line, 300)


def build_burst_summary(
    alerts: list[tuple[str, CampaignSummary, str | None]], *, now: datetime
) -> dict[str, Any]:
    """One message for a burst of live/late/failed alerts (kind, campaign, detail):
    "48 campaigns went live at 20:00; 2 failed: …", a line for each late or failed one, the rest
    in each campaign's own card and thread."""
    live = [s for kind, s, _ in alerts if kind == "live"]
    late = [(s, d) for kind, s, d in alerts if kind == "live_late"]
    failed = [(s, d) for kind, s, d in alerts if kind == "activation_failed"]
    starts = {s.start_text for _, s, _ in alerts}
    at = f" at {next(iter(starts))}" if len(starts) == 1 else ""
    went = live + [s for s, _ in late]
    pieces: list[str] = []
    if went:
        pieces.append(f"{_plural(len(went))} went live{at}")
        if late:
            pieces.append(f"{len(late)} of them late")
    if failed:
        head = f"{len(failed)} failed" if went else f"{_plural(len(failed))} failed to go live{at}"
        pieces.append(f"{head}: {_names([s for s, _ in failed])}")
    headline = "; ".join(pieces)
    emoji = ":red_circle:" if failed and not went else ":rocket:"
    lines = [f"{emoji} {esc(headline)}."]
    if live:
        lines.append(f"Live: {esc(_names(live))}.")
    for label, group in (("Failed", failed), ("Late", late)):
        for summary, detail in group[:_BURST_DETAILS]:
            why = _first_sentence(detail or (summary.error if label == "Failed" else None))
            lines.append(f"• {label}: {parts.title(summary)}" + (f" — {esc(why)}" if why else ""))
        if len(group) > _BURST_DETAILS:
            lines.append(f"• and {len(group) - _BURST_DETAILS} more")
    if failed:
        lines.append("Each failed campaign is paused again; its thread says what to do.")
    blocks: list[Block] = [
        section(truncate("\n".join(lines), 3000), block_id=_M.SUMMARY),
        context("Details are in each campaign's own message and thread.", block_id=_M.DETAIL),
    ]
    return message(headline, blocks)
