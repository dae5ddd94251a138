"""Accepted create requests (``creation_requests``): recorded, claimed, finished.

Separate from ``CampaignStore`` because a request is not a campaign yet: it is the durable
promise behind the modal's "AdBee is creating…", kept until a campaign row takes over.
Every write commits at once, like the rest of storage.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from storage.models import CreationRequestRow, utcnow


class CreationRequestStore:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    def add(self, **fields: Any) -> CreationRequestRow | None:
        """Record a request; None when its ``key`` was recorded before (a redelivery)."""
        with self._sessions() as session:
            row = CreationRequestRow(**fields)
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return None
            return row

    def get(self, request_id: int) -> CreationRequestRow | None:
        with self._sessions() as session:
            return session.get(CreationRequestRow, request_id)

    def update(self, request_id: int, **fields: Any) -> CreationRequestRow:
        with self._sessions() as session:
            row = session.get(CreationRequestRow, request_id)
            if row is None:
                raise KeyError(request_id)
            for key, value in fields.items():
                setattr(row, key, value)
            session.commit()
            return row

    def list_requests(
        self, *, statuses: Iterable[str], limit: int = 100
    ) -> list[CreationRequestRow]:
        """Oldest first: requests are carried on in the order people made them."""
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(CreationRequestRow)
                    .where(CreationRequestRow.status.in_(list(statuses)))
                    .order_by(CreationRequestRow.id)
                    .limit(limit)
                )
            )

    def for_campaign(self, campaign_id: int) -> CreationRequestRow | None:
        with self._sessions() as session:
            return session.scalars(
                select(CreationRequestRow)
                .where(CreationRequestRow.campaign_id == campaign_id)
                .order_by(CreationRequestRow.id.desc())
            ).first()

    def take_lease(
        self, request_id: int, *, expected_owner: str | None, new_owner: str | None
    ) -> bool:
        """Compare-and-set ``claimed_by``: only the caller that saw the current owner wins."""
        owner = CreationRequestRow.claimed_by
        with self._sessions() as session:
            result = session.execute(
                update(CreationRequestRow)
                .where(
                    CreationRequestRow.id == request_id,
                    owner.is_(None) if expected_owner is None else owner == expected_owner,
                )
                .values(claimed_by=new_owner, updated_at=utcnow())
            )
            session.commit()
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def touch_held(self, request_ids: Iterable[int], *, holder: str) -> int:
        """A lease heartbeat: refresh ``updated_at`` of the requests ``holder`` still holds."""
        ids = list(request_ids)
        if not ids:
            return 0
        with self._sessions() as session:
            result = session.execute(
                update(CreationRequestRow)
                .where(CreationRequestRow.id.in_(ids), CreationRequestRow.claimed_by == holder)
                .values(updated_at=utcnow())
            )
            session.commit()
            return int(result.rowcount)  # type: ignore[attr-defined]
