"""What storage hands the services: frozen records, never ORM rows.

A campaign owns a table of Meta objects (``MetaObject``): each video, image, creative, campaign,
ad set and ad it made or is making, with Meta's id once Meta returned it. One model for all of
them, so a campaign can own several of a kind (issue 14: several videos and ads) and an edit can
put a new creative beside the old one (issue 16) without a new column each time.

An object is named locally by ``ObjectRef(kind, key)``: the key is chosen by the step that makes
the object and is stable across runs, so a resumed step finds its own row (and its pending
marker) instead of creating a second one. The first object of each kind is keyed ``MAIN``; the
ads after the first are keyed by their number (``meta.domain.spec.AdPlan.key``). An image's Meta
id is its hash (the md5 of its bytes): Meta addresses ad images by hash, not by id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from meta.domain.states import Step

MAIN = "main"
# ``MetaObject.details`` key: the approver who rejected this one ad (written before its deletion).
REJECTED_BY = "rejected_by"


class ObjectKind(StrEnum):
    VIDEO = "video"
    IMAGE = "image"
    CREATIVE = "creative"
    CAMPAIGN = "campaign"
    ADSET = "adset"
    AD = "ad"


class ObjectStatus(StrEnum):
    """Where one Meta object is, as AdBee knows it (Meta's own delivery status is in last_sync)."""

    PLANNED = "planned"  # a row without a Meta id yet (its create may be pending)
    CREATED = "created"  # Meta returned (or a lookup found) its id
    DELETED = "deleted"  # deleted in Meta by a rollback; kept as a record
    REPLACED = "replaced"  # superseded by a newer object of the same kind, kept in Meta
    # Let go by a rollback but kept in Meta: another campaign of the account uses the same video
    # (``SharedVideo``), so deleting it would break that campaign's ads.
    RELEASED = "released"
    REJECTED = "rejected"  # one ad an approver rejected (and its creative): deleted in Meta


# The creation step whose call makes each kind of object (the upload makes the video).
STEP_KIND: dict[Step, ObjectKind] = {
    Step.UPLOAD: ObjectKind.VIDEO,
    Step.IMAGE: ObjectKind.IMAGE,
    Step.CREATIVE: ObjectKind.CREATIVE,
    Step.CAMPAIGN: ObjectKind.CAMPAIGN,
    Step.ADSET: ObjectKind.ADSET,
    Step.AD: ObjectKind.AD,
}


@dataclass(frozen=True)
class ObjectRef:
    """One object of a campaign, by kind and local key (unique per campaign)."""

    kind: ObjectKind
    key: str = MAIN

    @classmethod
    def for_step(cls, step: Step, key: str = MAIN) -> ObjectRef:
        return cls(STEP_KIND[step], key)


@dataclass(frozen=True)
class SharedVideo:
    """A video file (by the sha256 of its bytes) of one ad account, uploaded once for all the
    campaigns that use it: ``owner_campaign_id`` uploads it, ``meta_id`` is set once it has."""

    ad_account_id: str
    sha256: str
    owner_campaign_id: int
    meta_id: str | None
    updated_at: datetime


@dataclass(frozen=True)
class MetaObject:
    """One row of a campaign's Meta objects.

    ``parent_id`` and ``uses_id`` are local ids (``MetaObject.id``): an ad set's parent is its
    campaign, an ad's parent its ad set; an ad uses a creative, a creative a video or image.
    ``pending`` says a create went out without an answer: a resumed run looks the object up
    before posting again. ``upload_session`` and ``thumbnail_url`` belong to videos (a resumable
    upload; the frame a video creative needs); ``details`` is free for kind-specific facts.
    """

    id: int
    campaign_id: int
    kind: ObjectKind
    key: str
    meta_id: str | None
    status: ObjectStatus
    step: Step | None
    pending: bool
    name: str | None = None
    parent_id: int | None = None
    uses_id: int | None = None
    upload_session: dict[str, Any] | None = None
    thumbnail_url: str | None = None
    details: dict[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef(self.kind, self.key)

    @property
    def live(self) -> bool:
        """Counts as this campaign's object (not deleted, replaced or rejected)."""
        return self.status in (ObjectStatus.PLANNED, ObjectStatus.CREATED)

    @property
    def rejected_by(self) -> str | None:
        """Who rejected this one ad (``CampaignLifecycle.reject_ad``), once the rejection began:
        its deletion in Meta may still be under way (then it is live, but never switched on)."""
        by = (self.details or {}).get(REJECTED_BY)
        return str(by) if by else None


@dataclass(frozen=True)
class CampaignRecord:
    """One campaign creation, from request to live, as the services read it.

    The per-object properties (``video_id``, ``ad_id``, ...) read the ``MAIN`` object of each
    kind; code that handles several objects of a kind walks ``objects`` instead.
    """

    id: int
    account_key: str
    ad_account_id: str
    name: str
    spec: dict[str, Any]
    status: str
    step: str | None
    requested_by: str | None
    source: str
    start_time: datetime
    activate_at: datetime | None
    activated_at: datetime | None
    approved_by: str | None
    claimed_by: str | None
    error: str | None
    last_sync: dict[str, Any] | None
    slack_channel: str | None
    slack_ts: str | None
    created_at: datetime
    updated_at: datetime
    objects: tuple[MetaObject, ...] = field(default=())

    def object(self, ref: ObjectRef) -> MetaObject | None:
        """The live object under ``ref``, if this campaign has one."""
        for obj in self.objects:
            if obj.kind == ref.kind and obj.key == ref.key and obj.live:
                return obj
        return None

    def objects_of(self, kind: ObjectKind) -> list[MetaObject]:
        return [obj for obj in self.objects if obj.kind == kind and obj.live]

    def meta_id(self, ref: ObjectRef) -> str | None:
        obj = self.object(ref)
        return obj.meta_id if obj else None

    def is_pending(self, ref: ObjectRef) -> bool:
        obj = self.object(ref)
        return bool(obj and obj.pending)

    @property
    def pending_steps(self) -> list[str]:
        """The steps whose create went out without an answer (the old ``pending_writes``)."""
        return [str(obj.step) for obj in self.objects if obj.pending and obj.step and obj.live]

    @property
    def video_id(self) -> str | None:
        return self.meta_id(ObjectRef(ObjectKind.VIDEO))

    @property
    def upload_session(self) -> dict[str, Any] | None:
        video = self.object(ObjectRef(ObjectKind.VIDEO))
        return video.upload_session if video else None

    @property
    def thumbnail_url(self) -> str | None:
        video = self.object(ObjectRef(ObjectKind.VIDEO))
        return video.thumbnail_url if video else None

    @property
    def creative_id(self) -> str | None:
        """The creative the first ad shows (one swapped in later included), else its own."""
        return self.creative_of(self.first_ad_key)

    def creative_of(self, key: str) -> str | None:
        """The creative the ad under ``key`` shows (a re-apply swaps one in), else the creative
        made under that key."""
        ad = self.object(ObjectRef(ObjectKind.AD, key))
        if ad is not None and ad.uses_id is not None:
            for obj in self.objects:
                if obj.id == ad.uses_id and obj.live:
                    return obj.meta_id
        return self.meta_id(ObjectRef(ObjectKind.CREATIVE, key))

    @property
    def first_ad_key(self) -> str:
        """The key of the campaign's first remaining ad: ``MAIN`` unless an approver rejected
        that one (then the lowest-numbered ad left), so the readers of "the ad" (status, drift,
        previews, activation) follow the ads that will run."""
        if not self.rejected_ads:
            return MAIN
        left = [ad.key for ad in self.remaining_ads]
        return min(left, key=ad_number) if left else MAIN

    @property
    def rejected_ads(self) -> list[MetaObject]:
        """The ads an approver rejected one by one (deleted, or being deleted, in Meta)."""
        return [obj for obj in self.objects if obj.kind == ObjectKind.AD and obj.rejected_by]

    @property
    def remaining_ads(self) -> list[MetaObject]:
        """The campaign's ads that will run: live and not rejected, in ad order."""
        ads = [ad for ad in self.objects_of(ObjectKind.AD) if not ad.rejected_by]
        return sorted(ads, key=lambda ad: ad_number(ad.key))

    @property
    def meta_campaign_id(self) -> str | None:
        return self.meta_id(ObjectRef(ObjectKind.CAMPAIGN))

    @property
    def adset_id(self) -> str | None:
        return self.meta_id(ObjectRef(ObjectKind.ADSET))

    @property
    def ad_id(self) -> str | None:
        """The first remaining ad's id (``first_ad_key``)."""
        return self.meta_id(ObjectRef(ObjectKind.AD, self.first_ad_key))


def ad_number(key: str) -> int:
    """An ad's number from its key (``MAIN`` is the first; ``AdPlan.key``)."""
    return 1 if key == MAIN else int(key) if key.isdigit() else 10**6


@dataclass(frozen=True)
class AuditRecord:
    id: int
    campaign_id: int | None
    actor: str
    action: str
    outcome: str
    detail: str | None
    at: datetime


@dataclass(frozen=True)
class AlertRecord:
    id: int
    campaign_id: int | None
    kind: str
    dedupe_key: str
    payload: dict[str, Any]
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    claimed_by: str | None = None  # the sender while ``sending``
    claimed_at: datetime | None = None


@dataclass(frozen=True)
class CreationRequestRecord:
    """An accepted create form (``creation_requests``), as the creation flow reads it."""

    id: int
    key: str
    form: dict[str, Any]
    requested_by: str
    team_id: str | None
    view_id: str | None
    status: str
    campaign_id: int | None
    slack_channel: str | None
    slack_ts: str | None
    claimed_by: str | None
    attempts: int
    error: str | None
    created_at: datetime
    updated_at: datetime
    # A bulk row: its batch and sheet row (its Slack message is then the batch message).
    batch: str | None = None
    batch_row: int | None = None


class EditStatus(StrEnum):
    """Where one edit is (``campaign_edits.status``)."""

    AWAITING_APPROVAL = "awaiting_approval"
    APPLYING = "applying"  # being applied, or stopped by a crash: resumed by the next run
    APPLIED = "applied"
    REFUSED = "refused"  # Meta refused it when validating: nothing was changed
    INCOMPLETE = "incomplete"  # part applied, then Meta refused: finish or undo
    REJECTED = "rejected"
    UNDONE = "undone"


# What may follow what; the store checks every status write against it.
EDIT_TRANSITIONS: dict[EditStatus, frozenset[EditStatus]] = {
    EditStatus.AWAITING_APPROVAL: frozenset({EditStatus.APPLYING, EditStatus.REJECTED}),
    EditStatus.APPLYING: frozenset(
        {EditStatus.APPLIED, EditStatus.REFUSED, EditStatus.INCOMPLETE, EditStatus.APPLYING}
    ),
    EditStatus.INCOMPLETE: frozenset({EditStatus.APPLYING, EditStatus.UNDONE}),
    EditStatus.APPLIED: frozenset(),
    EditStatus.REFUSED: frozenset(),
    EditStatus.REJECTED: frozenset(),
    EditStatus.UNDONE: frozenset(),
}
OPEN_EDIT_STATUSES = frozenset(
    {EditStatus.AWAITING_APPROVAL, EditStatus.APPLYING, EditStatus.INCOMPLETE}
)


@dataclass(frozen=True)
class EditRecord:
    """One edit of a campaign (``campaign_edits``), as the edit service reads it."""

    id: int
    campaign_id: int
    status: EditStatus
    plan: dict[str, Any]
    progress: dict[str, Any]
    requested_by: str
    approved_by: str | None
    source: str
    error: str | None
    slack_channel: str | None
    slack_ts: str | None
    created_at: datetime
    updated_at: datetime
