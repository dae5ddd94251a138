"""Refuse to start on an empty database when there is evidence that AdBee worked before.

An empty database is normal exactly once: on a fresh install. Anywhere else it means the
database was deleted, replaced or pointed elsewhere, and starting would forget every campaign
(a live one no longer watched, Approve buttons pointing nowhere). So when the ``campaigns``
table is missing, AdBee looks for evidence it can check cheaply, and refuses if it finds any:

- SQLite's ``-wal``/``-shm`` files are there while the database file itself is not;
- the APScheduler job table exists in the same database (the tables were dropped, not never made);
- the upload folder holds work of creations in progress (``upload-*`` folders);
- Meta holds videos AdBee uploaded (their title carries ``AdBee #<id>``; one read per ad
  account, made only when the database is empty).

``python -m bot init-db`` (or ``alembic upgrade head``) is the explicit "start afresh".
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Engine

from bot.settings import SettingsError
from meta.domain.accounts import AccountRegistry
from meta.domain.errors import AdBeeError
from meta.domain.video_title import made_by_adbee
from meta.graph.client import GraphClient
from storage.db import create_database_file, create_schema, existing_tables, sqlite_path

log = logging.getLogger(__name__)
JOBS_TABLE = "apscheduler_jobs"  # jobs.scheduler.JOBS_TABLE; bot may not need jobs to read it


class DatabaseNotInitialisedError(SettingsError):
    """The database is empty while other evidence says AdBee has worked with it before."""


def prepare_database(
    engine: Engine,
    database_url: str,
    *,
    upload_dir: Path,
    accounts: AccountRegistry,
    graph: GraphClient | None,
) -> None:
    """Create missing tables, unless the whole schema is missing and evidence says it existed."""
    path = sqlite_path(database_url)
    tables = existing_tables(engine) if path is None or path.exists() else set()
    if "campaigns" not in tables:
        evidence = _evidence(path, tables, upload_dir, accounts, graph)
        if evidence:
            where = str(path) if path is not None else "the database at DATABASE_URL"
            raise DatabaseNotInitialisedError(
                f"{where} has no AdBee tables, but AdBee has worked here before: "
                + "; ".join(evidence)
                + ". Starting now would forget every campaign. Restore the database from its "
                "backup (or fix DATABASE_URL), or run `python -m bot init-db` to start with an "
                "empty one on purpose."
            )
        log.info("empty database and no sign of earlier work: creating the schema")
        create_database_file(database_url)
    create_schema(engine)


def _evidence(
    path: Path | None,
    tables: set[str],
    upload_dir: Path,
    accounts: AccountRegistry,
    graph: GraphClient | None,
) -> list[str]:
    found = []
    if path is not None and not path.exists():
        leftovers = [p.name for p in wal_files(path) if p.exists()]
        if leftovers:
            found.append(
                f"SQLite's journal of the missing file is still there ({', '.join(leftovers)})"
            )
    if JOBS_TABLE in tables:
        found.append(f"its job table {JOBS_TABLE} is still there")
    work = sorted(p.name for p in upload_dir.glob("upload-*")) if upload_dir.is_dir() else []
    if work:
        found.append(f"{upload_dir} holds {len(work)} creation(s) in progress ({work[0]}, ...)")
    if graph is not None:
        found += _videos_in_meta(accounts, graph)
    return found


def wal_files(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]


def _videos_in_meta(accounts: AccountRegistry, graph: GraphClient) -> list[str]:
    found = []
    for account in accounts.all():
        try:
            body = graph.get(
                f"{account.ad_account_id}/advideos", {"fields": "id,title", "limit": 100}
            )
        except AdBeeError as exc:  # cannot look: say so in the log, do not block a fresh install
            log.warning("could not list videos of %s: %s", account.ad_account_id, exc)
            continue
        mine = [item for item in body.get("data", []) if made_by_adbee(item.get("title"))]
        if mine:
            found.append(
                f"Meta's ad account {account.ad_account_id} holds {len(mine)} video(s) AdBee "
                f"uploaded (e.g. {mine[0].get('title')!r})"
            )
    return found
