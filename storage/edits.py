"""``EditStore``: the edits of campaigns (``campaign_edits``), for ``meta.services.edits``.

It implements ``meta.domain.ports.EditRepository``; every write is one commit, and status writes
are a compare-and-set checked against ``meta.domain.records.EDIT_TRANSITIONS`` (two replicas
approving one edit apply it once).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from meta.domain.ports import KEEP, Keep
from meta.domain.records import EDIT_TRANSITIONS, EditRecord, EditStatus
from storage.models import CampaignEditRow, utcnow
from storage.repository import _retried
from storage.transient import DEFAULT_BUDGET_SECONDS


class IllegalEditTransitionError(ValueError):
    """A status change the edit state machine does not have (a bug, never a user's doing)."""


def edit_record(row: CampaignEditRow) -> EditRecord:
    return EditRecord(
        id=row.id,
        campaign_id=row.campaign_id,
        status=EditStatus(row.status),
        plan=row.plan,
        progress=dict(row.progress or {}),
        requested_by=row.requested_by,
        approved_by=row.approved_by,
        source=row.source,
        error=row.error,
        slack_channel=row.slack_channel,
        slack_ts=row.slack_ts,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class EditStore:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        retry_seconds: float = DEFAULT_BUDGET_SECONDS,
    ) -> None:
        self._sessions = session_factory
        self.retry_seconds = retry_seconds  # read by ``_retried``

    @_retried
    def add_edit(
        self,
        *,
        campaign_id: int,
        plan: dict[str, Any],
        status: EditStatus,
        requested_by: str,
        source: str,
    ) -> EditRecord:
        with self._sessions() as session:
            row = CampaignEditRow(
                campaign_id=campaign_id,
                plan=plan,
                progress={},
                status=status,
                requested_by=requested_by,
                source=source,
            )
            session.add(row)
            session.commit()
            return edit_record(row)

    @_retried
    def get_edit(self, edit_id: int) -> EditRecord | None:
        with self._sessions() as session:
            row = session.get(CampaignEditRow, edit_id)
            return edit_record(row) if row is not None else None

    @_retried
    def list_edits(
        self, *, campaign_id: int | None = None, statuses: Iterable[EditStatus] | None = None
    ) -> list[EditRecord]:
        query = select(CampaignEditRow).order_by(CampaignEditRow.id)
        if campaign_id is not None:
            query = query.where(CampaignEditRow.campaign_id == campaign_id)
        if statuses is not None:
            query = query.where(CampaignEditRow.status.in_([str(s) for s in statuses]))
        with self._sessions() as session:
            return [edit_record(row) for row in session.scalars(query)]

    @_retried
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
    ) -> bool:
        """Write the fields given while the edit is in one of ``from_statuses``; False if not."""
        sources = [EditStatus(s) for s in from_statuses]
        if not isinstance(status, Keep):
            wrong = [s for s in sources if status not in EDIT_TRANSITIONS[s] and s is not status]
            if wrong:
                raise IllegalEditTransitionError(
                    f"an edit cannot go from {', '.join(wrong)} to {status}"
                )
        values: dict[str, Any] = {
            name: value
            for name, value in {
                "status": status,
                "progress": progress,
                "error": error,
                "approved_by": approved_by,
                "slack_channel": slack_channel,
                "slack_ts": slack_ts,
            }.items()
            if value is not KEEP
        }
        with self._sessions() as session:
            result: Any = session.execute(
                update(CampaignEditRow)
                .where(
                    CampaignEditRow.id == edit_id,
                    CampaignEditRow.status.in_([str(s) for s in sources]),
                )
                .values(updated_at=utcnow(), **values)
            )
            session.commit()
            return bool(result.rowcount == 1)
