"""The bot as production runs it: ``python -m bot`` in a process of its own, against both emulators.

The emulators live in the test process; the bot reaches them over HTTP and Socket Mode the way
it reaches Slack and Meta, and a test can kill it (SIGKILL), stop it (SIGTERM) and start it again
on the same database, as a crash, a deploy or a second replica would.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sandbox.graph_emulator import GraphEmulator
from sandbox.slack_emulator import SlackEmulator
from tests.e2e.conftest import ALERTS, CAMPAIGNS
from tests.helpers import cli_env

ROOT = Path(__file__).resolve().parents[2]


def bot_env(
    slack: SlackEmulator, graph: GraphEmulator, folder: Path, **extra: str
) -> dict[str, str]:
    """A user's .env for the bot, pointed at the emulators; database and uploads in ``folder``."""
    return cli_env(
        graph,
        folder / "adbee.db",
        SLACK_BOT_TOKEN=slack.bot_token,
        SLACK_APP_TOKEN=slack.app_token,
        SLACK_API_URL=slack.api_url,
        CAMPAIGNS_CHANNEL=CAMPAIGNS,
        ALERTS_CHANNEL=ALERTS,
        APPROVER_IDS="S_APPROVERS",
        UPLOAD_DIR=str(folder / "uploads"),
        **extra,
    )


class BotProcess:
    """One ``python -m bot`` run; its output goes to ``log``."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """kill -9: no handler runs, nothing is flushed or released."""
        if self.alive():
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self, timeout: float = 60) -> float:
        """SIGTERM, as ``docker stop`` sends it; returns the seconds until the process was gone.

        Raises ``subprocess.TimeoutExpired`` (after killing it) if it is still there at ``timeout``.
        """
        started = time.monotonic()
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        return time.monotonic() - started


@contextmanager
def bot_process(slack: SlackEmulator, env: dict[str, str], log: Path) -> Iterator[BotProcess]:
    """Start the bot and wait for its (new) Socket Mode connection; kill it on the way out."""
    opened = slack.connections_opened
    bot = BotProcess(env, log)
    try:
        slack.wait_until(
            lambda: not bot.alive() or slack.connections_opened > opened,
            timeout=60,
            message="the bot did not connect",
        )
        assert bot.alive(), bot.output
        yield bot
    finally:
        if bot.alive():
            bot.kill()


def rows(db: Path, table: str) -> list[dict[str, Any]]:
    """A table read straight from the SQLite file, as another process would see it."""
    if not db.exists():
        return []
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute(f"select * from {table} order by id")]
    except sqlite3.OperationalError:  # not created yet
        return []
