"""Tables. Statuses and steps are plain strings so storage never imports the domain."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UTCDateTime


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class CampaignRow(Base):
    """One campaign creation, from request to live. The source of truth for every job.

    Each Meta object id is written here (and committed) the moment Meta returns it, so a crash
    between two steps resumes from the next step instead of creating the same object twice.
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

    video_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    upload_session: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    thumbnail_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    creative_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    meta_campaign_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    adset_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    ad_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # Names of steps whose create call went out without an answer: resume must look before posting.
    pending_writes: Mapped[list] = mapped_column(JSON, default=list)

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
