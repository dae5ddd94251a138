"""Where a campaign is in its life, and the steps and progress events of its creation.

Shared by the pipeline, the lifecycle, the jobs and the Slack views; kept apart from the
pipeline so readers of a status need not import the machinery that produces it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    CREATING = "creating"
    FAILED = "failed"  # stopped on a temporary problem; running it again resumes
    ROLLED_BACK = "rolled_back"  # permanent problem; what was created has been deleted
    CREATED = "created"  # all objects exist, PAUSED, waiting for approval
    SCHEDULED = "scheduled"
    ACTIVATING = "activating"
    ACTIVE = "active"
    ACTIVATION_FAILED = "activation_failed"
    PAUSED = "paused"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class Step(StrEnum):
    UPLOAD = "upload_video"
    PROCESS = "wait_for_processing"
    CREATIVE = "create_creative"
    CAMPAIGN = "create_campaign"
    ADSET = "create_adset"
    AD = "create_ad"


STEP_LABELS = {
    Step.UPLOAD: "Uploading video",
    Step.PROCESS: "Meta is processing the video",
    Step.CREATIVE: "Creating ad creative",
    Step.CAMPAIGN: "Creating campaign",
    Step.ADSET: "Creating ad set",
    Step.AD: "Creating ad",
}


@dataclass(frozen=True)
class ProgressEvent:
    """What a progress display needs: which step, how far, and a line for people."""

    campaign_id: int
    step: Step
    state: str  # started | progress | done | retry | failed | skipped
    detail: str = ""
    percent: int | None = None


ProgressSink = Callable[[ProgressEvent], None]
