"""The scheduling side at run time: what its parts do together once ``bot.bootstrap`` built them.

The composition root builds the lifecycle, status sync and alert outbox (``JobContext``), the
job store's engine, the heartbeat store and the APScheduler side; this module holds the start-up
order (``Scheduling.start``), the stop, the heartbeat that also watches the SQLite file, and the
alerts for a database outage and a failed job. It constructs nothing of its own.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine

from bot.database_watch import SqliteFileWatch
from jobs import runtime
from jobs.runtime import JobContext
from jobs.scheduler import ActivationScheduler
from meta.services.alerts import Notifier
from meta.services.lifecycle import CampaignLifecycle
from storage.heartbeats import HeartbeatStore

log = logging.getLogger(__name__)
# The job store and the heartbeat wait at most this long for a locked SQLite file: they run on
# the scheduler's own loop, which must keep turning (and keep other jobs firing) during a lock.
SCHEDULER_BUSY_TIMEOUT = 1.0


def default_worker_id() -> str:
    """Who holds an activation claim: host and process, so a restart is a different worker."""
    return f"{socket.gethostname()}:{os.getpid()}"


def replica_name(configured: str | None = None) -> str:
    """The heartbeat row's key: ``REPLICA_NAME``, else the host name.

    The health command runs as another process on the same host (a container's HEALTHCHECK),
    so it finds its own replica's row by the same name; a restarted bot rewrites the same row.
    """
    return configured or socket.gethostname()


@dataclass
class Scheduling:
    context: JobContext
    scheduler: ActivationScheduler
    job_engine: Engine | None = None
    heartbeats: HeartbeatStore | None = None
    replica: str = field(default_factory=replica_name)
    watch: SqliteFileWatch | None = None

    @property
    def lifecycle(self) -> CampaignLifecycle:
        return self.context.lifecycle

    def start(self) -> None:
        """Start the job scheduler on the bot's database and make its jobs match the rows.

        Start-up order: alerts a crash left half-sent are queued again; the date jobs are
        reconciled with the SCHEDULED rows (missing ones added, past ones fire at once, stale
        ones removed); the scan, sync and alert jobs run once immediately, then on their
        intervals, with the heartbeat (``SCHEDULER_HEARTBEAT_SECONDS``) that
        ``python -m bot health`` checks.
        """
        runtime.install(self.context)
        self.context.outbox.requeue_interrupted()
        lifecycle = self.context.lifecycle
        self.scheduler.start(lifecycle.scheduled(), scheduled_rows=lifecycle.scheduled)

    def stop(self, *, wait: bool = False) -> None:
        """Stop firing jobs; ``wait`` lets running ones finish before the context goes away."""
        self.scheduler.shutdown(wait=wait)
        if self.heartbeats is not None and not (self.watch and self.watch.problem()):
            try:  # health then says "stopped", not "stale"
                self.heartbeats.beat(
                    replica=self.replica,
                    pid=os.getpid(),
                    started_at=datetime.now(UTC),
                    interval_seconds=1,
                    state="stopped",
                )
            except Exception as exc:
                log.info("could not record the stop in the heartbeat row: %s", exc)
        if self.job_engine is not None:
            self.job_engine.dispose()
        if wait:
            runtime.install(None)


class Heartbeat:
    """The scheduler's heartbeat row, written only while the SQLite file is the one opened.

    Once the file is deleted or replaced it writes nothing more (writing would fill a new, empty
    file the next start would trust) and calls ``on_database_lost`` once.
    """

    def __init__(
        self,
        heartbeats: HeartbeatStore,
        *,
        replica: str,
        interval_seconds: int,
        watch: SqliteFileWatch | None,
        on_database_lost: Callable[[str], None] | None = None,
    ) -> None:
        self._heartbeats = heartbeats
        self._replica = replica
        self._interval = interval_seconds
        self._watch = watch
        self._on_database_lost = on_database_lost
        self._started_at = datetime.now(UTC)
        self._lost: list[str] = []

    def __call__(self, state: str) -> None:
        problem = self._watch.problem() if self._watch is not None else None
        if problem is not None:
            if not self._lost:
                self._lost.append(problem)
                log.critical("%s", problem)
                if self._on_database_lost is not None:
                    self._on_database_lost(problem)
            return
        self._heartbeats.beat(
            replica=self._replica,
            pid=os.getpid(),
            started_at=self._started_at,
            interval_seconds=self._interval,
            state=state,
        )


class OutageAlerts:
    """A database outage is alerted once in the alerts channel (straight to Slack: the outbox is
    in the database that is down) and once more when it ends (``OutageTracker``'s callbacks)."""

    def __init__(self, notifier: Notifier) -> None:
        self._notifier = notifier

    def on_down(self, cause: str) -> None:
        _post_async(
            self._notifier,
            "database_down",
            f"{cause}. Activations, scans and alerts wait and retry on their own; nothing is "
            "lost unless the database stays away.",
        )

    def on_up(self, seconds: float, cause: str) -> None:
        _post_async(
            self._notifier,
            "database_back",
            f"after {round(seconds)} s ({cause}). Anything that came due meanwhile runs now.",
        )


def job_failure_alert(notifier: Notifier) -> Callable[[str, BaseException], None]:
    """A job that raised is alerted; it runs again on its schedule."""

    def job_error(job_id: str, exc: BaseException) -> None:
        _post_async(
            notifier,
            "job_failed",
            f"{job_id}: {type(exc).__name__}: {exc}. It runs again on its schedule; see the log.",
        )

    return job_error


def _post_async(notifier: Notifier, kind: str, detail: str) -> None:
    """Tell the alerts channel without holding up the caller (often the scheduler's own loop)."""

    def post() -> None:
        try:
            # One key per post: a retried post after a lost answer is not shown twice.
            notifier.send(kind=kind, summary=None, detail=detail, key=f"{kind}:{uuid.uuid4().hex}")
        except Exception as exc:  # Slack down as well: the log still has it
            log.warning("could not post the %s alert: %s", kind, exc)

    threading.Thread(target=post, name=f"adbee-alert-{kind}", daemon=True).start()
