"""``python -m bench.stop_time``: seconds from SIGTERM to exit of ``python -m bot``, as a deploy sees it.

Each run starts the production entry point (``python -m bot``, ``WORKER_THREADS=1``) against the
Slack and Graph API emulators, submits three create forms through the Slack emulator, waits for
the moment named below, sends SIGTERM and times the exit (``wait4`` on the child). Nothing is
asserted; the figures are judged against ``SHUTDOWN_GRACE_SECONDS`` (default 8 s, below Docker's
10 s grace):

- *processing*: the first creation polls Meta while its video is processed (the emulator takes
  600 s), two more wait for the worker. The poll wait is a checkpoint, so the stop is quick.
- *inside a Meta call*: the first creation is inside a create call whose answer Meta holds back
  for 60 s. No checkpoint can come before the answer, so this measures the grace bound itself.

The baseline is the same bot stopped while idle, in the same run.
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import API_VERSION, ROOT, VIDEO, Figure, median, quiet_logs, report

GRACE = 8.0  # the default SHUTDOWN_GRACE_SECONDS; the runs use the default
CHANNEL = "C_CAMPAIGNS"
USER, APPROVER = "U_ALICE", "U_BOB"


def _slack():  # type: ignore[no-untyped-def]
    from sandbox.slack_emulator import SlackEmulator

    slack = SlackEmulator()
    slack.add_user(USER, name="alice", tz="Asia/Singapore")
    slack.add_user(APPROVER, name="bob", tz="Asia/Singapore")
    slack.add_channel(CHANNEL, "campaigns")
    return slack


def _graph():  # type: ignore[no-untyped-def]
    from meta.domain.accounts import load_accounts
    from sandbox.graph_emulator import GraphEmulator
    from sandbox.seeding import seed_graph

    graph = GraphEmulator()
    graph.ad_review_seconds = 0.2
    seed_graph(graph, load_accounts(ROOT / "configs" / "accounts.yaml"))
    return graph


def _env(slack, graph, folder: Path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    from sandbox.seeding import SANDBOX_META_TOKEN

    env = {k: v for k, v in os.environ.items() if not k.startswith(("META_", "SLACK_"))}
    env.update(
        META_ACCESS_TOKEN=SANDBOX_META_TOKEN,
        META_GRAPH_URL=graph.url,
        META_VIDEO_URL=graph.url,
        META_API_VERSION=API_VERSION,
        DATABASE_URL=f"sqlite:///{folder / 'adbee.db'}",
        UPLOAD_DIR=str(folder / "uploads"),
        SLACK_BOT_TOKEN=slack.bot_token,
        SLACK_APP_TOKEN=slack.app_token,
        SLACK_API_URL=slack.api_url,
        CAMPAIGNS_CHANNEL=CHANNEL,
        APPROVER_IDS=APPROVER,
        WORKER_THREADS="1",
        VIDEO_POLL_INTERVAL="3",
        ADBEE_SANDBOX="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def _submit(slack, name: str) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    from handlers.ids import CampaignCreateBlock as B

    slack.slash_command(user=USER, channel=CHANNEL, command="/campaign", text="create")
    view = slack.wait_for_view(user=USER, timeout=30)
    file_id = slack.upload_file(USER, "ainote2.mp4", VIDEO.read_bytes(), mimetype="video/mp4")
    start = datetime.now(UTC) + timedelta(days=3)
    values = {
        B.ACCOUNT: "iflytek-sg",
        B.NAME: name,
        B.DAILY_BUDGET: "50",
        B.START_TIME: start.replace(hour=12, minute=0, second=0, microsecond=0),
        B.COUNTRIES: ["SG"],
        B.PRIMARY_TEXT: "Meet AINOTE 2.",
        B.HEADLINE: "AINOTE 2 is here",
        B.LINK: "https://shop.example.com/sg/ainote2",
        B.CALL_TO_ACTION: "SHOP_NOW",
        B.VIDEO: [file_id],
    }
    slack.submit_view(user=USER, view_id=view["id"], values=values, timeout=30)
    slack.close_view(USER, view["id"])


def _step(db: Path) -> str | None:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            row = conn.execute("select step from campaigns order by id limit 1").fetchone()
    except sqlite3.OperationalError:
        return None
    return row[0] if row else None


def one_run(kind: str, index: int) -> float:
    """Start the bot, bring it to ``kind``'s moment, SIGTERM it; seconds until it exited."""
    from sandbox.graph_emulator import Fault

    slack, graph = _slack(), _graph()
    with slack, graph, tempfile.TemporaryDirectory(prefix="adbee-stop-") as tmp:
        folder = Path(tmp)
        db = folder / "adbee.db"
        opened = slack.connections_opened
        with (folder / "bot.log").open("wb") as log:
            bot = subprocess.Popen(
                [sys.executable, "-m", "bot"],
                cwd=ROOT,
                env=_env(slack, graph, folder),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            slack.wait_until(lambda: slack.connections_opened > opened, timeout=60)
            reached: Callable[[], bool] = lambda: True  # noqa: E731 (idle)
            if kind == "processing":
                graph.video_processing_seconds = 600
                reached = lambda: _step(db) == "wait_for_processing"  # noqa: E731
            elif kind == "meta_call":
                graph.video_processing_seconds = 600
                graph.inject(Fault(delay_after_ms=60_000, path_contains="/adsets", method="POST"))
                reached = lambda: any(  # noqa: E731
                    r.method == "POST" and r.path.endswith("/adsets") for r in graph.requests
                )
            if kind != "idle":
                for n in range(3):
                    _submit(slack, f"Stop bench {kind} {index} {n}")
            try:
                slack.wait_until(reached, timeout=60, interval=0.05)
            except TimeoutError:
                print((folder / "bot.log").read_text(errors="replace")[-4000:], file=sys.stderr)
                raise
            time.sleep(0.5)  # settled in the wait, not at its first instant
            started = time.monotonic()
            os.kill(bot.pid, signal.SIGTERM)
            bot.wait(timeout=60)
            return time.monotonic() - started
        finally:
            if bot.poll() is None:
                bot.kill()
                bot.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stop_time")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    quiet_logs()
    times: dict[str, list[float]] = {"idle": [], "processing": [], "meta_call": []}
    for index in range(args.runs):
        for kind, values in times.items():
            values.append(one_run(kind, index))
            print(f"run {index + 1} {kind}: {values[-1]:.2f} s", flush=True)
    idle = median(times["idle"])
    figures = []
    for kind, label, limit in (
        (
            "processing",
            "SIGTERM to exit, one creation in the processing wait, two queued",
            "the poll wait ends at once; then Socket Mode's close (waited for at most 1 s) and "
            "the process start-to-exit overhead under load",
        ),
        (
            "meta_call",
            "SIGTERM to exit, one creation inside a 60 s Meta call, two queued",
            "the grace: a call in flight is not cut; at the deadline its lease is released "
            "and the process exits without it",
        ),
    ):
        values = times[kind]
        figures.append(
            Figure(
                f"{label} (median of {len(values)})",
                median(values),
                "s",
                idle,
                "the same bot stopped idle",
                f"<= {GRACE:g} s (SHUTDOWN_GRACE_SECONDS)",
                max(values) <= GRACE,
                limit=f"{limit}; all runs: " + ", ".join(f"{v:.2f}" for v in values),
            )
        )
        figures.append(Figure(f"{label} (max)", max(values), "s", target="", passed=None))
    report(
        "stop_time",
        figures,
        setup=(
            f"python -m bot, WORKER_THREADS=1, default SHUTDOWN_GRACE_SECONDS ({GRACE:g} s), "
            f"both emulators in the harness process, {args.runs} runs of each"
        ),
        notes=["idle runs: " + ", ".join(f"{v:.2f}" for v in times["idle"])],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
