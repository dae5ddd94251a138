"""``python -m bot health`` and the ``HEALTH_PORT`` probe: one report, every dependency.

The CLI runs as its own process (a container ``HEALTHCHECK``, a cron job, an engineer): it
creates nothing, and learns about the running bot only through the database. The probe runs
inside the bot and adds what only the bot knows: its Socket Mode connection and its scheduler.
Meta and Slack are asked at most once a minute by the probe (``CACHE_SECONDS``), however often
the orchestrator polls it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import inspect, select
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from bot.failures import describe_failure
from bot.health_check import judge_heartbeats
from bot.health_report import (
    Check,
    HealthReport,
    api_version_check,
    meta_token_check,
    outbox_check,
    settings_check,
    slack_check,
)
from bot.scheduling import replica_name
from bot.settings import Settings, SettingsError
from meta.domain.accounts import AccountsFileError, load_accounts
from meta.domain.templates import load_templates
from meta.graph.client import GraphClient
from meta.services.campaigns import Clock, utcnow
from storage.db import make_engine, sqlite_path
from storage.heartbeats import HeartbeatStore
from storage.models import Alert
from storage.schema_version import current_revision, head_revision

CACHE_SECONDS = 60.0
# The scan job runs every SCAN_INTERVAL_SECONDS (30 s); three missed runs mean it has stopped.
MISSED_SCANS = 3


@dataclass
class InProcess:
    """What the running bot lends the probe: its Slack socket and its scheduler."""

    connected: Callable[[], bool]
    scheduler_running: Callable[[], bool]
    last_scan: Callable[[], float | None]  # Unix time of the scan job's last finished run
    scan_seconds: int


def gather(
    settings: Settings,
    *,
    clock: Clock = utcnow,
    base_dir: Path | None = None,
    in_process: InProcess | None = None,
    remote: Callable[[], list[Check]] | None = None,
) -> HealthReport:
    """Every check, in the order an operator fixes them. ``remote``: the Meta and Slack checks
    (cached by the probe); by default they are made now."""
    now = clock()
    root = base_dir or Path.cwd()
    checks = [settings_check(settings)]
    checks += _files(settings, root)
    checks += database_checks(settings, now)
    if in_process is not None:
        checks.append(_scheduler_in_process(in_process))
    checks += remote() if remote is not None else remote_checks(settings, now, in_process)
    checks.append(api_version_check(settings, now.date()))
    return HealthReport(checks, checked_at=now.astimezone(UTC))


def remote_checks(
    settings: Settings, now: datetime, in_process: InProcess | None = None
) -> list[Check]:
    checks = []
    try:
        meta = settings.meta_config()
    except SettingsError:
        checks.append(Check("meta_token", "down", "META_ACCESS_TOKEN is not set (see settings)"))
    else:
        # One quick try: health must answer within a probe's timeout, throttled or not.
        quick = replace(meta, timeout=10.0, retry_attempts=1, max_throttle_wait=0.0)
        checks.append(meta_token_check(GraphClient(quick), now))
    checks.append(
        slack_check(settings, connected=in_process.connected if in_process is not None else None)
    )
    return checks


class CachedRemoteChecks:
    """The Meta and Slack checks, reused for ``CACHE_SECONDS`` (the probe may be polled often)."""

    def __init__(self, settings: Settings, in_process: InProcess, clock: Clock = utcnow) -> None:
        self._settings = settings
        self._in_process = in_process
        self._clock = clock
        self._lock = threading.Lock()
        self._at = 0.0
        self._checks: list[Check] = []

    def __call__(self) -> list[Check]:
        with self._lock:
            if not self._checks or time.monotonic() - self._at > CACHE_SECONDS:
                self._checks = remote_checks(self._settings, self._clock(), self._in_process)
                self._at = time.monotonic()
            # The socket state is the bot's own and free to read: always current.
            return [self._fresh_slack(c) if c.name == "slack" else c for c in self._checks]

    def _fresh_slack(self, check: Check) -> Check:
        if check.status == "ok" and not self._in_process.connected():
            return slack_check(self._settings, connected=self._in_process.connected)
        return check


def _files(settings: Settings, root: Path) -> list[Check]:
    try:
        accounts = load_accounts(_under(root, settings.accounts_file))
    except AccountsFileError as exc:
        return [Check("accounts", "down", str(exc))]
    checks = [Check("accounts", "ok", f"{len(accounts.all())} accounts")]
    templates = load_templates(
        _under(root, settings.templates_dir), accounts=accounts, base_dir=root
    )
    # Reported, not unhealthy: a broken template is skipped and blocks nothing else.
    checks += [Check("templates", "warning", f"template skipped: {b}") for b in templates.broken]
    return checks


def database_checks(settings: Settings, now: datetime) -> list[Check]:
    """Reachable, AdBee's tables there, migrated to this code's head; the outbox's state; the
    scheduler's heartbeat (``bot.health_check``).

    Creates nothing: a missing SQLite file is reported, not made (an empty file would hide a
    deleted database behind "healthy").
    """
    url = settings.database_url
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return [
            Check(
                "database",
                "down",
                f"the database file {path} does not exist (health created nothing). On a fresh "
                "install run `python -m bot init-db` (or start the bot); if AdBee ran here "
                "before, the file was deleted or moved: restore it from its backup before "
                "starting the bot",
            )
        ]
    engine = make_engine(url, busy_timeout=5, create_folder=False, create_file=False)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            if "campaigns" not in tables:
                return [
                    Check(
                        "database",
                        "down",
                        "the database has no AdBee tables. On a fresh install run `python -m bot "
                        "init-db`; otherwise restore the database from its backup",
                    )
                ]
            revision = current_revision(connection)
            pending = list(
                connection.execute(select(Alert.created_at).where(Alert.status == "pending"))
                .scalars()
                .all()
            )
        beats = HeartbeatStore(engine).all() if "scheduler_heartbeats" in tables else []
    except OperationalError as exc:
        return [Check("database", "down", describe_failure(exc) or str(exc))]
    except SQLAlchemyError as exc:
        return [Check("database", "down", f"the database answered with an error: {exc}")]
    finally:
        engine.dispose()
    head = head_revision()
    if revision != head:
        migration = Check(
            "database",
            "down",
            f"the database is at schema revision {revision or 'none'}, this AdBee needs {head}: "
            "start the bot (it upgrades the schema) or run `alembic upgrade head`",
        )
    else:
        migration = Check("database", "ok", f"database ok (schema {head})")
    problem, scheduler = judge_heartbeats(beats, replica_name(settings.replica_name))
    heartbeat = (
        Check("scheduler", "down", problem) if problem else Check("scheduler", "ok", scheduler)
    )
    return [migration, outbox_check(pending, now), heartbeat]


def _scheduler_in_process(state: InProcess) -> Check:
    if not state.scheduler_running():
        return Check("scheduler", "down", "the bot's scheduler is not running: restart the bot")
    last = state.last_scan()
    limit = MISSED_SCANS * state.scan_seconds + 5
    if last is None:
        return Check("scheduler", "ok", "scheduler started")
    age = time.time() - last
    if age > limit:
        return Check(
            "scheduler",
            "down",
            f"the activation scan last ran {age:.0f} s ago (it runs every {state.scan_seconds} s): "
            "activations are not firing; restart the bot",
        )
    return Check("scheduler", "ok", f"scheduler ran {age:.0f} s ago")


def _under(root: Path, path: Path) -> Path:
    return path if path.is_absolute() else root / path
