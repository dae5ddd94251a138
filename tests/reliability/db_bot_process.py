"""The bot as its own process (``python -m bot run``) for the database-fault tests, and the faults.

The emulators run in the test process; the bot reaches them over HTTP and Socket Mode exactly as
it reaches Slack and Meta. Faults come from outside the bot: another process holding an
exclusive SQLite lock, the database file deleted, a private PostgreSQL server stopped and
started, SIGSTOP/SIGCONT on the bot itself.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.graph_emulator import GraphEmulator
from sandbox.slack_emulator import SlackEmulator
from tests.reliability.conftest import ALERTS, CAMPAIGNS, ROOT, cli_env, run_cli, wait_for

# Fast beats so a test sees the scheduler stop within seconds (3 missed beats = stale).
FAST = {
    "SCAN_INTERVAL_SECONDS": "1",
    "SCHEDULER_HEARTBEAT_SECONDS": "1",
    "SYNC_INTERVAL_SECONDS": "600",
    "WORKER_THREADS": "4",
}


def bot_env(slack: SlackEmulator, graph: GraphEmulator, db: Path, **extra: str) -> dict[str, str]:
    """The environment of a bot whose .env points at both emulators."""
    env = cli_env(graph, db)
    env.update(
        SLACK_BOT_TOKEN=slack.bot_token,
        SLACK_APP_TOKEN=slack.app_token,
        SLACK_API_URL=slack.api_url,
        CAMPAIGNS_CHANNEL=CAMPAIGNS,
        ALERTS_CHANNEL=ALERTS,
        APPROVER_IDS="S_APPROVERS",
        REPLICA_NAME=f"test-{os.getpid()}-{time.monotonic_ns()}",
        **FAST,
    )
    env.update(extra)
    return env


@dataclass
class BotProcess:
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def pause(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_bot_process(
    env: dict[str, str], slack: SlackEmulator, log: Path, *, connections: int = 1
) -> BotProcess:
    """``python -m bot run``; returns once it holds a Socket Mode connection."""
    handle = log.open("ab")
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    finally:
        handle.close()
    bot = BotProcess(process, log)
    try:
        # a fresh interpreter on a loaded machine imports for seconds before it connects
        slack.wait_for_connection(timeout=60, count=connections)
    except Exception:
        bot.stop()
        raise AssertionError(f"the bot did not connect:\n{bot.output()[-3000:]}") from None
    return bot


@contextlib.contextmanager
def bot_process(
    env: dict[str, str], slack: SlackEmulator, log: Path, *, connections: int = 1
) -> Iterator[BotProcess]:
    bot = start_bot_process(env, slack, log, connections=connections)
    try:
        yield bot
    finally:
        bot.stop()


def health(env: dict[str, str]) -> tuple[int, str]:
    return run_cli(env, "health", timeout=30)


# ---------------------------------------------------------------------------------- SQLite


@dataclass
class SqliteLock:
    """Another process holding ``BEGIN EXCLUSIVE`` on the bot's database for ``seconds``."""

    process: subprocess.Popen[str]
    taken_at: float

    def wait(self) -> None:
        self.process.wait(timeout=120)


def hold_exclusive_lock(db: Path, seconds: float) -> SqliteLock:
    code = (
        "import sqlite3, sys, time\n"
        f"conn = sqlite3.connect({str(db)!r}, timeout=10, isolation_level=None)\n"
        "conn.execute('BEGIN EXCLUSIVE')\n"
        "print('locked', flush=True)\n"
        f"time.sleep({seconds})\n"
        "conn.execute('COMMIT')\n"
        "print('released', flush=True)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    assert line == "locked", f"could not lock {db}: {line!r}"
    return SqliteLock(process, time.monotonic())


def read_rows(db: Path, sql: str, *args: Any) -> list[dict[str, Any]]:
    """Read the bot's SQLite file as another process would (WAL: readers pass a writer's lock)."""
    if not db.exists():
        return []
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute(sql, args).fetchall()]
    except sqlite3.OperationalError:
        return []


# ---------------------------------------------------------------------------------- PostgreSQL


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if found:
        return found[-1].parent
    which = shutil.which("pg_ctl")
    return Path(which).parent if which else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PrivatePostgres:
    """A PostgreSQL server of the test's own (initdb + pg_ctl), so the test may stop it."""

    bin: Path
    data: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *argv: str, timeout: float = 60) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(
            [*prefix, *argv], check=True, capture_output=True, timeout=timeout, cwd=self.data.parent
        )

    def start(self) -> None:
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.data.parent / "server.log"),
            "-w",
            "-o",
            f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def accepts(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    import pytest

    bin_dir = _pg_bin()
    if bin_dir is None or not (bin_dir / "initdb").exists():
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    folder = Path(tempfile.mkdtemp(prefix="adbee-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    server = PrivatePostgres(bin_dir, folder / "data", _free_port())
    try:
        server._run(
            str(bin_dir / "initdb"), "-D", str(server.data), "-U", "postgres", "-A", "trust"
        )
        server.start()
        yield server
    finally:
        with contextlib.suppress(Exception):
            server.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


def wait_until(predicate, timeout: float = 20):  # type: ignore[no-untyped-def]
    return wait_for(predicate, timeout=timeout, interval=0.1)
