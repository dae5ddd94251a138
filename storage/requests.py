"""Accepted create requests (``creation_requests``): recorded, claimed, finished.

Separate from ``CampaignStore`` because a request is not a campaign yet: it is the durable
promise behind the modal's "AdBee is creating…", kept until a campaign row takes over.
Every write commits at once, like the rest of storage.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from storage import leasing
from storage.models import CreationRequestRow


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
