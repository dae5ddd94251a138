"""Notice the SQLite file being deleted or replaced under the running bot.

A process keeps writing to a deleted SQLite file through the connections it already holds,
while every new connection silently creates a fresh, empty file at the same path; the next
start would then trust that empty file and forget every campaign. So the heartbeat compares the
file's identity (device and inode) with the one seen at start-up, and the bot stops, loudly,
the moment it changes: a restart then meets the start-up guard (``bot.database_guard``).
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from meta.services.alerts import Notifier
from storage.db import sqlite_path


@dataclass(frozen=True)
class SqliteFileWatch:
    path: Path
    identity: tuple[int, int]

    @classmethod
    def of(cls, database_url: str) -> SqliteFileWatch | None:
        path = sqlite_path(database_url)
        if path is None:
            return None
        stat = os.stat(path)
        return cls(path, (stat.st_dev, stat.st_ino))

    def problem(self) -> str | None:
        """None while the file is the one the bot opened, else what happened to it."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return (
                f"the database file {self.path} was deleted while AdBee was running; AdBee "
                "stops now rather than write into an empty new one. Restore the file from a "
                "backup (it holds every campaign), or run `python -m bot init-db` to start afresh."
            )
        if (stat.st_dev, stat.st_ino) != self.identity:
            return (
                f"the database file {self.path} was replaced while AdBee was running; AdBee "
                "stops now so that it restarts on the new file's contents."
            )
        return None


class DatabaseLost:
    """What the bot does once its SQLite file is gone (the heartbeat's ``on_database_lost``).

    It alerts the alerts channel, keeps the reason for ``run_bot`` to print, and sets
    ``stopping``: ``run_bot`` then exits with ``EXIT_DATABASE_LOST`` so that a supervisor
    (Docker, systemd) notices and restarts it.
    """

    def __init__(self, notifier: Notifier, *, key: str) -> None:
        self._notifier = notifier
        self._key = key  # one alert per process, however often the heartbeat sees the loss
        self.problems: list[str] = []
        self.stopping = threading.Event()

    def __call__(self, problem: str) -> None:
        self.problems.append(problem)
        with contextlib.suppress(Exception):  # Slack may be down too; the log has it
            self._notifier.send(kind="database_lost", summary=None, detail=problem, key=self._key)
        self.stopping.set()
