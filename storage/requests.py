"""Accepted create requests (``creation_requests``): recorded, claimed, finished.

Separate from ``CampaignStore`` because a request is not a campaign yet: it is the durable
promise behind the modal's "AdBee is creating…", kept until a campaign row takes over.
Every write commits at once, like the rest of storage; records go out
(``meta.domain.records.CreationRequestRecord``), never ORM rows, and every write is a typed method.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from meta.domain.records import CreationRequestRecord
from storage import leasing
from storage.models import CreationRequestRow


def request_record(row: CreationRequestRow) -> CreationRequestRecord:
    return CreationRequestRecord(
        id=row.id,
        key=row.key,
        form=row.form,
        requested_by=row.requested_by,
        team_id=row.team_id,
        view_id=row.view_id,
        status=row.status,
        campaign_id=row.campaign_id,
        slack_channel=row.slack_channel,
        slack_ts=row.slack_ts,
        claimed_by=row.claimed_by,
        attempts=row.attempts,
        error=row.error,
        created_at=row.created_at,
        updated_at=row.updated_at,
        batch=row.batch,
        batch_row=row.batch_row,
    )


class CreationRequestStore:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    def add(
        self,
        *,
        key: str,
        form: dict[str, Any],
        requested_by: str,
        team_id: str | None,
        view_id: str | None,
        status: str,
    ) -> CreationRequestRecord | None:
        """Record a request; None when its ``key`` was recorded before (a redelivery)."""
        with self._sessions() as session:
            row = CreationRequestRow(
                key=key,
                form=form,
                requested_by=requested_by,
                team_id=team_id,
                view_id=view_id,
                status=status,
            )
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return None
            return request_record(row)

    def get(self, request_id: int) -> CreationRequestRecord | None:
        with self._sessions() as session:
            row = session.get(CreationRequestRow, request_id)
            return request_record(row) if row is not None else None

    def _change(self, request_id: int, **values: Any) -> CreationRequestRecord:
        with self._sessions() as session:
            row = session.get(CreationRequestRow, request_id)
            if row is None:
                raise KeyError(request_id)
            for name, value in values.items():
                setattr(row, name, value)
            session.commit()
            return request_record(row)

    def set_attempts(self, request_id: int, attempts: int) -> CreationRequestRecord:
        """How many runs have started on this request (crashes included)."""
        return self._change(request_id, attempts=attempts)

    def set_slack_message(self, request_id: int, *, channel: str, ts: str) -> CreationRequestRecord:
        """The message that shows this request (and later its campaign) in the channel."""
        return self._change(request_id, slack_channel=channel, slack_ts=ts)

    def join_batch(
        self, request_id: int, *, batch: str, row: int, channel: str, ts: str
    ) -> CreationRequestRecord:
        """A bulk row is shown in its batch message (``channel``/``ts``), not in one of its own."""
        return self._change(
            request_id, batch=batch, batch_row=row, slack_channel=channel, slack_ts=ts
        )

    def in_batch(self, batch: str) -> list[CreationRequestRecord]:
        """Every row of a bulk batch, in the order they were recorded (the sheet's)."""
        with self._sessions() as session:
            rows = session.scalars(
                select(CreationRequestRow)
                .where(CreationRequestRow.batch == batch)
                .order_by(CreationRequestRow.id)
            )
            return [request_record(row) for row in rows]

    def batch_shown_in(self, channel: str, ts: str) -> str | None:
        """The batch whose message is ``channel``/``ts``; None for any other message."""
        with self._sessions() as session:
            return session.scalars(
                select(CreationRequestRow.batch)
                .where(
                    CreationRequestRow.slack_channel == channel,
                    CreationRequestRow.slack_ts == ts,
                    CreationRequestRow.batch.is_not(None),
                )
                .limit(1)
            ).first()

    def shown_in(
        self, channel: str, ts: str, *, statuses: Iterable[str]
    ) -> list[CreationRequestRecord]:
        """The requests of these statuses whose message is ``channel``/``ts``: a request's own,
        or every row of the bulk batch that message shows."""
        with self._sessions() as session:
            rows = session.scalars(
                select(CreationRequestRow)
                .where(
                    CreationRequestRow.slack_channel == channel,
                    CreationRequestRow.slack_ts == ts,
                    CreationRequestRow.status.in_(list(statuses)),
                )
                .order_by(CreationRequestRow.id)
            )
            return [request_record(row) for row in rows]

    def finish(
        self,
        request_id: int,
        status: str,
        *,
        error: str | None = None,
        campaign_id: int | None = None,
    ) -> CreationRequestRecord:
        """The request's outcome: a campaign took over (``campaign_id``), or why it did not."""
        values: dict[str, Any] = {"status": status, "error": error}
        if campaign_id is not None:
            values["campaign_id"] = campaign_id
        return self._change(request_id, **values)

    def list_requests(
        self, *, statuses: Iterable[str], limit: int = 100
    ) -> list[CreationRequestRecord]:
        """Oldest first: requests are carried on in the order people made them."""
        with self._sessions() as session:
            rows = session.scalars(
                select(CreationRequestRow)
                .where(CreationRequestRow.status.in_(list(statuses)))
                .order_by(CreationRequestRow.id)
                .limit(limit)
            )
            return [request_record(row) for row in rows]

    def for_campaign(self, campaign_id: int) -> CreationRequestRecord | None:
        with self._sessions() as session:
            row = session.scalars(
                select(CreationRequestRow)
                .where(CreationRequestRow.campaign_id == campaign_id)
                .order_by(CreationRequestRow.id.desc())
            ).first()
            return request_record(row) if row is not None else None

    def take_lease(
        self, request_id: int, *, expected_owner: str | None, new_owner: str | None
    ) -> bool:
        """Compare-and-set ``claimed_by``; see ``storage.leasing.take_lease``."""
        return leasing.take_lease(
            self._sessions,
            CreationRequestRow,
            request_id,
            expected_owner=expected_owner,
            new_owner=new_owner,
        )

    def touch_held(self, request_ids: Iterable[int], *, holder: str) -> int:
        """A lease heartbeat; see ``storage.leasing.touch_held``."""
        return leasing.touch_held(self._sessions, CreationRequestRow, request_ids, holder=holder)
