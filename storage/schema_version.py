"""Which Alembic revision a database is at, and which one this code needs ("head").

Read-only: ``python -m bot health`` uses it to say "migrated to head" without creating or
changing anything, and start-up uses the head to know whether an upgrade is due.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"


def alembic_config(url: str | None = None) -> Config:
    """The project's Alembic configuration, optionally pointed at ``url``, keeping our logging."""
    config = Config(str(ALEMBIC_INI))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


@cache
def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The revision recorded in ``alembic_version``; None when Alembic never ran here."""
    return MigrationContext.configure(connection).get_current_revision()
