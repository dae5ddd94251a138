"""What the services need from Meta and from storage, as protocols.

``meta.graph.client.GraphClient`` and ``meta.graph.upload.VideoUploader`` implement the Graph ones,
``storage.repository.CampaignStore`` the repository; tests and benchmarks may pass anything with
the same methods.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

from meta.domain.records import (
    AlertRecord,
    AuditRecord,
    CampaignRecord,
    EditRecord,
    EditStatus,
    MetaObject,
    ObjectRef,
    SharedVideo,
)
from meta.domain.states import Status, Step


class GraphApi(Protocol):
    def post(self, path: str, params: dict[str, Any], *, idempotent: bool = False) -> dict: ...
    def post_file(
        self, path: str, params: dict[str, Any], *, field: str, filename: str, content: bytes
    ) -> dict: ...
    def get(self, path: str, params: dict[str, Any] | None = None) -> dict: ...
    def delete(self, path: str, params: dict[str, Any] | None = None) -> dict: ...


class Uploader(Protocol):
    def upload(
        self,
        *,
        account_id: str,
        path: Path,
        title: str,
        on_progress: Callable[[Any], None] | None = None,
        resume_session: Any | None = None,
        on_session: Callable[[Any], None] | None = None,
    ) -> str: ...


WaitUntilReady = Callable[..., dict]


class Keep(Enum):
    """``KEEP``: leave this field as it is (``None`` would clear it)."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True)
class NewAlert:
    """An alert to queue (once per ``dedupe_key``) in the outbox."""

    kind: str
    dedupe_key: str
    payload: dict[str, Any]
    campaign_id: int | None = None


@dataclass(frozen=True)
class NewAudit:
    """An audit event to write in the same transaction as a status change."""

    actor: str
    action: str
    outcome: str
    detail: str | None = None


@dataclass(frozen=True)
class Transition:
    """One compare-and-set status move (``CampaignRepository.transition``'s arguments), so a
    burst's moves can be written together in one transaction (``transition_many``)."""

    campaign_id: int
    from_statuses: tuple[str, ...]
    to_status: Status
    held_by: str | None = None
    unleased_before: datetime | None = None
    alert: NewAlert | None = None
    activate_at: datetime | Keep | None = KEEP
    activated_at: datetime | Keep | None = KEEP
    approved_by: str | Keep | None = KEEP
    claimed_by: str | Keep | None = KEEP
    error: str | Keep | None = KEEP
    last_sync: dict[str, Any] | Keep | None = KEEP
    audit: NewAudit | None = None


class CampaignRepository(Protocol):
    """What the services need from storage: records out, typed writes in.

    ``storage.repository.CampaignStore`` implements it. Every write commits before it returns
    ("returned means durable"), and every status change is checked against
    ``meta.domain.states.TRANSITIONS`` (``IllegalTransitionError``).
    """

    # campaigns
    def add_campaign(
        self,
        *,
        account_key: str,
        ad_account_id: str,
        name: str,
        spec: dict[str, Any],
        requested_by: str | None,
        source: str,
        start_time: datetime,
        slack_channel: str | None = None,
        slack_ts: str | None = None,
    ) -> CampaignRecord: ...
    def get(self, campaign_id: int) -> CampaignRecord | None: ...
    def get_many(self, campaign_ids: Iterable[int]) -> dict[int, CampaignRecord]: ...
    def find_open(self, *, ad_account_id: str, name: str) -> CampaignRecord | None: ...
    def find(self, ref: str) -> CampaignRecord | None: ...
    def list_campaigns(
        self,
        *,
        account_key: str | None = None,
        statuses: Iterable[str] | None = None,
        limit: int | None = 20,
    ) -> list[CampaignRecord]: ...
    def list_due(self, *, now: datetime, status: str = "scheduled") -> list[CampaignRecord]: ...
    def set_spec(self, campaign_id: int, spec: dict[str, Any]) -> CampaignRecord: ...
    def set_status(
        self,
        campaign_id: int,
        status: Status,
        *,
        error: str | None,
        step: Step | Keep | None = KEEP,
        last_sync: dict[str, Any] | Keep | None = KEEP,
    ) -> CampaignRecord: ...
    def set_step(self, campaign_id: int, step: Step | None) -> None: ...
    def set_last_sync(
        self, campaign_id: int, last_sync: dict[str, Any] | None, *, if_status: str | None = None
    ) -> bool: ...
    def set_slack_message(self, campaign_id: int, *, channel: str, ts: str) -> CampaignRecord: ...
    def transition(
        self,
        campaign_id: int,
        *,
        from_statuses: Iterable[str],
        to_status: Status,
        held_by: str | None = None,
        unleased_before: datetime | None = None,
        alert: NewAlert | None = None,
        activate_at: datetime | Keep | None = KEEP,
        activated_at: datetime | Keep | None = KEEP,
        approved_by: str | Keep | None = KEEP,
        claimed_by: str | Keep | None = KEEP,
        error: str | Keep | None = KEEP,
        last_sync: dict[str, Any] | Keep | None = KEEP,
        audit: NewAudit | None = None,
    ) -> bool: ...
    def transition_many(self, moves: Iterable[Transition]) -> list[bool]: ...
    def claim_many(
        self,
        campaign_ids: Iterable[int],
        *,
        from_status: Status,
        to_status: Status,
        holder: str,
        unleased_before: datetime | None = None,
    ) -> list[int]: ...

    # leases
    def touch(self, campaign_id: int) -> None: ...
    def touch_held(self, campaign_ids: Iterable[int], /, *, holder: str) -> int: ...
    def take_lease(
        self, campaign_id: int, /, *, expected_owner: str | None, new_owner: str | None
    ) -> bool: ...
    def take_over_claim(
        self,
        campaign_id: int,
        *,
        status: str,
        expected_owner: str | None,
        idle_before: datetime,
        new_owner: str,
    ) -> bool: ...

    # Meta objects
    def mark_pending(
        self, campaign_id: int, ref: ObjectRef, *, step: Step, pending: bool = True
    ) -> None: ...
    def begin_step(self, campaign_id: int, ref: ObjectRef, *, step: Step) -> None:
        """The campaign is at ``step`` and ``ref``'s create is about to go out (``set_step``
        and ``mark_pending`` in one commit)."""
        ...

    def record_meta_object(
        self,
        campaign_id: int,
        ref: ObjectRef,
        meta_id: str,
        *,
        step: Step | None = None,
        name: str | None = None,
        parent: ObjectRef | None = None,
        uses: ObjectRef | None = None,
    ) -> MetaObject: ...
    def set_upload_session(
        self, campaign_id: int, ref: ObjectRef, *, meta_id: str | None, session: dict | None
    ) -> None: ...
    def set_thumbnail(self, campaign_id: int, ref: ObjectRef, url: str) -> None: ...
    def swap_in(
        self, campaign_id: int, user: ObjectRef, new: ObjectRef, meta_id: str, *, step: Step
    ) -> MetaObject: ...
    def mark_deleted(self, campaign_id: int, ref: ObjectRef) -> None: ...
    def mark_rejecting(self, campaign_id: int, ref: ObjectRef, *, by: str) -> None: ...
    def mark_rejected(self, campaign_id: int, ref: ObjectRef) -> None: ...
    def clear_pending(self, campaign_id: int) -> None: ...

    # videos shared by content within an ad account (one upload, many campaigns)
    def claim_shared_video(
        self, *, ad_account_id: str, sha256: str, campaign_id: int
    ) -> SharedVideo: ...
    def take_over_shared_video(
        self, *, ad_account_id: str, sha256: str, expected_owner: int, campaign_id: int
    ) -> bool: ...
    def shared_video_uploaded(
        self, *, ad_account_id: str, sha256: str, campaign_id: int, meta_id: str
    ) -> None: ...
    def join_shared_video(
        self,
        campaign_id: int,
        ref: ObjectRef,
        *,
        ad_account_id: str,
        sha256: str,
        step: Step,
        name: str | None,
    ) -> str | None: ...
    def release_video(self, campaign_id: int, ref: ObjectRef, *, meta_id: str) -> bool: ...
    def drop_shared_claims(self, campaign_id: int) -> None: ...
    def shared_video_sha256(self, *, ad_account_id: str, meta_id: str) -> str | None: ...

    # audit trail
    def audit(
        self,
        *,
        actor: str,
        action: str,
        outcome: str,
        campaign_id: int | None = None,
        detail: str | None = None,
    ) -> None: ...
    def audit_events(self, *, campaign_id: int | None = None) -> list[AuditRecord]: ...

    # alert outbox
    def enqueue_alert(
        self, *, kind: str, dedupe_key: str, payload: dict, campaign_id: int | None = None
    ) -> bool: ...
    def pending_alerts(self, *, limit: int = 50) -> list[AlertRecord]: ...
    def pending_alert(self, dedupe_key: str) -> AlertRecord | None: ...
    def count_pending_alerts(self) -> int: ...
    def claim_alert(self, alert_id: int, *, holder: str | None = None) -> bool: ...
    def finish_alert(self, alert_id: int, *, error: str | None = None) -> None: ...
    def release_alert(self, alert_id: int, *, holder: str, error: str) -> bool: ...
    def sending_alerts(self) -> list[AlertRecord]: ...
    def claim_alerts(self, alert_ids: Iterable[int], *, holder: str | None = None) -> list[int]: ...
    def finish_alerts(self, alert_ids: Iterable[int], *, error: str | None = None) -> None: ...
    def alerts(self) -> list[AlertRecord]: ...

    # de-duplication
    def remember_request(self, key: str) -> bool: ...


class EditRepository(Protocol):
    """Edits of campaigns (``campaign_edits``); ``storage.edits.EditStore`` implements it.

    Every write commits before it returns, and every status change is checked against
    ``meta.domain.records.EDIT_TRANSITIONS``; ``update`` is a compare-and-set on the status.
    """

    def add_edit(
        self,
        *,
        campaign_id: int,
        plan: dict[str, Any],
        status: EditStatus,
        requested_by: str,
        source: str,
    ) -> EditRecord: ...
    def get_edit(self, edit_id: int) -> EditRecord | None: ...
    def list_edits(
        self, *, campaign_id: int | None = None, statuses: Iterable[EditStatus] | None = None
    ) -> list[EditRecord]: ...
    def update_edit(
        self,
        edit_id: int,
        *,
        from_statuses: Iterable[EditStatus],
        status: EditStatus | Keep = KEEP,
        progress: dict[str, Any] | Keep = KEEP,
        error: str | Keep | None = KEEP,
        approved_by: str | Keep | None = KEEP,
        slack_channel: str | Keep | None = KEEP,
        slack_ts: str | Keep | None = KEEP,
    ) -> bool: ...
