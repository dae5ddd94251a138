"""``UTCDateTime``: every timestamp column reads back aware UTC, and a naive one is refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session, sessionmaker

from storage.db import create_schema, make_engine, make_session_factory
from storage.models import AuditEvent
from storage.types import NaiveDateTimeError


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'adbee.db'}")
    create_schema(engine)
    yield make_session_factory(engine)
    engine.dispose()


def test_an_aware_time_in_another_zone_reads_back_as_the_same_instant_in_utc(
    sessions: sessionmaker[Session],
) -> None:
    plus8 = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    with sessions() as session:
        session.add(AuditEvent(actor="U1", action="approve", outcome="ok", at=plus8))
        session.commit()
    with sessions() as session:
        (event,) = session.query(AuditEvent).all()
    assert event.at == plus8
    assert event.at.tzinfo is UTC
    assert event.at.hour == 1


def test_defaults_read_back_aware(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        session.add(AuditEvent(actor="U1", action="approve", outcome="ok"))
        session.commit()
    with sessions() as session:
        (event,) = session.query(AuditEvent).all()
    assert event.at.tzinfo is UTC
    assert abs(datetime.now(UTC) - event.at) < timedelta(minutes=1)


def test_a_naive_datetime_is_refused_before_it_is_written(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        session.add(AuditEvent(actor="U1", action="approve", outcome="ok", at=datetime(2026, 3, 1)))
        with pytest.raises(StatementError) as caught:
            session.commit()
    assert isinstance(caught.value.orig, NaiveDateTimeError)
    assert "naive datetime 2026-03-01T00:00:00" in str(caught.value)
    with sessions() as session:
        assert session.query(AuditEvent).count() == 0
