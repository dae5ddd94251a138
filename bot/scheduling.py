"""Composition of the scheduling side: lifecycle, status sync, alert outbox and job scheduler.

``build_job_context`` wires the domain services the jobs run against; ``start_scheduler`` adds
the APScheduler side (date jobs in the bot's own database, interval safety nets in memory),
installs the context for the job functions and reconciles the job table with the rows.
Tests call ``build_job_context`` alone and drive ``jobs.activation`` with an injected time.
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

from bot.bootstrap import Services
from bot.database_watch import SqliteFileWatch
from jobs import runtime
from jobs.runtime import JobContext
from jobs.scheduler import ActivationScheduler, build_scheduler
from meta.domain.access import AccessPolicy
from meta.services.alerts import AlertOutbox, Notifier
from meta.services.campaigns import Clock
from meta.services.lifecycle import CampaignLifecycle, ScheduleHook
from meta.services.status_sync import StatusSync
from storage.db import make_engine
from storage.heartbeats import HeartbeatStore
from storage.transient import OutageTracker

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


def build_job_context(
    services: Services,
    notifier: Notifier,
    *,
    policy: AccessPolicy,
    clock: Clock | None = None,
    on_schedule: ScheduleHook | None = None,
    worker_id: str | None = None,
) -> JobContext:
    """Lifecycle, sync and outbox over ``services``; needs the Meta connection (``with_meta``)."""
    if services.graph is None:
        raise RuntimeError("scheduling needs the Meta connection: build_services(with_meta=True)")
    clock = clock or services.campaigns.clock
    lifecycle = CampaignLifecycle(
        store=services.store,
        graph=services.graph,
        accounts=services.accounts,
        policy=policy,
        pipeline=lambda: services.campaigns.pipeline,
        clock=clock,
        on_schedule=on_schedule,
        worker_id=worker_id or default_worker_id(),
    )
    return JobContext(
        lifecycle=lifecycle,
        outbox=AlertOutbox(store=services.store, accounts=services.accounts),
        notifier=notifier,
        sync=StatusSync(store=services.store, graph=services.graph, clock=clock),
    )


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


def start_scheduler(
    services: Services,
    notifier: Notifier,
    *,
    policy: AccessPolicy,
    clock: Clock | None = None,
    worker_id: str | None = None,
    scan_seconds: int = 30,
    alert_seconds: int = 15,
    on_database_lost: Callable[[str], None] | None = None,
) -> Scheduling:
    """Start the job scheduler on the bot's database and make its jobs match the rows.

    Start-up order: alerts a crash left half-sent are queued again; the date jobs are reconciled
    with the SCHEDULED rows (missing ones added, past ones fire at once, stale ones removed);
    the scan, sync and alert jobs run once immediately, then on their intervals, with the
    heartbeat (``SCHEDULER_HEARTBEAT_SECONDS``) that ``python -m bot health`` checks.

    A database outage is alerted once in the alerts channel (straight to Slack: the outbox is in
    the database that is down) and once more when it ends. ``on_database_lost`` is called once
    if the SQLite file is deleted or replaced under the running bot.
    """
    settings = services.settings
    job_engine = make_engine(
        settings.database_url, busy_timeout=SCHEDULER_BUSY_TIMEOUT, create_file=False
    )
    outage = OutageTracker(
        on_down=lambda cause: _post_async(
            notifier,
            "database_down",
            f"{cause}. Activations, scans and alerts wait and retry on their own; nothing is "
            "lost unless the database stays away.",
        ),
        on_up=lambda seconds, cause: _post_async(
            notifier,
            "database_back",
            f"after {round(seconds)} s ({cause}). Anything that came due meanwhile runs now.",
        ),
    )
    heartbeats = HeartbeatStore(job_engine)
    replica = replica_name(settings.replica_name)
    started_at = datetime.now(UTC)
    interval = settings.scheduler_heartbeat_seconds
    watch = SqliteFileWatch.of(settings.database_url)
    lost: list[str] = []

    def heartbeat(state: str) -> None:
        problem = watch.problem() if watch is not None else None
        if problem is not None:
            if not lost:
                lost.append(problem)
                log.critical("%s", problem)
                if on_database_lost is not None:
                    on_database_lost(problem)
            return  # writing now would fill a new, empty file the next start would trust
        heartbeats.beat(
            replica=replica,
            pid=os.getpid(),
            started_at=started_at,
            interval_seconds=interval,
            state=state,
        )

    def job_error(job_id: str, exc: BaseException) -> None:
        _post_async(
            notifier,
            "job_failed",
            f"{job_id}: {type(exc).__name__}: {exc}. It runs again on its schedule; see the log.",
        )

    scheduler = ActivationScheduler(
        build_scheduler(engine=job_engine, outage=outage),
        scan_seconds=scan_seconds,
        sync_seconds=settings.sync_interval_seconds,
        alert_seconds=alert_seconds,
        factory=lambda: build_scheduler(engine=job_engine, outage=outage),
        outage=outage,
        heartbeat=heartbeat,
        heartbeat_seconds=interval,
        on_job_error=job_error,
    )
    context = build_job_context(
        services,
        notifier,
        policy=policy,
        clock=clock,
        on_schedule=scheduler.schedule,
        worker_id=worker_id,
    )
    runtime.install(context)
    context.outbox.requeue_interrupted()
    scheduler.start(context.lifecycle.scheduled(), scheduled_rows=context.lifecycle.scheduled)
    return Scheduling(context, scheduler, job_engine, heartbeats, replica, watch)


def _post_async(notifier: Notifier, kind: str, detail: str) -> None:
    """Tell the alerts channel without holding up the caller (often the scheduler's own loop)."""

    def post() -> None:
        try:
            # One key per post: a retried post after a lost answer is not shown twice.
            notifier.send(kind=kind, summary=None, detail=detail, key=f"{kind}:{uuid.uuid4().hex}")
        except Exception as exc:  # Slack down as well: the log still has it
            log.warning("could not post the %s alert: %s", kind, exc)

    threading.Thread(target=post, name=f"adbee-alert-{kind}", daemon=True).start()
