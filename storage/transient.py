"""Transient database errors: recognised, retried with backoff for a bounded time, then named.

A SQLite file locked by another process (a backup, a migration, a second writer past the busy
timeout), a full disk, or a PostgreSQL server restarting all raise SQLAlchemy's
``OperationalError`` (or a ``DBAPIError`` whose connection was invalidated). Each clears on its
own, usually within seconds, so every store call is retried until ``budget`` seconds have passed;
only then does the caller see ``DatabaseUnavailableError``, whose message says how long the
database was unavailable and why, in words a user can act on.

Retrying a whole store call is safe: each one is a single short transaction that either
committed or did not. The one ambiguous case is a PostgreSQL connection lost *during* COMMIT
(the server may have applied it); a retried compare-and-set then reports "someone else got
there first", which every caller already treats as a lost race, never as a second action.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_BUDGET_SECONDS = 60.0
_FIRST_DELAY = 0.05
_MAX_DELAY = 2.0


class DatabaseUnavailableError(Exception):
    """The database did not answer for ``seconds`` seconds; ``cause`` is its own short reason."""

    def __init__(self, cause: str, seconds: float) -> None:
        self.cause = cause
        self.seconds = seconds
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return f"the database was unavailable for {_seconds_text(self.seconds)} ({self.cause})"


def _seconds_text(seconds: float) -> str:
    if seconds < 1:
        return "less than a second"
    return f"{round(seconds)} s"


def is_transient(exc: BaseException) -> bool:
    """True for errors that go away when the database answers again.

    ``OperationalError`` is the DB-API's class for "the database is not able to do it now":
    SQLite's "database is locked", "disk I/O error", "database or disk is full", "unable to open
    database file", and every PostgreSQL connection failure. A ``DBAPIError`` with
    ``connection_invalidated`` means SQLAlchemy saw the connection die (a server restart).
    Integrity and programming errors are never transient: retrying cannot fix them.
    """
    if isinstance(exc, DatabaseUnavailableError | PoolTimeoutError):
        return True
    if isinstance(exc, OperationalError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def short_cause(exc: BaseException) -> str:
    """The first line of the driver's message, e.g. "database is locked"."""
    if isinstance(exc, DatabaseUnavailableError):
        return exc.cause
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip().splitlines()
    first = text[0].strip() if text else type(original).__name__
    return first[:160] or type(original).__name__


def retrying(
    call: Callable[[], T],
    *,
    budget: float = DEFAULT_BUDGET_SECONDS,
    what: str = "database call",
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``call()`` again after transient errors (jittered exponential backoff) for ``budget`` s.

    Raises ``DatabaseUnavailableError`` (from the last error) when the budget is spent; any other
    error is raised at once.
    """
    started = time.monotonic()
    delay = _FIRST_DELAY
    attempt = 0
    while True:
        attempt += 1
        try:
            result = call()
        except SQLAlchemyError as exc:
            if not is_transient(exc):
                raise
            elapsed = time.monotonic() - started
            cause = short_cause(exc)
            if elapsed >= budget:
                log.error("%s failed for %.1f s (%s); giving up", what, elapsed, cause)
                raise DatabaseUnavailableError(cause, elapsed) from exc
            if attempt == 1:
                log.warning("%s failed (%s); retrying for up to %.0f s", what, cause, budget)
            sleep(min(delay * (0.5 + random.random()), max(budget - elapsed, 0.0)))
            delay = min(delay * 2, _MAX_DELAY)
            continue
        if attempt > 1:
            log.info(
                "%s succeeded after %d attempts (%.1f s)",
                what,
                attempt,
                time.monotonic() - started,
            )
        return result


class OutageTracker:
    """Remembers whether the database is failing right now, so each outage is alerted once.

    ``failed`` is called on every failed database use, ``recovered`` on every success; the hooks
    run once on the first failure of an outage and once when it ends. Thread-safe: scheduler
    jobs, the job store and the heartbeat all report to one tracker.
    """

    def __init__(
        self,
        *,
        on_down: Callable[[str], None] | None = None,
        on_up: Callable[[float, str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._on_down = on_down or (lambda _cause: None)
        self._on_up = on_up or (lambda _seconds, _cause: None)
        self._clock = clock
        self._lock = threading.Lock()
        self._since: float | None = None
        self._cause = ""

    @property
    def down(self) -> bool:
        return self._since is not None

    @property
    def cause(self) -> str:
        return self._cause

    def failed(self, exc: BaseException, *, where: str) -> None:
        cause = short_cause(exc)
        with self._lock:
            first = self._since is None
            if first:
                self._since = self._clock()
                self._cause = cause
        if first:
            log.error("database unavailable (%s) in %s; alerting once", cause, where)
            _quietly(self._on_down, cause)
        else:
            log.warning("database still unavailable (%s) in %s", cause, where)

    def recovered(self) -> None:
        with self._lock:
            since, cause = self._since, self._cause
            self._since = None
        if since is not None:
            seconds = self._clock() - since
            log.warning("database answers again after %.1f s (%s)", seconds, cause)
            _quietly(self._on_up, seconds, cause)


def _quietly(hook: Callable[..., None], *args: object) -> None:
    try:
        hook(*args)
    except Exception:  # an alert that cannot go out must not break the caller
        log.exception("database outage hook failed")
