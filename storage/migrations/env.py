"""Alembic environment: migrates the database the bot uses, with the bot's own engine settings.

The URL comes from, in order: ``alembic -x url=...``, a URL set on the Alembic config (tests),
``DATABASE_URL`` (environment, then ``.env``), and the bot's default ``sqlite:///data/adbee.db``.
``storage.db.make_engine`` builds the engine, so ``postgresql://`` means psycopg 3 and SQLite gets
the same pragmas as at run time.

Only the tables of ``storage.models`` are compared by ``alembic revision --autogenerate`` and
``alembic check``; APScheduler owns ``apscheduler_jobs`` and creates it itself.
"""

from __future__ import annotations

import os
from logging.config import fileConfig
from typing import Any

from alembic import context
from dotenv import load_dotenv
from sqlalchemy import Connection, inspect, text

from storage.db import make_engine
from storage.models import Base

DEFAULT_URL = "sqlite:///data/adbee.db"
UNMANAGED_TABLES = frozenset({"apscheduler_jobs"})
# Any constant works; every AdBee migration takes the same one so concurrent upgrades queue.
_PG_LOCK_KEY = 0x0ADBEE
# What an AdBee that created its tables itself (before Alembic ran at start-up) left behind.
PRE_ALEMBIC_REVISION = "0001"
# The revisions released while the bot still used create_all, and the tables each one added;
# frozen: every later schema change goes through Alembic at start and is recorded.
PRE_ALEMBIC_TABLES = (
    ("0002", frozenset({"creation_requests"})),
    ("0003", frozenset({"scheduler_heartbeats"})),
)

config = context.config
target_metadata = Base.metadata

# The CLI logs as alembic.ini says; a program running migrations (a test) keeps its own logging.
if config.config_file_name and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    if url:
        return url
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    load_dotenv(override=False)  # like `python -m bot`: the environment wins over .env
    return os.environ.get("DATABASE_URL") or DEFAULT_URL


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    return not (type_ == "table" and name in UNMANAGED_TABLES)


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        include_name=include_name,
        compare_type=True,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
        **kwargs,
    )


def run_migrations_offline() -> None:
    """``alembic upgrade head --sql``: print the SQL instead of running it."""
    url = database_url()
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    _configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Two replicas starting together must not both create the tables: the second waits
            # here, then finds the database at head and has nothing to do.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        _adopt_pre_alembic_database(connection)
        context.run_migrations()


def _adopt_pre_alembic_database(connection: Connection) -> None:
    """AdBee before Alembic made its tables with ``create_all`` and recorded no revision; the
    previous release's schema is exactly revision 0001. Record the revision the tables show, so
    ``upgrade head`` goes on from there instead of failing with "table campaigns already
    exists". Runs under the lock above."""
    migration = context.get_context()
    if migration.get_current_revision() is not None:
        return
    tables = set(inspect(connection).get_table_names())
    if "campaigns" not in tables:
        return  # an empty database: every migration runs
    # Builds before Alembic ran at start made whatever tables their models had: find the newest
    # revision whose tables are all there (each of these added tables only), and go on from it.
    adopted = PRE_ALEMBIC_REVISION
    for revision, added in PRE_ALEMBIC_TABLES:
        if not added <= tables:
            break
        adopted = revision
    migration.stamp(context.script, adopted)


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # a caller (a test) lends its own connection
        _run(connection)
        return
    engine = make_engine(database_url())
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
