"""``python -m bot init-db``: make AdBee's tables, on purpose.

The bot creates its schema by itself only on a database with no sign of earlier work
(``bot.database_guard``); this command is the explicit "start afresh" for every other case. It
also stamps Alembic's version table, so that a later ``alembic upgrade head`` applies only the
migrations newer than this code instead of failing on tables that already exist.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TextIO

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from bot.database_guard import wal_files
from bot.settings import Settings
from storage.db import create_schema, existing_tables, make_engine, model_tables, sqlite_path

log = logging.getLogger(__name__)
ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"


def init_db(settings: Settings, *, out: TextIO) -> int:
    url = settings.database_url
    path = sqlite_path(url)
    if path is not None and not path.exists():
        # A journal left by a deleted file would be replayed into the new one: keep it aside.
        for leftover in wal_files(path):
            if leftover.exists():
                kept = leftover.with_name(f"{leftover.name}.orphaned-{int(time.time())}")
                leftover.rename(kept)
                print(f"Moved the orphaned {leftover.name} aside to {kept.name}.", file=out)
    engine = make_engine(url)
    try:
        before = existing_tables(engine)
        create_schema(engine)
        made = sorted(model_tables() - before)
        stamped = _stamp(engine, url) if "alembic_version" not in before else False
    finally:
        engine.dispose()
    where = sqlite_path(url) or "the database at DATABASE_URL"
    if made:
        print(f"Created {', '.join(made)} in {where}.", file=out)
    else:
        print(f"{where} already has every AdBee table; nothing to do.", file=out)
    if stamped:
        print("Marked it as migrated to the newest Alembic revision.", file=out)
    return 0


def _stamp(engine: Engine, url: str) -> bool:
    if not ALEMBIC_INI.exists():  # installed without the migrations: create_schema was enough
        return False
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    command.stamp(config, "head")
    return True
