"""Shared pieces of the reliability suite: campaign files, the CLI as a subprocess, Meta counts.

Every module here is marked ``reliability`` (run alone with ``pytest -m reliability``); the suite
also runs in the default ``pytest`` run, and stays well under 90 seconds.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from bot.runner import RunningBot, start_bot
from meta.domain.accounts import load_accounts
from meta.services.campaigns import Clock, utcnow
from sandbox.graph_emulator import GraphEmulator
from sandbox.seeding import SANDBOX_META_TOKEN, seed_graph
from sandbox.slack_emulator import SlackEmulator
from tests.e2e.conftest import (
    ALERTS,
    APPROVER,
    BYSTANDER,
    CAMPAIGNS,
    OUTSIDER,
    REQUESTER,
    bot_settings,
    new_slack,
)
from tests.helpers import campaign_body, cli_env, write_campaign

__all__ = [
    "ALERTS",
    "APPROVER",
    "BYSTANDER",
    "CAMPAIGNS",
    "OUTSIDER",
    "REQUESTER",
    "campaign_body",
    "cli_env",
    "write_campaign",
]

ROOT = Path(__file__).resolve().parents[2]
KINDS = ("campaign", "adset", "adcreative", "ad", "advideo")
T = TypeVar("T")


def meta_writes(graph: GraphEmulator) -> list[Any]:
    return [r for r in graph.requests if r.method in ("POST", "DELETE")]


def live_counts(graph: GraphEmulator) -> dict[str, int]:
    return {kind: len(graph.objects(kind)) for kind in KINDS}


def start_cli(env: dict[str, str], *argv: str, out: Path) -> subprocess.Popen[bytes]:
    """``python -m bot <argv>`` in its own process, output to ``out``."""
    handle = out.open("wb")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", *argv],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    finally:
        handle.close()


@contextlib.contextmanager
def killed_at_the_end(process: subprocess.Popen[bytes], output: Path) -> Iterator[None]:
    """Run the body (which waits for the process to reach a point), then SIGKILL the process.

    The process must still be running when the body ends (else its output is the failure
    message); it is killed on the way out in any case, so no test leaves one behind.
    """
    try:
        try:
            yield
        except TimeoutError as exc:  # say where the process was, not only that it never got there
            raise TimeoutError(f"{exc}; the process printed:\n{output.read_text()}") from exc
        assert process.poll() is None, output.read_text()
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL


def run_cli(env: dict[str, str], *argv: str, timeout: float = 90) -> tuple[int, str]:
    """``python -m bot <argv>`` to its end. A fresh interpreter imports for 10-14 s at a load
    of 8, so a whole ``create`` hit the old 30 s at a load of 11 (the activation crash story)."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return done.returncode, done.stdout + done.stderr


def wait_for(predicate: Callable[[], T], timeout: float = 15, interval: float = 0.02) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(interval)


def db_row(db: Path) -> dict[str, Any] | None:
    """The newest campaign row, read straight from the SQLite file (as another process would)."""
    if not db.exists():
        return None
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            conn.row_factory = sqlite3.Row
            row = conn.execute("select * from campaigns order by id desc limit 1").fetchone()
            return with_main_objects(conn, dict(row)) if row else None
    except sqlite3.OperationalError:  # table not created yet
        return None


_MAIN_ID_KEY = {
    "video": "video_id",
    "creative": "creative_id",
    "campaign": "meta_campaign_id",
    "adset": "adset_id",
    "ad": "ad_id",
}


def with_main_objects(conn: sqlite3.Connection, row: dict[str, Any]) -> dict[str, Any]:
    """The campaign row plus its ``main`` Meta objects as flat keys (``ad_id``, ...), the video's
    ``upload_session`` (JSON text, as SQLite holds it) and ``pending_writes`` (a JSON list of the
    steps whose create is pending), read from ``meta_objects`` as another process would."""
    found: dict[str, Any] = {key: None for key in _MAIN_ID_KEY.values()}
    found["upload_session"] = None
    pending: list[str] = []
    objects = conn.execute(
        "select kind, meta_id, step, pending, upload_session from meta_objects "
        "where campaign_id = ? and key = 'main' and status in ('planned', 'created') order by id",
        (row["id"],),
    ).fetchall()
    for kind, meta_id, step, is_pending, session in objects:
        if kind in _MAIN_ID_KEY:
            found[_MAIN_ID_KEY[kind]] = meta_id
        if kind == "video":
            found["upload_session"] = session
        if is_pending and step:
            pending.append(step)
    found["pending_writes"] = json.dumps(pending)
    return {**row, **found}


def printed_ids(output: str) -> dict[str, str]:
    """The ids ``python -m bot create`` printed after 'Created ...'."""
    labels = {"campaign": "campaign", "ad set": "adset", "creative": "adcreative", "ad": "ad"}
    labels["video"] = "advideo"
    found = {}
    for label, kind in labels.items():
        match = re.search(rf"^  {label}\s+(\d+)$", output, re.M)
        if match:
            found[kind] = match.group(1)
    return found


# ---------------------------------------------------------------------------------- the bot


@dataclass
class World:
    """Meta and Slack emulators and, while running, the real bot between them."""

    graph: GraphEmulator
    slack: SlackEmulator
    db: Path
    bot: RunningBot | None = None

    def start_bot(self, clock: Clock = utcnow, **settings: object) -> RunningBot:
        assert self.bot is None
        self.bot = start_bot(
            bot_settings(self.slack, self.graph, self.db, **settings), clock=clock, base_dir=ROOT
        )
        self.slack.wait_for_connection(timeout=10)
        return self.bot

    def stop_bot(self) -> None:
        if self.bot is not None:
            self.slack.close_handler(self.bot.handler)
            self.bot.stop()
            self.bot = None


def new_graph(token: str = SANDBOX_META_TOKEN) -> GraphEmulator:
    emulator = GraphEmulator()
    emulator.video_processing_seconds = 0.2
    emulator.ad_review_seconds = 0.2
    seed_graph(emulator, load_accounts(ROOT / "configs" / "accounts.yaml"), token)
    return emulator


@contextlib.contextmanager
def world(
    folder: Path, *, start: bool = True, token: str = SANDBOX_META_TOKEN, **settings: object
) -> Iterator[World]:
    with new_graph(token) as graph, new_slack() as slack:
        here = World(graph, slack, folder / "adbee.db")
        with contextlib.ExitStack() as stack:
            stack.callback(here.stop_bot)
            if start:
                here.start_bot(**settings)
            yield here
