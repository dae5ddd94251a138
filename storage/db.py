"""Engine and session factory from a database URL.

SQLite is the zero-set-up default; PostgreSQL is used when several bot replicas share one
database. Both go through the same code so that tests on SQLite say something about production.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

from storage.models import Base
from storage.sqlite_turn import connection_factory

# How long a SQLite writer waits for another one's lock before "database is locked"; the store
# then retries on top of it (storage.transient).
BUSY_TIMEOUT_SECONDS = 30.0


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL; None for other databases and in-memory SQLite."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[-1].split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    return Path(path)


def make_engine(
    url: str,
    *,
    busy_timeout: float = BUSY_TIMEOUT_SECONDS,
    create_folder: bool = True,
    create_file: bool = True,
) -> Engine:
    """Create an engine; for SQLite, create the folder and make concurrent writers wait, not fail.

    ``create_folder=False`` for callers that must not create anything (``python -m bot health``).
    ``create_file=False`` opens the SQLite file read-write but never creates it: SQLite's default
    is to create a missing file on connect, so a file deleted under a running bot would silently
    come back empty at its next new connection (``bot.database_watch``).
    """
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is not None and create_folder:
            path.parent.mkdir(parents=True, exist_ok=True)
        if path is not None and not create_file:
            url = f"sqlite:///file:{path}?mode=rw&uri=true"
        connect_args: dict[str, Any] = {"check_same_thread": False, "timeout": busy_timeout}
        if path is not None:
            # This process's writers take turns instead of sleeping in SQLite's busy handler.
            connect_args["factory"] = connection_factory(path, busy_timeout)
        engine = create_engine(url, connect_args=connect_args)
        busy_ms = int(busy_timeout * 1000)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
            # WAL lets the scheduler read while a creation thread writes; busy_timeout makes
            # writers queue instead of raising "database is locked".
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def create_database_file(url: str) -> None:
    """Create an empty SQLite file (SQLite takes an empty file as an empty database)."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()


def create_schema(engine: Engine) -> None:
    """Bring the database to this code's schema with Alembic (``upgrade head``); the only way
    AdBee makes or changes its tables, so ``alembic current`` always tells the truth.

    Idempotent and safe from every replica at once: on PostgreSQL the migration runs under an
    advisory lock (``storage/migrations/env.py``), so a second replica waits, then finds the
    database at head. A database an AdBee before Alembic made (tables, no revision) is adopted
    as revision 0001, the schema those releases created, then upgraded.
    """
    from alembic import command

    from storage.schema_version import alembic_config

    config = alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        connection.commit()


def existing_tables(engine: Engine) -> set[str]:
    """The tables the database has now (connecting to a missing SQLite file creates it: check
    ``sqlite_path(url).exists()`` first where nothing may be created)."""
    with engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def model_tables() -> set[str]:
    return set(Base.metadata.tables)
