"""Small keyword-only persistence functions over the tables in ``storage.models``.

Every write commits at once: the pipeline relies on "returned means durable" so that a crash
after any call loses nothing that Meta already has.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from storage import leasing
from storage.models import Alert, AuditEvent, CampaignRow, ProcessedRequest, utcnow
from storage.transient import DEFAULT_BUDGET_SECONDS, retrying

F = TypeVar("F", bound=Callable[..., Any])


def _retried(method: F) -> F:
    """Run a store call again after a transient database error (``storage.transient``)."""

    @functools.wraps(method)
    def wrapper(self: CampaignStore, *args: Any, **kwargs: Any) -> Any:
        return retrying(
            lambda: method(self, *args, **kwargs),
            budget=self.retry_seconds,
            what=f"store.{method.__name__}",
        )

    return wrapper  # type: ignore[return-value]


class CampaignStore:
    """Campaign rows, audit trail, alert outbox and request de-duplication."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        retry_seconds: float = DEFAULT_BUDGET_SECONDS,
    ) -> None:
        self._sessions = session_factory
        # How long one call keeps retrying a locked or unreachable database before it raises
        # DatabaseUnavailableError; every call is one short transaction, so a retry is safe.
        self.retry_seconds = retry_seconds

    # campaigns ---------------------------------------------------------------------------
    @_retried
    def add(self, **fields: Any) -> CampaignRow:
        with self._sessions() as session:
            row = CampaignRow(**fields)
            session.add(row)
            session.commit()
            return row

    @_retried
    def get(self, campaign_id: int) -> CampaignRow | None:
        with self._sessions() as session:
            return session.get(CampaignRow, campaign_id)

    @_retried
    def update(self, campaign_id: int, **fields: Any) -> CampaignRow:
        with self._sessions() as session:
            row = session.get(CampaignRow, campaign_id)
            if row is None:
                raise KeyError(campaign_id)
            for key, value in fields.items():
                setattr(row, key, value)
            session.commit()
            return row

    @_retried
    def transition(
        self,
        campaign_id: int,
        *,
        from_statuses: Iterable[str],
        to_status: str,
        held_by: str | None = None,
        alert: dict[str, Any] | None = None,
        **fields: Any,
    ) -> bool:
        """Atomically move a row between statuses; False when another actor got there first.

        This compare-and-set is what makes activation exactly-once across replicas: only the
        process whose UPDATE matched the old status goes on to call Meta. ``held_by`` also
        requires ``claimed_by`` to name that holder (a claim taken over is no longer ours).
        ``alert`` (``enqueue_alert``'s keywords) is queued in the same transaction, once per
        dedupe key, so a crash can never leave the row moved and its alert unqueued.
        """
        conditions = [CampaignRow.id == campaign_id, CampaignRow.status.in_(list(from_statuses))]
        if held_by is not None:
            conditions.append(CampaignRow.claimed_by == held_by)
        with self._sessions() as session:
            result = session.execute(
                update(CampaignRow)
                .where(*conditions)
                .values(status=to_status, updated_at=utcnow(), **fields)
            )
            moved = bool(result.rowcount == 1)  # type: ignore[attr-defined]
            if moved and alert is not None:
                queued = session.scalars(
                    select(Alert.id).where(Alert.dedupe_key == alert["dedupe_key"])
                ).first()
                if queued is None:
                    session.add(Alert(**alert))
            session.commit()
            return moved

    def touch_held(self, campaign_ids: Iterable[int], *, holder: str) -> int:
        """A lease heartbeat; see ``storage.leasing.touch_held``."""
        return leasing.touch_held(self._sessions, CampaignRow, campaign_ids, holder=holder)

    def take_over_claim(
        self,
        campaign_id: int,
        *,
        status: str,
        expected_owner: str | None,
        idle_before: datetime,
        new_owner: str,
    ) -> bool:
        """Compare-and-set the holder of a claim left by a dead worker.

        Matches only while the row is still in ``status``, still names ``expected_owner`` and
        has not been touched since ``idle_before``: a heartbeat landing first keeps the claim
        with its holder, and of two takers only one wins.
        """
        owner = CampaignRow.claimed_by
        with self._sessions() as session:
            result = session.execute(
                update(CampaignRow)
                .where(
                    CampaignRow.id == campaign_id,
                    CampaignRow.status == status,
                    owner.is_(None) if expected_owner is None else owner == expected_owner,
                    CampaignRow.updated_at < idle_before,
                )
                .values(claimed_by=new_owner, updated_at=utcnow())
            )
            session.commit()
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    @_retried
    def touch(self, campaign_id: int) -> None:
        """Show that a creation is alive (its lease heartbeat) without changing anything else."""
        with self._sessions() as session:
            session.execute(
                update(CampaignRow).where(CampaignRow.id == campaign_id).values(updated_at=utcnow())
            )
            session.commit()

    @_retried
    def take_lease(
        self, campaign_id: int, *, expected_owner: str | None, new_owner: str | None
    ) -> bool:
        """Compare-and-set ``claimed_by``; see ``storage.leasing.take_lease``."""
        return leasing.take_lease(
            self._sessions,
            CampaignRow,
            campaign_id,
            expected_owner=expected_owner,
            new_owner=new_owner,
        )

    @_retried
    def find_open(self, *, ad_account_id: str, name: str) -> CampaignRow | None:
        """The newest creation for this account and name that has not been rolled back."""
        with self._sessions() as session:
            return session.scalars(
                select(CampaignRow)
                .where(
                    CampaignRow.ad_account_id == ad_account_id,
                    CampaignRow.name == name,
                    CampaignRow.status.not_in(["rolled_back", "rejected"]),
                )
                .order_by(CampaignRow.id.desc())
            ).first()

    @_retried
    def find(self, ref: str) -> CampaignRow | None:
        """Look a campaign up the way users name it: AdBee id, Meta campaign id or exact name."""
        with self._sessions() as session:
            if ref.isdigit():
                row = session.get(CampaignRow, int(ref)) if len(ref) < 10 else None
                if row is None:
                    row = session.scalars(
                        select(CampaignRow).where(CampaignRow.meta_campaign_id == ref)
                    ).first()
                if row is not None:
                    return row
            return session.scalars(
                select(CampaignRow)
                .where(func.lower(CampaignRow.name) == ref.lower())
                .order_by(CampaignRow.id.desc())
            ).first()

    @_retried
    def list_campaigns(
        self,
        *,
        account_key: str | None = None,
        statuses: Iterable[str] | None = None,
        limit: int | None = 20,
    ) -> list[CampaignRow]:
        """Newest first; ``limit=None`` for all of them (jobs that must not miss old rows)."""
        with self._sessions() as session:
            query = select(CampaignRow).order_by(CampaignRow.id.desc()).limit(limit)
            if account_key:
                query = query.where(CampaignRow.account_key == account_key)
            if statuses is not None:
                query = query.where(CampaignRow.status.in_(list(statuses)))
            return list(session.scalars(query))

    @_retried
    def list_due(self, *, now: datetime, status: str = "scheduled") -> list[CampaignRow]:
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(CampaignRow)
                    .where(CampaignRow.status == status, CampaignRow.activate_at <= now)
                    .order_by(CampaignRow.activate_at)
                )
            )

    # audit -------------------------------------------------------------------------------
    @_retried
    def audit(
        self,
        *,
        actor: str,
        action: str,
        outcome: str,
        campaign_id: int | None = None,
        detail: str | None = None,
    ) -> None:
        with self._sessions() as session:
            session.add(
                AuditEvent(
                    actor=actor,
                    action=action,
                    outcome=outcome,
                    campaign_id=campaign_id,
                    detail=detail,
                )
            )
            session.commit()

    @_retried
    def audit_events(self, *, campaign_id: int | None = None) -> list[AuditEvent]:
        with self._sessions() as session:
            query = select(AuditEvent).order_by(AuditEvent.id)
            if campaign_id is not None:
                query = query.where(AuditEvent.campaign_id == campaign_id)
            return list(session.scalars(query))

    # alert outbox ------------------------------------------------------------------------
    @_retried
    def enqueue_alert(
        self, *, kind: str, dedupe_key: str, payload: dict, campaign_id: int | None = None
    ) -> bool:
        """Queue an alert once per dedupe key; False when the same alert was queued before."""
        with self._sessions() as session:
            session.add(
                Alert(kind=kind, dedupe_key=dedupe_key, payload=payload, campaign_id=campaign_id)
            )
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return False
            return True

    @_retried
    def pending_alerts(self, *, limit: int = 50) -> list[Alert]:
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(Alert).where(Alert.status == "pending").order_by(Alert.id).limit(limit)
                )
            )

    @_retried
    def pending_alert(self, dedupe_key: str) -> Alert | None:
        with self._sessions() as session:
            return session.scalars(
                select(Alert).where(Alert.dedupe_key == dedupe_key, Alert.status == "pending")
            ).first()

    @_retried
    def count_pending_alerts(self) -> int:
        """Alerts waiting to be delivered: the outbox depth that metrics and health report."""
        with self._sessions() as session:
            return int(
                session.scalar(
                    select(func.count()).select_from(Alert).where(Alert.status == "pending")
                )
                or 0
            )

    def claim_alert(self, alert_id: int) -> bool:
        """Take one pending alert for sending, so two replicas never post it twice."""
        with self._sessions() as session:
            result = session.execute(
                update(Alert)
                .where(Alert.id == alert_id, Alert.status == "pending")
                .values(status="sending", attempts=Alert.attempts + 1)
            )
            session.commit()
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    @_retried
    def finish_alert(self, alert_id: int, *, error: str | None = None) -> None:
        with self._sessions() as session:
            values: dict[str, Any] = (
                {"status": "sent", "sent_at": utcnow(), "last_error": None}
                if error is None
                else {"status": "pending", "last_error": error}
            )
            session.execute(update(Alert).where(Alert.id == alert_id).values(**values))
            session.commit()

    @_retried
    def alerts(self) -> list[Alert]:
        with self._sessions() as session:
            return list(session.scalars(select(Alert).order_by(Alert.id)))

    # de-duplication ----------------------------------------------------------------------
    @_retried
    def remember_request(self, key: str) -> bool:
        """Record a Slack request key; False when it was seen before (a redelivery)."""
        with self._sessions() as session:
            session.add(ProcessedRequest(key=key))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return False
            return True
