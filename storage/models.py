"""Tables. Statuses and steps are plain strings so storage never imports the domain."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UTCDateTime


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class CampaignRow(Base):
    """One campaign creation, from request to live. The source of truth for every job.

    The Meta objects it makes are rows of ``meta_objects``; each Meta id is written there (and
    committed) the moment Meta returns it, so a crash between two steps resumes from the next
    step instead of creating the same object twice.
    """

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_key: Mapped[str] = mapped_column(String(100), index=True)
    ad_account_id: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(400))
    spec: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(30), index=True)
    step: Mapped[str | None] = mapped_column(String(40), nullable=True)
    requested_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    source: Mapped[str] = mapped_column(String(20), default="cli")

    start_time: Mapped[datetime] = mapped_column(UTCDateTime())
    activate_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    approved_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)

    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_sync: Mapped[dict | None] = mapped_column(JSON, nullable=True)

    slack_channel: Mapped[str | None] = mapped_column(String(40), nullable=True)
    slack_ts: Mapped[str | None] = mapped_column(String(40), nullable=True)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class MetaObjectRow(Base):
    """One Meta object a campaign made or is making: a video, image, creative, campaign, ad set
    or ad (``meta.domain.records.MetaObject`` is what leaves storage).

    ``(campaign_id, kind, key)`` names it locally and is unique, so a resumed step finds its own
    row; a campaign may own several objects of one kind under different keys. ``pending`` marks
    a create that went out without an answer (resume looks it up before posting again).
    ``parent_id``/``uses_id`` point at other rows: ad set -> campaign, ad -> ad set; an ad uses
    a creative, a creative a video or image.
    """

    __tablename__ = "meta_objects"
    __table_args__ = (
        UniqueConstraint("campaign_id", "kind", "key", name="uq_meta_objects_campaign_kind_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # No ON DELETE action: campaigns are never deleted, and on SQLite a later batch migration
    # that recreates ``campaigns`` must fail loudly rather than cascade into these rows.
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(100))
    meta_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(20))
    step: Mapped[str | None] = mapped_column(String(40), nullable=True)
    pending: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str | None] = mapped_column(String(400), nullable=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("meta_objects.id", ondelete="SET NULL"), nullable=True
    )
    uses_id: Mapped[int | None] = mapped_column(
        ForeignKey("meta_objects.id", ondelete="SET NULL"), nullable=True
    )
    upload_session: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    thumbnail_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    details: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class SharedVideoRow(Base):
    """One video file (by content) of one ad account, uploaded once for every campaign using it.

    ``(ad_account_id, sha256)`` is unique: the first campaign to insert the row owns the upload
    (``owner_campaign_id``), every other campaign wanting the same bytes in that account waits for
    ``meta_id`` and then uses that video (its own ``meta_objects`` video row holds the same Meta id).
    The unique row is the claim, so two processes never upload the same video twice at once.
    """

    __tablename__ = "shared_videos"
    __table_args__ = (
        UniqueConstraint("ad_account_id", "sha256", name="uq_shared_videos_account_sha256"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ad_account_id: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    owner_campaign_id: Mapped[int] = mapped_column(Integer)
    meta_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class AuditEvent(Base):
    """Who did what to which campaign, including refused attempts."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), nullable=True, index=True
    )
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Alert(Base):
    """An outbox of channel alerts, so a Slack outage delays an alert instead of losing it."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(40))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Who is sending it (``host:pid:token``) and since when: a dead sender's alert is sent again.
    claimed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ProcessedRequest(Base):
    """Slack requests already taken on, so a redelivered envelope never starts work twice."""

    __tablename__ = "processed_requests"
    __table_args__ = (UniqueConstraint("key", name="uq_processed_requests_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CreationRequestRow(Base):
    """A create form Slack delivered and AdBee accepted, recorded before the user sees the ack.

    The campaign row is written only after the video is downloaded and checked, which can take
    minutes; until then this row is the only trace of the request. A process that dies (or stops)
    in between leaves it ``queued``, and a restart or another replica carries it on. ``key`` is the
    submission's de-duplication key, so a redelivered envelope is recorded once. ``claimed_by`` and
    ``updated_at`` are a lease with a heartbeat, exactly like a creation's (``meta.services.creation_lease``).
    """

    __tablename__ = "creation_requests"
    __table_args__ = (UniqueConstraint("key", name="uq_creation_requests_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200))
    form: Mapped[dict] = mapped_column(JSON)  # the submitted values, the Slack file id included
    requested_by: Mapped[str] = mapped_column(String(40))
    team_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    view_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    campaign_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    slack_channel: Mapped[str | None] = mapped_column(String(40), nullable=True)
    slack_ts: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # A ``/campaign bulk`` row: its batch and sheet row. ``slack_channel/slack_ts`` are then the
    # batch message that shows it among the other rows (bot/slack/batch_board.py).
    batch: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    batch_row: Mapped[int | None] = mapped_column(Integer, nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # runs started (crashes included)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class SchedulerHeartbeat(Base):
    """One row per replica, rewritten by its scheduler every few seconds.

    ``python -m bot health`` runs in another process: this row is how it can tell that the bot's
    scheduler is still firing jobs (activations, scans, alert flushes), not merely that the
    database answers. ``interval_seconds`` is the beat the replica promised, so health can judge
    staleness without sharing the bot's settings.
    """

    __tablename__ = "scheduler_heartbeats"

    replica: Mapped[str] = mapped_column(String(120), primary_key=True)
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime())
    interval_seconds: Mapped[int] = mapped_column(Integer)
    # "running", or why it is not: "stopped", "restarting the scheduler", "database file deleted"
    state: Mapped[str] = mapped_column(String(200), default="running")


class CampaignEditRow(Base):
    """One edit of a live campaign (issue 16), a state machine of its own.

    ``plan`` is what changes (``meta.domain.edits.EditPlan``: before -> after, who must approve),
    ``progress`` what is done in Meta so far (the steps, a new creative's id, the creatives that
    existed before it was posted), committed before each next call to Meta, so a crash resumes
    the edit where it stopped and a half-applied one is shown as such. The campaign row's lease
    (``claimed_by``) serialises an edit with activation and with other edits.
    """

    __tablename__ = "campaign_edits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    status: Mapped[str] = mapped_column(String(30), index=True)
    plan: Mapped[dict] = mapped_column(JSON)
    progress: Mapped[dict] = mapped_column(JSON, default=dict)
    requested_by: Mapped[str] = mapped_column(String(40))
    approved_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    source: Mapped[str] = mapped_column(String(20), default="slack")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    slack_channel: Mapped[str | None] = mapped_column(String(40), nullable=True)
    slack_ts: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
