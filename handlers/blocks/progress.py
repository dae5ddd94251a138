"""The message that follows a campaign's creation step by step, updated with ``chat.update``.

The listener keeps one ``StepState`` per step (``StepState.from_event`` turns the pipeline's
``ProgressEvent``s into them) plus the Slack download stage, which happens before the pipeline
starts and so is not a ``Step``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from handlers.blocks.common import context, esc, header, message, section, truncate
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
) -> dict[str, Any]:
    """The creation's progress: the download line (when given), then the pipeline steps (the
    image upload only once an image ad reported it)."""
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
