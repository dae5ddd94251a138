"""Column types shared by every table.

SQLite has no time-zone-aware timestamp: a ``DateTime(timezone=True)`` column hands back naive
datetimes there and aware ones on PostgreSQL. ``UTCDateTime`` makes both the same at the edge of
storage, so no caller has to guess what a datetime from the database means.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class NaiveDateTimeError(ValueError):
    """A naive datetime was about to be stored: its meaning (which zone?) would be a guess."""


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always an aware UTC ``datetime`` in Python, on every database.

    Writing refuses a naive datetime (``NaiveDateTimeError``) instead of guessing its zone;
    aware values are stored as UTC. Reading returns aware UTC: SQLite's naive values are UTC
    because only UTC is ever written.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise NaiveDateTimeError(
                f"refusing to store the naive datetime {value.isoformat()}: "
                "pass an aware one (e.g. datetime.now(UTC))"
            )
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
