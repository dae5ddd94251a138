"""Where a campaign is in its life, and the steps and progress events of its creation.

Shared by the pipeline, the lifecycle, the jobs and the Slack views; kept apart from the
pipeline so readers of a status need not import the machinery that produces it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    CREATING = "creating"
    FAILED = "failed"  # stopped on a temporary problem; running it again resumes
    ROLLED_BACK = "rolled_back"  # permanent problem; what was created has been deleted
    CREATED = "created"  # all objects exist, PAUSED, waiting for approval
    SCHEDULED = "scheduled"
    ACTIVATING = "activating"
    # ACTIVE in Meta ahead of its start (ARM_AHEAD_MINUTES): the ad set's start_time holds
    # delivery back until then, when AdBee checks that delivery began.
    ARMED = "armed"
    ACTIVE = "active"
    ACTIVATION_FAILED = "activation_failed"
    PAUSED = "paused"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


# Every status change a campaign may make; the store consults it before each write
# (``check_transition``), so a change that is not listed here never reaches the database.
# Staying in the same status is not a change (a resumed creation is CREATING again).
TRANSITIONS: dict[Status, frozenset[Status]] = {
    # a run ends created, stopped (resumable) or rolled back
    Status.CREATING: frozenset({Status.CREATED, Status.FAILED, Status.ROLLED_BACK}),
    Status.FAILED: frozenset({Status.CREATING}),  # resumed
    Status.CREATED: frozenset({Status.SCHEDULED, Status.REJECTED}),  # approved / activate now
    # A reschedule beyond what the approval covers goes back to CREATED (approve again).
    Status.SCHEDULED: frozenset(
        {Status.ACTIVATING, Status.CANCELLED, Status.REJECTED, Status.CREATED}
    ),
    Status.CANCELLED: frozenset({Status.SCHEDULED, Status.REJECTED, Status.CREATED}),
    Status.ACTIVATING: frozenset(
        # live / armed ahead of its start / postponed / failed
        {Status.ACTIVE, Status.ARMED, Status.SCHEDULED, Status.ACTIVATION_FAILED}
    ),
    # Delivering at its start / paused in Meta again (cancel, reschedule, beyond the approval)
    # / "activate now" / Meta shows it not active at the start / rejected.
    Status.ARMED: frozenset(
        {
            Status.ACTIVE,
            Status.CANCELLED,
            Status.SCHEDULED,
            Status.CREATED,
            Status.ACTIVATION_FAILED,
            Status.REJECTED,
        }
    ),
    Status.ACTIVATION_FAILED: frozenset({Status.SCHEDULED, Status.CREATED}),
    Status.ACTIVE: frozenset({Status.PAUSED}),
    Status.PAUSED: frozenset({Status.ACTIVE}),
    Status.ROLLED_BACK: frozenset(),
    Status.REJECTED: frozenset(),
}


class IllegalTransitionError(ValueError):
    """A status change the transition table does not allow: a bug in the caller, not a race."""


def is_allowed(from_status: str, to_status: str) -> bool:
    if from_status == to_status:
        return True
    return Status(to_status) in TRANSITIONS[Status(from_status)]


def check_transition(from_statuses: Iterable[str], to_status: str) -> None:
    """Raise ``IllegalTransitionError`` unless every ``from -> to`` is in ``TRANSITIONS``."""
    illegal = [str(f) for f in from_statuses if not is_allowed(f, to_status)]
    if illegal:
        allowed = {f: sorted(TRANSITIONS[Status(f)]) for f in illegal}
        raise IllegalTransitionError(
            f"a campaign may not go from {' or '.join(illegal)} to {to_status} "
            f"(meta.domain.states.TRANSITIONS allows: "
            + "; ".join(f"{f} -> {', '.join(t) or 'nothing'}" for f, t in allowed.items())
            + ")"
        )


class Step(StrEnum):
    UPLOAD = "upload_video"
    PROCESS = "wait_for_processing"
    IMAGE = "upload_image"  # image ads only: shown once a campaign has one
    CREATIVE = "create_creative"
    CAMPAIGN = "create_campaign"
    ADSET = "create_adset"
    AD = "create_ad"


STEP_LABELS = {
    Step.UPLOAD: "Uploading video",
    Step.PROCESS: "Meta is processing the video",
    Step.IMAGE: "Uploading images",
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
    # Which ad (1-based, ``AdPlan.index``) a per-ad step's event is about: its video's upload and
    # processing, its creative, the ad itself; None for the campaign's own steps.
    ad: int | None = None


ProgressSink = Callable[[ProgressEvent], None]


def steps_of(with_images: bool) -> tuple[Step, ...]:
    """The steps a creation goes through, in order: the image upload only when it has images."""
    return tuple(step for step in Step if with_images or step is not Step.IMAGE)
