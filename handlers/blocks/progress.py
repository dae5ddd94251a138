"""The message that follows a campaign's creation step by step, updated with ``chat.update``.

The listener keeps one ``StepState`` per step (``StepState.from_event`` turns the pipeline's
``ProgressEvent``s into them) plus the Slack download stage, which happens before the pipeline
starts and so is not a ``Step``. A campaign of several ads also gets one line per file
(``ad_steps``: each ad's own upload, processing, creative and ad): uploading n %, processing,
ready, failed, so a user sees which of ten videos is still on its way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from handlers.blocks.common import context, esc, header, mention, message, section, truncate
from handlers.ids import CampaignMessageBlock
from meta.domain.states import STEP_LABELS, ProgressEvent, Step, steps_of
from meta.services.summary import CampaignSummary

State = Literal["waiting", "running", "retrying", "done", "skipped", "failed"]
DOWNLOAD_LABEL = "Downloading video from Slack"
_EMOJI: dict[str, str] = {
    "waiting": ":white_circle:",
    "running": ":hourglass_flowing_sand:",
    "retrying": ":repeat:",
    "done": ":white_check_mark:",
    "skipped": ":white_check_mark:",
    "failed": ":x:",
}
_FROM_EVENT: dict[str, State] = {
    "started": "running",
    "progress": "running",
    "retry": "retrying",
    "done": "done",
    "skipped": "skipped",
    "failed": "failed",
}
_DETAIL = 300  # per step; seven steps stay far below a section's 3000 characters


@dataclass(frozen=True)
class StepState:
    """Where one step is: ``detail`` is an id when done, a reason when failed, sizes while running."""

    state: State = "waiting"
    percent: int | None = None
    detail: str = ""

    @classmethod
    def from_event(cls, event: ProgressEvent) -> StepState:
        return cls(_FROM_EVENT.get(event.state, "running"), event.percent, event.detail)


def build_progress_message(
    *,
    summary: CampaignSummary,
    steps: dict[Step, StepState],
    download: StepState | None = None,
    ad_steps: Mapping[int, Mapping[Step, StepState]] | None = None,
) -> dict[str, Any]:
    """The creation's progress: the download line (when given), then the pipeline steps (the
    image upload only once an image ad reported it); with several ads, the campaign's own steps
    and one line per file instead (``ad_steps``: ad number -> its steps' states)."""
    if len(summary.ads) > 1:
        return _several_ads(summary, steps, download, ad_steps or {})
    rows = [(DOWNLOAD_LABEL, download)] if download is not None else []
    shown = steps_of(with_images=Step.IMAGE in steps)
    rows += [(STEP_LABELS[step], steps.get(step, StepState())) for step in shown]
    lines = [_line(label, state) for label, state in rows if state is not None]
    done = sum(1 for step in shown if steps.get(step, StepState()).state in ("done", "skipped"))
    failed = any(state.state == "failed" for _, state in rows if state is not None)
    blocks = [
        header(f"Creating {summary.name}", block_id=CampaignMessageBlock.HEADER),
        section("\n".join(lines), block_id=CampaignMessageBlock.STEPS),
        context(
            f"AdBee #{summary.id}",
            f"{esc(summary.account_name)} · {esc(summary.budget_text)}/day",
            "Everything is created paused; an approver decides when it goes live.",
            block_id=CampaignMessageBlock.DETAIL,
        ),
    ]
    state = "stopped" if failed else f"{done} of {len(shown)} steps done"
    return message(f"Creating {esc(summary.name)}: {state}", blocks)


def _line(label: str, step: StepState) -> str:
    text = f"{_EMOJI[step.state]} {label}"
    if step.state == "running" and step.percent is not None:
        percent = max(0, min(100, step.percent))
        text += f" — {percent}% {_bar(percent)}"
    detail = truncate(esc(step.detail), _DETAIL) if step.detail else ""
    if step.state == "failed":
        return f"{text} — *failed*: {detail or 'no details'}"
    if step.state == "waiting":
        return f"{text} — waiting"
    return f"{text} — {detail}" if detail else text


def _bar(percent: int, width: int = 10) -> str:
    filled = round(percent * width / 100)
    return "`" + "█" * filled + "░" * (width - filled) + "`"


# The campaign's own steps in a progress of several ads; the per-ad ones are counted on the line
# of their kind and shown per file.
_CAMPAIGN_STEPS = (Step.CAMPAIGN, Step.ADSET)
_COUNTED = {Step.CREATIVE: "Creating ad creatives", Step.AD: "Creating ads"}
_FILE_DETAIL = 200  # ten file lines stay far below a section's 3000 characters


def _several_ads(
    summary: CampaignSummary,
    steps: Mapping[Step, StepState],
    download: StepState | None,
    ad_steps: Mapping[int, Mapping[Step, StepState]],
) -> dict[str, Any]:
    count = len(summary.ads)
    rows = [(DOWNLOAD_LABEL, download)] if download is not None else []
    rows += [(STEP_LABELS[step], steps.get(step, StepState())) for step in _CAMPAIGN_STEPS]
    lines = [_line(label, state) for label, state in rows if state is not None]
    for step, label in _COUNTED.items():
        done = sum(1 for ad in summary.ads if _finished(ad_steps.get(ad.index, {}).get(step)))
        state = "done" if done == count else "running" if done else "waiting"
        lines.append(f"{_EMOJI[state]} {label} — {done} of {count}")
    files = [_file_line(ad.index, ad.video_name, ad_steps.get(ad.index, {})) for ad in summary.ads]
    ready = sum(1 for ad in summary.ads if _file_state(ad_steps.get(ad.index, {}))[0] == "done")
    ads_done = sum(1 for ad in summary.ads if _finished(ad_steps.get(ad.index, {}).get(Step.AD)))
    failed = any(state.state == "failed" for _, state in rows if state is not None) or any(
        s.state == "failed" for each in ad_steps.values() for s in each.values()
    )
    blocks = [
        header(f"Creating {summary.name}", block_id=CampaignMessageBlock.HEADER),
        section("\n".join(lines), block_id=CampaignMessageBlock.STEPS),
        section(truncate("\n".join(files), 3000), block_id=CampaignMessageBlock.FILES),
        context(
            f"AdBee #{summary.id}",
            f"{esc(summary.account_name)} · {esc(summary.budget_text)}/day",
            "Everything is created paused; an approver decides when it goes live.",
            block_id=CampaignMessageBlock.DETAIL,
        ),
    ]
    state = (
        "stopped"
        if failed
        else f"{ready} of {count} files ready, {ads_done} of {count} ads created"
    )
    return message(f"Creating {esc(summary.name)}: {state}", blocks)


def _finished(state: StepState | None) -> bool:
    return state is not None and state.state in ("done", "skipped")


def _file_state(steps: Mapping[Step, StepState]) -> tuple[State, str]:
    """(state, words) of one file: failed, ready, processing n %, uploading n %, or waiting."""
    failed = next((s for s in steps.values() if s.state == "failed"), None)
    if failed is not None:
        return "failed", f"*failed*: {truncate(esc(failed.detail), _FILE_DETAIL) or 'no details'}"
    # An image is ready once uploaded: Meta does not process images.
    ready = (Step.PROCESS, Step.IMAGE, Step.CREATIVE, Step.AD)
    if any(_finished(steps.get(step)) for step in ready):
        return "done", "ready"
    doing_steps = (
        (Step.PROCESS, "processing"),
        (Step.UPLOAD, "uploading"),
        (Step.IMAGE, "uploading"),
    )
    for step, doing in doing_steps:
        state = steps.get(step)
        if state is None:
            continue
        if _finished(state):
            return "running", "uploaded; Meta is processing it"
        percent = max(0, min(100, state.percent or 0))
        retrying = " (retrying)" if state.state == "retrying" else ""
        return state.state, f"{doing} {percent}% {_bar(percent)}{retrying}"
    return "waiting", "waiting"


def _file_line(index: int, name: str, steps: Mapping[Step, StepState]) -> str:
    state, words = _file_state(steps)
    return f"{_EMOJI[state]} {index}. `{esc(truncate(name, 80))}` — {words}"


def build_created_note(summary: CampaignSummary) -> dict[str, Any]:
    """The creation's progress message once its approval card is posted on its own.

    The card is a new message (``chat.postMessage``, paced per channel) rather than the last
    edit of this one (``chat.update``, one Tier 3 budget for the whole workspace, which a burst
    of creations' progress edits empties); this message stays as the record of the creation,
    with whatever its thread was told while it ran.
    """
    ads = len(summary.ads)
    made = f"{ads} ads" if ads > 1 else "its ad"
    blocks = [
        section(
            f":white_check_mark: *{esc(summary.name)}* is ready and PAUSED in Meta "
            f"(campaign, ad set and {made}). Its approval card, with Approve and Reject, is "
            "posted below.",
            block_id=CampaignMessageBlock.STEPS,
        ),
        context(
            f"AdBee #{summary.id}",
            f"{esc(summary.account_name)} · {esc(summary.budget_text)}/day",
            block_id=CampaignMessageBlock.DETAIL,
        ),
    ]
    return message(f"{esc(summary.name)} is ready and PAUSED; its approval card is below", blocks)


def build_usage_wait_message(
    *, name: str, requested_by: str, account_name: str, percent: float, ceiling: float
) -> dict[str, Any]:
    """A request held before it starts: its ad account's rate-limit usage at Meta is at or
    above ``META_USAGE_CEILING``, so new work there waits until Meta reports it lower (instead
    of running into Meta's throttle, which blocks the whole account for a minute or more)."""
    text = (
        f":hourglass: {esc(name)} for {mention(requested_by)} is waiting: Meta reports "
        f"{esc(account_name)} at {percent:.0f} % of its rate limit, and AdBee starts new work "
        f"there below {ceiling:.0f} %. It starts by itself as soon as the usage falls; nothing "
        "was sent to Meta yet."
    )
    return message(text, [section(text, block_id=CampaignMessageBlock.STEPS)])
