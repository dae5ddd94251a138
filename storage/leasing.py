"""The two writes every lease makes, for any table whose rows carry ``claimed_by``/``updated_at``.

Campaign rows (creations and activations) and creation requests are leased the same way
(``meta.services.leases``); the compare-and-set and the heartbeat live here once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from storage.models import CampaignRow, CreationRequestRow, utcnow

LeasedRow = type[CampaignRow] | type[CreationRequestRow]


def take_lease(
    sessions: sessionmaker[Session],
    model: LeasedRow,
    row_id: int,
    *,
    expected_owner: str | None,
    new_owner: str | None,
) -> bool:
    """Compare-and-set ``claimed_by``: only the caller that saw the current owner wins."""
    owner = model.claimed_by
    with sessions() as session:
        result: Any = session.execute(
            update(model)
            .where(
                model.id == row_id,
                owner.is_(None) if expected_owner is None else owner == expected_owner,
            )
            .values(claimed_by=new_owner, updated_at=utcnow())
        )
        session.commit()
        return bool(result.rowcount == 1)


def touch_held(
    sessions: sessionmaker[Session], model: LeasedRow, row_ids: Iterable[int], *, holder: str
) -> int:
    """A heartbeat: refresh ``updated_at`` of the rows ``holder`` still holds; how many it holds.

    A row taken over by someone else is not touched.
    """
    ids = list(row_ids)
    if not ids:
        return 0
    with sessions() as session:
        result: Any = session.execute(
            update(model)
            .where(model.id.in_(ids), model.claimed_by == holder)
            .values(updated_at=utcnow())
        )
        session.commit()
        return int(result.rowcount)
