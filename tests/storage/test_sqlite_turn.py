"""The writers of one bot process take turns on the SQLite file instead of sleeping in SQLite's
busy handler, and a turn is never lost: a commit, a rollback, a close, a failed first statement
or a connection the garbage collector takes all hand it on.

SQLite's own wait is switched off here (``timeout=0``: a locked file fails at once), so a write
that succeeds while another connection of the process writes proves it waited for its turn,
not for SQLite.
"""

from __future__ import annotations

import gc
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import make_engine
from storage.sqlite_turn import TurnConnection, connection_factory


def connect(path: Path, *, wait: float = 5.0) -> TurnConnection:
    # typeshed wants a class for ``factory``; sqlite3 takes any callable (storage.db does this)
    connection = sqlite3.connect(  # type: ignore[call-overload]
        path, timeout=0, check_same_thread=False, factory=connection_factory(path, wait)
    )
    assert isinstance(connection, TurnConnection)
    return connection


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "adbee.db"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE steps (id INTEGER PRIMARY KEY, what TEXT)")
    return path


def write_in_thread(path: Path, what: str) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def write() -> None:
        try:
            connection = connect(path)
            connection.execute("INSERT INTO steps (what) VALUES (?)", (what,))
            connection.commit()
            connection.close()
        except BaseException as exc:  # reported to the test
            errors.append(exc)

    thread = threading.Thread(target=write)
    thread.start()
    return thread, errors


def rows(path: Path) -> list[str]:
    with sqlite3.connect(path) as reader:
        return [what for (what,) in reader.execute("SELECT what FROM steps ORDER BY id")]


def test_a_second_writer_waits_for_the_first_to_commit_instead_of_failing(database: Path) -> None:
    first = connect(database)
    first.execute("INSERT INTO steps (what) VALUES ('campaign')")  # holds the write lock
    second, errors = write_in_thread(database, "ad set")
    second.join(0.3)
    assert second.is_alive(), "the second writer should wait for its turn"
    first.commit()
    second.join(5)
    assert not errors
    assert rows(database) == ["campaign", "ad set"]


def test_a_rollback_or_a_close_hands_the_turn_on(database: Path) -> None:
    first = connect(database)
    first.execute("INSERT INTO steps (what) VALUES ('dropped')")
    second, errors = write_in_thread(database, "kept")
    first.rollback()
    second.join(5)
    third = connect(database)
    third.execute("INSERT INTO steps (what) VALUES ('closed')")
    fourth, more_errors = write_in_thread(database, "after close")
    third.close()  # closing rolls the transaction back
    fourth.join(5)
    assert not errors and not more_errors
    assert rows(database) == ["kept", "after close"]


def test_a_connection_dropped_mid_transaction_does_not_wedge_the_others(database: Path) -> None:
    lost = connect(database)
    lost.execute("INSERT INTO steps (what) VALUES ('never committed')")
    del lost  # no commit, no close: SQLite rolls it back when the object goes
    gc.collect()
    writer, errors = write_in_thread(database, "next")
    writer.join(5)
    assert not errors
    assert rows(database) == ["next"]


def test_a_writer_that_waited_its_busy_timeout_gets_sqlites_own_error(database: Path) -> None:
    """The store already retries "database is locked" (storage.transient)."""
    first = connect(database)
    first.execute("INSERT INTO steps (what) VALUES ('long step')")
    impatient = connect(database, wait=0.2)
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        impatient.execute("INSERT INTO steps (what) VALUES ('too late')")
    first.commit()
    impatient.execute("INSERT INTO steps (what) VALUES ('later')")
    impatient.commit()
    assert rows(database) == ["long step", "later"]


def test_a_write_another_process_blocks_hands_the_turn_on_when_rolled_back(
    database: Path,
) -> None:
    """Another process (the CLI, a shell) holds SQLite's lock: our statement fails at its busy
    timeout, and the rollback SQLAlchemy does after a failed statement hands the turn on."""
    other_process = sqlite3.connect(database, isolation_level=None)
    other_process.execute("BEGIN EXCLUSIVE")
    blocked = connect(database)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        blocked.execute("INSERT INTO steps (what) VALUES ('blocked')")
    blocked.rollback()
    other_process.execute("COMMIT")
    writer, errors = write_in_thread(database, "after the other process")
    writer.join(5)
    assert not errors
    assert rows(database) == ["after the other process"]


def test_readers_do_not_wait_for_a_writer(database: Path) -> None:
    writer = connect(database)
    writer.execute("INSERT INTO steps (what) VALUES ('uncommitted')")
    reader = connect(database, wait=0.0)
    assert reader.execute("SELECT count(*) FROM steps").fetchone() == (0,)
    writer.commit()


def test_the_bots_engine_has_its_threads_take_turns(tmp_path: Path) -> None:
    """Eight threads writing through one engine, as a bot's creations do: all rows land."""
    engine = make_engine(f"sqlite:///{tmp_path / 'adbee.db'}", busy_timeout=10)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE steps (id INTEGER PRIMARY KEY, what TEXT)"))
    errors: list[BaseException] = []

    def creation(number: int) -> None:
        try:
            for step in range(25):
                with engine.begin() as connection:
                    connection.execute(
                        text("INSERT INTO steps (what) VALUES (:what)"),
                        {"what": f"{number}-{step}"},
                    )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=creation, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM steps")).scalar() == 200
        raw = connection.connection.dbapi_connection
        assert isinstance(raw, TurnConnection)
    engine.dispose()
