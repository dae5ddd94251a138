"""``python -m bot health``: is this AdBee able to do its job right now?

Checks, in order: settings and the accounts file load; the database exists (checked without
creating it) and has AdBee's tables; it answers; and this replica's scheduler wrote its
heartbeat row within three of its intervals (``SCHEDULER_HEARTBEAT_SECONDS``). A bot whose
scheduler thread died still answers Slack, so only the heartbeat shows that activations, scans,
alert flushes and resumes still run. A database on which no bot has run yet (no heartbeat row at
all, e.g. right after set-up) is healthy; a stopped or stale replica is not.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy import func, select, text

from bot.scheduling import replica_name
from bot.settings import Settings
from meta.accounts import load_accounts
from meta.templates import load_templates
from storage.db import existing_tables, make_engine, model_tables, sqlite_path
from storage.heartbeats import Beat, HeartbeatStore
from storage.models import Alert

MISSED_BEATS = 3  # stale after this many intervals without a beat


def check_health(settings: Settings, *, out: TextIO, base_dir: Path | None = None) -> int:
    try:
        root = base_dir or Path.cwd()
        accounts = load_accounts(_under(root, settings.accounts_file))
        templates = load_templates(
            _under(root, settings.templates_dir), accounts=accounts, base_dir=root
        )
        problem, report = _database(settings)
    except Exception as exc:
        print(f"unhealthy: {type(exc).__name__}: {exc}", file=out)
        return 1
    if problem:
        print(f"unhealthy: {problem}", file=out)
        return 1
    print(
        f"healthy: {len(accounts.all())} accounts, {report}, "
        f"checked {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC",
        file=out,
    )
    # Reported, not unhealthy: a broken template is skipped and blocks nothing else.
    for broken in templates.broken:
        print(f"warning: template skipped: {broken}", file=out)
    return 0


def _under(root: Path, path: Path) -> Path:
    return path if path.is_absolute() else root / path


def _database(settings: Settings) -> tuple[str | None, str]:
    url = settings.database_url
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return (
            f"the database file {path} does not exist (health created nothing). On a fresh "
            "install run `python -m bot init-db` (or start the bot); if AdBee ran here before, "
            "the file was deleted or moved: restore it from its backup before starting the bot.",
            "",
        )
    engine = make_engine(url, busy_timeout=5, create_folder=False, create_file=False)
    try:
        tables = existing_tables(engine)
        missing = model_tables() - tables
        if "campaigns" in missing:
            return (
                "the database has no AdBee tables. On a fresh install run `python -m bot "
                "init-db`; otherwise restore the database from its backup.",
                "",
            )
        with engine.connect() as connection:
            connection.execute(text("select 1"))
            pending = connection.execute(
                select(func.count()).select_from(Alert).where(Alert.status == "pending")
            ).scalar_one()
        if missing:
            return (
                f"the database lacks the table(s) {', '.join(sorted(missing))}: run "
                "`alembic upgrade head` (or restart the bot, which adds them)",
                "",
            )
        beats = HeartbeatStore(engine).all()
    finally:
        engine.dispose()
    problem, scheduler = _scheduler(beats, replica_name(settings.replica_name))
    return problem, f"database ok, {pending} alerts pending, {scheduler}"


def _scheduler(beats: list[Beat], replica: str) -> tuple[str | None, str]:
    """Judge this replica's heartbeat; with no row of its own, the others' (health run elsewhere)."""
    if not beats:
        return None, "no bot has run on this database yet"
    mine = [b for b in beats if b.replica == replica]
    judged = mine or [b for b in beats if b.state != "stopped"] or beats
    now = datetime.now(UTC)
    problems, fine = [], []
    for beat in judged:
        age = beat.age(now)
        who = f"replica {beat.replica} (pid {beat.pid})"
        if beat.state == "stopped":
            problems.append(f"the bot's scheduler on {who} is stopped (since {age:.0f} s)")
        elif age > MISSED_BEATS * beat.interval_seconds + 1:
            problems.append(
                f"the scheduler on {who} last ran {age:.0f} s ago (it beats every "
                f"{beat.interval_seconds} s): it has stopped, or cannot write to the database; "
                "activations, scans and alerts wait. Restart the bot if this lasts"
                + (f" (its last state: {beat.state})" if beat.state != "running" else "")
            )
        elif beat.state != "running":
            problems.append(f"the scheduler on {who} is {beat.state}")
        else:
            fine.append(f"scheduler on {beat.replica} ran {age:.0f} s ago")
    if problems and (mine or not fine):
        return "; ".join(problems), ""
    return None, ", ".join(fine)
