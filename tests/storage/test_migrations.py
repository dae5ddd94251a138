"""Alembic head is storage/models.py, and create_schema stays the zero-set-up path.

``alembic upgrade head`` on an empty database must give the schema ``Base.metadata`` describes
(tables, columns, types, nullability, keys, indexes), the same one ``storage.db.create_schema``
makes; a model change without a migration fails here. ``apscheduler_jobs`` belongs to APScheduler
and must be ignored by Alembic. The PostgreSQL cases run when ADBEE_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, make_url, text

from jobs.scheduler import JOBS_TABLE, build_scheduler
from storage.db import create_schema, make_engine
from storage.models import Base

ROOT = Path(__file__).resolve().parents[2]
ALEMBIC_INI = ROOT / "alembic.ini"
MODEL_TABLES = {
    "campaigns",
    "audit_events",
    "alerts",
    "processed_requests",
    "creation_requests",
    "scheduler_heartbeats",
    "meta_objects",
    "campaign_edits",
    "shared_videos",
}
NOT_MODELS = {"alembic_version", JOBS_TABLE}
PG_URL = os.environ.get("ADBEE_TEST_POSTGRES_URL")


def alembic_config(url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["configure_logger"] = False
    return config


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database, in the same form DATABASE_URL takes."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'adbee.db'}"
        return
    if not PG_URL:
        pytest.skip("ADBEE_TEST_POSTGRES_URL is not set")
    yield from _postgres_database()


@pytest.fixture
def second_db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'reference.db'}"


def _postgres_database() -> Iterator[str]:
    name = f"adbee_migrations_{uuid.uuid4().hex[:10]}"
    admin_url = make_url(PG_URL).set(drivername="postgresql+psycopg")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def describe(engine: Engine) -> dict[str, dict[str, object]]:
    """Tables AdBee's models own, as the database itself reports them."""
    inspector = inspect(engine)
    schema: dict[str, dict[str, object]] = {}
    for table in sorted(set(inspector.get_table_names()) - NOT_MODELS):
        pk = inspector.get_pk_constraint(table)
        schema[table] = {
            "columns": {
                col["name"]: (col["type"].compile(dialect=engine.dialect), col["nullable"])
                for col in inspector.get_columns(table)
            },
            "primary_key": tuple(pk["constrained_columns"]),
            "indexes": sorted(
                (ix["name"], tuple(ix["column_names"]), bool(ix["unique"]))
                for ix in inspector.get_indexes(table)
            ),
            "unique": sorted(
                tuple(uc["column_names"]) for uc in inspector.get_unique_constraints(table)
            ),
            "foreign_keys": sorted(
                (
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    tuple(fk["referred_columns"]),
                    (fk.get("options") or {}).get("ondelete"),
                )
                for fk in inspector.get_foreign_keys(table)
            ),
        }
    return schema


def described_metadata(engine: Engine) -> dict[str, dict[str, object]]:
    """The same description, read from ``Base.metadata`` instead of a database."""
    schema: dict[str, dict[str, object]] = {}
    for name, table in sorted(Base.metadata.tables.items()):
        schema[name] = {
            "columns": {
                col.name: (col.type.compile(dialect=engine.dialect), col.nullable)
                for col in table.columns
            },
            "primary_key": tuple(col.name for col in table.primary_key.columns),
        }
    return schema


def upgraded(url: str) -> Engine:
    command.upgrade(alembic_config(url), "head")
    return make_engine(url)


def test_models_are_the_tables_the_migrations_know() -> None:
    assert set(Base.metadata.tables) == MODEL_TABLES
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, f"one head expected, found {heads}: merge the branches"


def test_upgrade_head_on_an_empty_database_gives_the_models_schema(empty_db: str) -> None:
    engine = upgraded(empty_db)
    try:
        tables = set(inspect(engine).get_table_names())
        assert tables == MODEL_TABLES | {"alembic_version"}
        found = describe(engine)
        expected = described_metadata(engine)
        for name, table in expected.items():
            assert found[name]["columns"] == table["columns"], name
            assert found[name]["primary_key"] == table["primary_key"], name
    finally:
        engine.dispose()


def test_upgrade_head_matches_create_schema_exactly(tmp_path: Path) -> None:
    """Indexes, unique constraints and foreign keys too, against what the bot makes itself."""
    migrated = upgraded(f"sqlite:///{tmp_path / 'migrated.db'}")
    created = make_engine(f"sqlite:///{tmp_path / 'created.db'}")
    try:
        create_schema(created)
        assert describe(migrated) == describe(created)
    finally:
        migrated.dispose()
        created.dispose()


def test_alembic_check_finds_nothing_to_migrate_and_ignores_the_scheduler_table(
    empty_db: str,
) -> None:
    """Autogenerate's own comparison (types, indexes, constraints) sees no difference."""
    engine = upgraded(empty_db)
    scheduler = build_scheduler(empty_db)
    try:
        scheduler.start(paused=True)  # APScheduler creates apscheduler_jobs itself
        assert JOBS_TABLE in inspect(engine).get_table_names()
        command.check(alembic_config(empty_db))  # raises AutogenerateDiffsDetected otherwise
    finally:
        scheduler.shutdown(wait=False)
        engine.dispose()


def test_create_schema_still_sets_up_an_empty_database_alone(second_db: str) -> None:
    engine = make_engine(second_db)
    try:
        create_schema(engine)
        create_schema(engine)  # idempotent: every replica calls it at start-up
        # Through Alembic: the revision is recorded, so `alembic upgrade head` works later.
        assert set(inspect(engine).get_table_names()) == MODEL_TABLES | {"alembic_version"}
    finally:
        engine.dispose()


def test_create_schema_after_upgrade_changes_nothing(empty_db: str) -> None:
    engine = upgraded(empty_db)
    try:
        before = describe(engine)
        create_schema(engine)
        assert describe(engine) == before
        with engine.connect() as connection:
            version = connection.execute(text("select version_num from alembic_version")).all()
        head = ScriptDirectory.from_config(alembic_config(empty_db)).get_current_head()
        assert version == [(head,)]
    finally:
        engine.dispose()


def test_a_database_the_bot_created_is_at_head_for_the_alembic_cli(second_db: str) -> None:
    """The documented `alembic upgrade head` works on what the bot made: no stamping needed."""
    engine = make_engine(second_db)
    try:
        create_schema(engine)
        config = alembic_config(second_db)
        command.check(config)
        command.upgrade(config, "head")  # nothing left to do, and no "table already exists"
        with engine.connect() as connection:
            version = connection.execute(text("select version_num from alembic_version")).all()
        head = ScriptDirectory.from_config(config).get_current_head()
        assert version == [(head,)]
    finally:
        engine.dispose()


def test_downgrade_base_removes_only_the_model_tables(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'down.db'}"
    engine = upgraded(url)
    scheduler = build_scheduler(url)
    try:
        scheduler.start(paused=True)
        command.downgrade(alembic_config(url), "base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version", JOBS_TABLE}
    finally:
        scheduler.shutdown(wait=False)
        engine.dispose()


def _alembic_cli(*args: str, database_url: str, cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.Popen(
        [sys.executable, "-m", "alembic", "-c", str(ALEMBIC_INI), *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_the_cli_reads_database_url_like_the_bot(tmp_path: Path) -> None:
    """`alembic upgrade head` with only DATABASE_URL set, as docs/operations.md tells people."""
    db = tmp_path / "sub" / "adbee.db"  # make_engine creates the folder, as for the bot
    process = _alembic_cli("upgrade", "head", database_url=f"sqlite:///{db}", cwd=tmp_path)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    engine = make_engine(f"sqlite:///{db}")
    try:
        assert set(inspect(engine).get_table_names()) == MODEL_TABLES | {"alembic_version"}
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="ADBEE_TEST_POSTGRES_URL is not set")
def test_two_replicas_upgrading_at_once_both_succeed(tmp_path: Path) -> None:
    """compose starts the replicas together: the advisory lock makes the second one wait."""
    for url in _postgres_database():
        processes = [
            _alembic_cli("upgrade", "head", database_url=url, cwd=tmp_path) for _ in range(3)
        ]
        outputs = [process.communicate(timeout=60)[0] for process in processes]
        assert [process.returncode for process in processes] == [0, 0, 0], outputs
        engine = make_engine(url)
        try:
            assert set(inspect(engine).get_table_names()) == MODEL_TABLES | {"alembic_version"}
            with engine.connect() as connection:
                rows = connection.execute(text("select count(*) from alembic_version")).scalar()
            assert rows == 1
        finally:
            engine.dispose()
