"""Upgrades run as documented: the bot's start-up migrates, a previous release's database is
adopted with its rows, and three replicas starting together on an empty PostgreSQL all start.

"The previous release" made its tables with ``create_all`` and recorded no Alembic revision;
its schema is revision 0001 (``tests/storage/test_migrations.py`` held them equal then). The
replicas are real processes running the start-up's schema step at the same moment.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text

from storage.db import create_schema, make_engine
from storage.schema_version import alembic_config, head_revision
from tests.storage.test_migrations import MODEL_TABLES, PG_URL, _postgres_database

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'adbee.db'}"
        return
    if not PG_URL:
        pytest.skip("ADBEE_TEST_POSTGRES_URL is not set")
    yield from _postgres_database()


def previous_release_database(url: str) -> None:
    """Tables as the previous release's ``create_all`` left them, with a campaign and an alert."""
    command.upgrade(alembic_config(url), "0001")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE alembic_version"))  # it never recorded one
            connection.execute(
                text(
                    "INSERT INTO campaigns (id, account_key, ad_account_id, name, spec, status, "
                    "requested_by, source, start_time, pending_writes, created_at, updated_at) "
                    "VALUES (1, 'iflytek-sg', 'act_1234567890', 'AINOTE2 launch SG', '{}', "
                    "'scheduled', 'U_ALICE', 'slack', '2026-12-24 12:00:00', '[]', "
                    "'2026-11-30 09:00:00', '2026-11-30 09:00:00')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO alerts (kind, dedupe_key, payload, status, campaign_id, "
                    "created_at, attempts) VALUES ('live', '1:live', '{}', 'pending', 1, "
                    "'2026-11-30 09:00:00', 0)"
                )
            )
    finally:
        engine.dispose()


def test_the_bot_upgrades_a_previous_release_database_and_keeps_its_rows(database: str):
    previous_release_database(database)
    engine = make_engine(database)
    try:
        create_schema(engine)  # what the bot runs at start
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).all() == [
                (head_revision(),)
            ]
            assert connection.execute(text("SELECT name, status FROM campaigns")).all() == [
                ("AINOTE2 launch SG", "scheduled")
            ]
            assert connection.execute(text("SELECT dedupe_key FROM alerts")).all() == [("1:live",)]
            assert set(inspect(connection).get_table_names()) >= MODEL_TABLES
        command.upgrade(alembic_config(database), "head")  # the documented command: a no-op now
    finally:
        engine.dispose()


def test_alembic_upgrade_head_adopts_a_previous_release_database_too(database: str):
    """The upgrade guide's own command, run before starting the new bot, works as well."""
    previous_release_database(database)
    command.upgrade(alembic_config(database), "head")
    engine = make_engine(database)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM campaigns")).scalar() == 1
    finally:
        engine.dispose()


REPLICA = """
import sys, time
from pathlib import Path
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.005)
from storage.db import create_schema, make_engine
engine = make_engine(sys.argv[1])
create_schema(engine)
engine.dispose()
"""


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="ADBEE_TEST_POSTGRES_URL is not set")
def test_three_replicas_starting_together_on_an_empty_postgres_all_start(tmp_path: Path):
    for round_number in range(2):
        for url in _postgres_database():
            go = tmp_path / f"go-{round_number}"
            replicas = [
                subprocess.Popen(
                    [sys.executable, "-c", REPLICA, url, str(go)],
                    cwd=ROOT,
                    env={**os.environ, "PYTHONPATH": str(ROOT)},
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
                for _ in range(3)
            ]
            time.sleep(1.0)  # let all three import and wait at the line
            go.touch()
            outputs = [replica.communicate(timeout=120)[0] for replica in replicas]
            assert [r.returncode for r in replicas] == [0, 0, 0], outputs
            engine = make_engine(url)
            try:
                with engine.connect() as connection:
                    versions = connection.execute(text("SELECT version_num FROM alembic_version"))
                    assert versions.all() == [(head_revision(),)]
                    assert set(inspect(connection).get_table_names()) >= MODEL_TABLES
            finally:
                engine.dispose()


def test_a_database_a_later_pre_alembic_build_made_is_adopted_at_its_revision(database: str):
    """Builds that already had creation_requests and scheduler_heartbeats made them with
    create_all too: adopted at the newest revision whose tables are all there, not 0001.

    The newest such build's models were revision 0003 (held equal by test_migrations then):
    its create_all made what ``upgrade 0003`` makes, without ``alembic_version``."""
    command.upgrade(alembic_config(database), "0003")
    engine = make_engine(database)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE alembic_version"))  # it never recorded one
        create_schema(engine)  # no "table creation_requests already exists"
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).all() == [
                (head_revision(),)
            ]
    finally:
        engine.dispose()
