"""One writer at a time per SQLite file inside this process, handed over the moment it commits.

SQLite lets one connection write at a time. A writer that finds the file locked sleeps in
SQLite's busy handler: 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50 and then 100 ms between tries
(``sqliteDefaultBusyCallback`` in SQLite's ``main.c``), whether the lock was freed a millisecond
after it went to sleep or not. With 20 creations each committing ~45 small transactions of about
a millisecond, the waiters back off to the long sleeps, so the file stands idle most of the time
it is "busy": in the 20-submissions bench the database calls were the largest share of the
bot's busy threads (py-spy) while the bot used about a quarter of one core.

The threads of one process therefore take turns before they start a write transaction: a waiter
sleeps on a condition and is woken by the commit or rollback that ends the transaction before
it, in the order they came. Other processes (the CLI, a second replica, ``sqlite3`` in a shell)
still meet SQLite's own lock and busy handler, so nothing about cross-process safety changes.

The turn is taken where SQLite's write lock is: Python's ``sqlite3`` (in its default, legacy
transaction control, the one SQLAlchemy's pysqlite dialect uses) opens a transaction implicitly
before INSERT, UPDATE, DELETE or REPLACE, and reads outside one run in autocommit. It is given
back after ``commit()``, ``rollback()`` or ``close()`` (a statement that fails leaves its
transaction open, and SQLAlchemy rolls it back), or as soon as the connection is found out of a
transaction after a statement. A waiter that finds the holder closed
or garbage-collected takes the turn over, so a connection dropped without ``close()`` cannot
wedge the others; one that waited the connection's busy timeout gets
SQLite's own ``database is locked``, which the store already retries (``storage.transient``).
"""

from __future__ import annotations

import sqlite3
import threading
import time
import weakref
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any

# Statements before which Python's sqlite3 begins a transaction (legacy transaction control).
_BEGINS_TRANSACTION = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN")
# How often a waiter looks whether the holder is still there (it is woken at once otherwise).
_HOLDER_CHECK_SECONDS = 0.25


class WriterTurn:
    """The write turn of one SQLite file among this process's connections."""

    def __init__(self) -> None:
        # Reentrant: a connection the garbage collector closes gives the turn back from whatever
        # this thread was doing, possibly from inside ``take``.
        self._free = threading.Condition(threading.RLock())
        self._holder: weakref.ref[TurnConnection] | None = None

    def take(self, connection: TurnConnection, wait_seconds: float) -> None:
        """Wait until no other connection of this process writes, then hold the turn.

        Raises ``sqlite3.OperationalError("database is locked")`` after ``wait_seconds``, as
        SQLite would after its busy timeout.
        """
        deadline = time.monotonic() + wait_seconds
        with self._free:
            while not self._is_free_for(connection):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise sqlite3.OperationalError("database is locked")
                self._free.wait(min(left, _HOLDER_CHECK_SECONDS))
            self._holder = weakref.ref(connection)

    def give_back(self, connection: TurnConnection) -> None:
        with self._free:
            if self._holder is not None and self._holder() is connection:
                self._holder = None
                self._free.notify()

    def _is_free_for(self, connection: TurnConnection) -> bool:
        holder = self._holder() if self._holder is not None else None
        # Free, ours, or its holder went away without giving it back.
        return holder is None or holder is connection or _is_closed(holder)


def _is_closed(connection: sqlite3.Connection) -> bool:
    try:
        connection.total_changes  # noqa: B018 - raises on a closed connection
    except sqlite3.ProgrammingError:
        return True
    return False


_turns: dict[str, WriterTurn] = {}
_turns_lock = threading.Lock()


def turn_of(path: Path) -> WriterTurn:
    """The one turn of a database file in this process (every engine on it shares it)."""
    key = str(path.resolve())
    with _turns_lock:
        return _turns.setdefault(key, WriterTurn())


class TurnCursor(sqlite3.Cursor):
    """Takes its connection's write turn before a statement that begins a transaction."""

    connection: TurnConnection

    def execute(self, sql: str, parameters: Any = (), /) -> TurnCursor:
        self.connection.before(sql)
        try:
            return super().execute(sql, parameters)
        finally:
            self.connection.after()

    def executemany(self, sql: str, seq_of_parameters: Iterable[Any], /) -> TurnCursor:
        self.connection.before(sql)
        try:
            return super().executemany(sql, seq_of_parameters)
        finally:
            self.connection.after()


class TurnConnection(sqlite3.Connection):
    """A ``sqlite3`` connection whose write transactions take turns with the process's others.

    Made by ``sqlite3.connect(factory=connection_factory(path, wait))``.
    """

    def __init__(self, *args: Any, turn: WriterTurn, wait_seconds: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._turn = turn
        self._wait_seconds = wait_seconds
        self._holding = False  # only this connection's user changes it: no lock needed

    def cursor(self, factory: Any = None) -> Any:
        return super().cursor(factory or TurnCursor)

    # sqlite3's shortcuts run their statement in C, past a cursor's ``execute``: route them.
    def execute(self, sql: str, parameters: Any = (), /) -> TurnCursor:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Iterable[Any], /) -> TurnCursor:
        return self.cursor().executemany(sql, seq_of_parameters)

    def before(self, sql: str) -> None:
        if self._holding or self.in_transaction or not _begins_transaction(sql):
            return
        self._turn.take(self, self._wait_seconds)
        self._holding = True

    def after(self) -> None:
        if self._holding and not self.in_transaction:
            self._holding = False
            self._turn.give_back(self)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.after()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.after()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._holding = False
            self._turn.give_back(self)


def _begins_transaction(sql: str) -> bool:
    return sql.lstrip()[:7].upper().startswith(_BEGINS_TRANSACTION)


def connection_factory(path: Path, wait_seconds: float) -> partial[TurnConnection]:
    """``factory=`` for ``sqlite3.connect``: connections to ``path`` sharing one writer turn."""
    return partial(TurnConnection, turn=turn_of(path), wait_seconds=wait_seconds)
