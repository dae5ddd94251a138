"""The scheduler's heartbeat rows (``storage.models.SchedulerHeartbeat``).

Written by the running bot, read by ``python -m bot health`` in another process. A beat is a
single upsert, not retried: a beat that cannot be written *is* the news (the database is
unavailable), and the next one comes a few seconds later anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from storage.models import SchedulerHeartbeat, utcnow


@dataclass(frozen=True)
class Beat:
    replica: str
    pid: int
    started_at: datetime
    beat_at: datetime
    interval_seconds: int
    state: str

    def age(self, now: datetime | None = None) -> float:
        return ((now or datetime.now(UTC)) - self.beat_at).total_seconds()


class HeartbeatStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def beat(
        self,
        *,
        replica: str,
        pid: int,
        started_at: datetime,
        interval_seconds: int,
        state: str = "running",
    ) -> None:
        with Session(self._engine) as session:
            row = session.get(SchedulerHeartbeat, replica)
            if row is None:
                row = SchedulerHeartbeat(replica=replica)
                session.add(row)
            row.pid = pid
            row.started_at = started_at
            row.beat_at = utcnow()
            row.interval_seconds = interval_seconds
            row.state = state
            session.commit()

    def forget(self, replica: str) -> None:
        with Session(self._engine) as session:
            session.execute(delete(SchedulerHeartbeat).where(SchedulerHeartbeat.replica == replica))
            session.commit()

    def all(self) -> list[Beat]:
        with Session(self._engine) as session:
            rows = session.scalars(select(SchedulerHeartbeat).order_by(SchedulerHeartbeat.replica))
            return [
                Beat(r.replica, r.pid, r.started_at, r.beat_at, r.interval_seconds, r.state)
                for r in rows
            ]
