"""APScheduler wiring: one date job per scheduled activation, plus interval safety nets.

The campaign row is the source of truth. Date jobs give punctual firing; the scan job catches
anything missed (bot down at the start time, a job lost in an upgrade); ``reconcile`` at start-up
makes the job table match the rows. Activation claims the row itself, so a job firing twice (or
on two replicas) is harmless.

A database that is locked, full or restarting must never stop the scheduler: APScheduler calls
the job store from its one main-loop thread and an exception there ends that thread for good
(no activation, scan or alert would run again in the process). So the job store absorbs
transient errors (a date job that could not be removed is retried, never fired twice in a row),
job failures are reported to one ``OutageTracker`` (alerted once per outage), a heartbeat job
writes a row ``python -m bot health`` reads, and a supervisor thread restarts the scheduler if
its loop thread dies anyway.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.job import Job
from apscheduler.jobstores.base import ConflictingIdError, JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler

from meta.telemetry import metrics
from storage.transient import OutageTracker, is_transient

log = logging.getLogger(__name__)

# After a failed job-store call the scheduler looks again this soon (APScheduler's default is 10 s).
STORE_RETRY_SECONDS = 2.0

ACTIVATE_FUNC = "jobs.activation:activate_job"
JOBS_TABLE = "apscheduler_jobs"
# How often each replica looks for activations whose worker died (one indexed query); with the
# claim's 5 s grace (meta.services.activation.CLAIM_TIMING) a dead worker's claims are taken over 5-7 s
# after its last heartbeat.
TAKE_OVER_SECONDS = 2


def activation_job_id(campaign_id: int) -> str:
    return f"activate-{campaign_id}"


class SharedJobStore(SQLAlchemyJobStore):
    """The SQLAlchemy job store, made safe for several replicas on one table.

    APScheduler 3 assumes one scheduler per store: when another replica already ran and deleted
    a date job, ``remove_job`` raises ``JobLookupError`` inside the scheduler loop, which kills the
    scheduler thread. Here "already gone" counts as done, replacing a job that vanished adds it
    again, and two replicas creating the table at the same moment is not an error.

    The same loop calls ``update_job``, ``remove_job`` and ``get_next_run_time`` with no error
    handling at all, so a locked or unreachable database there would kill it too. Those calls
    report the error to ``outage`` and return: a date job that fired but could not be deleted is
    remembered and hidden from ``get_due_jobs`` (it does not fire again every loop) until its
    deletion succeeds; the next wake-up is then ``STORE_RETRY_SECONDS`` away.
    """

    def __init__(self, *args: Any, outage: OutageTracker | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outage = outage or OutageTracker()
        self._unremoved: set[str] = set()
        self._unremoved_lock = threading.Lock()

    def start(self, scheduler: BaseScheduler, alias: str) -> None:
        """Create the table if missing; two replicas starting at once may race to create it."""
        try:
            super().start(scheduler, alias)
        except Exception:  # the other replica's CREATE TABLE won: the table exists now
            log.info("job table %s was created concurrently; checking again", JOBS_TABLE)
            self.jobs_t.create(self.engine, checkfirst=True)

    def remove_job(self, job_id: str) -> None:
        try:
            with contextlib.suppress(JobLookupError):
                super().remove_job(job_id)
        except Exception as exc:
            if not is_transient(exc):
                raise
            self.outage.failed(exc, where=f"removing job {job_id}")
            with self._unremoved_lock:
                self._unremoved.add(job_id)
            return
        with self._unremoved_lock:
            self._unremoved.discard(job_id)

    def update_job(self, job: Job) -> None:
        try:
            super().update_job(job)
        except JobLookupError:
            with contextlib.suppress(ConflictingIdError):
                super().add_job(job)
        except Exception as exc:
            if not is_transient(exc):
                raise
            # The stored next run time stays the old one: the job is due again, and its body
            # (a claim on the campaign row) makes running it once more harmless.
            self.outage.failed(exc, where=f"updating job {job.id}")

    def get_due_jobs(self, now: datetime) -> list[Job]:
        self._retry_removals()
        try:
            jobs = super().get_due_jobs(now)
        except Exception as exc:  # APScheduler logs it and looks again in jobstore_retry_interval
            if is_transient(exc):
                self.outage.failed(exc, where="reading due jobs")
            raise
        with self._unremoved_lock:
            hidden = set(self._unremoved)
        return [job for job in jobs if job.id not in hidden]

    def get_next_run_time(self) -> datetime | None:
        soon = datetime.now(UTC) + timedelta(seconds=STORE_RETRY_SECONDS)
        try:
            when = super().get_next_run_time()
        except Exception as exc:
            if not is_transient(exc):
                raise
            self.outage.failed(exc, where="reading the next run time")
            return soon
        with self._unremoved_lock:
            pending = bool(self._unremoved)
        if pending and (when is None or when < soon):
            return soon  # the undeleted job's past run time would make the loop spin
        return when

    def _retry_removals(self) -> None:
        with self._unremoved_lock:
            pending = list(self._unremoved)
        for job_id in pending:
            self.remove_job(job_id)


def build_scheduler(
    database_url: str | None = None,
    *,
    engine: object | None = None,
    outage: OutageTracker | None = None,
) -> BackgroundScheduler:
    """A scheduler whose jobs live in the bot's own database (same URL as the campaign rows).

    Pass the bot's ``engine`` to share its connection settings (SQLite WAL and busy timeout);
    a ``postgresql://`` URL is read as psycopg 3, like ``storage.db.make_engine`` does.
    """
    if engine is None and database_url is None:
        raise ValueError("build_scheduler needs a database_url or an engine")
    if engine is not None:
        store = SharedJobStore(engine=engine, tablename=JOBS_TABLE, outage=outage)
    else:
        assert database_url is not None
        if database_url.startswith("postgresql://"):
            database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
        store = SharedJobStore(url=database_url, tablename=JOBS_TABLE, outage=outage)
    return BackgroundScheduler(
        jobstores={"default": store, "memory": MemoryJobStore()},
        executors={"default": {"type": "threadpool", "max_workers": 20}},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        jobstore_retry_interval=STORE_RETRY_SECONDS,
        timezone=UTC,
    )


# When each job of this process last finished (Unix time): the health probe's scheduler check.
LAST_FINISHED: dict[str, float] = {}


def _record_run(event: JobExecutionEvent) -> None:
    """Scheduler liveness for metrics: when each job last finished, and which ones raised.

    Activation date jobs share one label (``activate``): their ids name campaigns, unbounded.
    """
    job = "activate" if event.job_id.startswith("activate-") else event.job_id
    finished = time.time()
    LAST_FINISHED[job] = finished
    metrics.SCHEDULER_LAST_RUN.labels(job).set(finished)
    if event.exception is not None:
        metrics.SCHEDULER_ERRORS.labels(job).inc()


class ActivationScheduler:
    """The bot's job scheduler, kept alive: date jobs, interval safety nets, heartbeat, supervisor.

    ``factory`` builds a fresh ``BackgroundScheduler``: the supervisor uses it when the running
    one's loop thread has died (APScheduler cannot restart a scheduler whose thread ended), and
    the new one gets every interval job again and reconciles the date jobs with the rows.
    """

    def __init__(
        self,
        scheduler: BackgroundScheduler,
        *,
        scan_seconds: int = 30,
        sync_seconds: int = 900,
        alert_seconds: int = 15,
        factory: Callable[[], BackgroundScheduler] | None = None,
        outage: OutageTracker | None = None,
        heartbeat: Callable[[str], None] | None = None,
        heartbeat_seconds: float = 10.0,
        on_job_error: Callable[[str, BaseException], None] | None = None,
    ) -> None:
        self._scheduler = scheduler
        self._factory = factory
        self.outage = outage or OutageTracker()
        self._heartbeat = heartbeat
        self._heartbeat_seconds = heartbeat_seconds
        self._on_job_error = on_job_error or (lambda _job, _exc: None)
        self._intervals: dict[str, tuple[str | Callable[[], object], float]] = {
            func.rsplit(":", 1)[1]: (func, seconds)
            for func, seconds in {
                "jobs.activation:scan_job": scan_seconds,
                "jobs.activation:sync_job": sync_seconds,
                "jobs.activation:flush_alerts_job": alert_seconds,
                "jobs.activation:take_over_job": TAKE_OVER_SECONDS,
            }.items()
        }
        if heartbeat is not None:
            self._intervals["heartbeat"] = (self._beat, heartbeat_seconds)
        self._scheduled: Callable[[], Iterable[tuple[int, datetime]]] = list
        self._alerted_jobs: set[str] = set()
        self._stop = threading.Event()
        self._supervisor: threading.Thread | None = None
        self.restarts = 0
        self.state = "starting"

    def start(
        self,
        scheduled: Iterable[tuple[int, datetime]],
        *,
        scheduled_rows: Callable[[], Iterable[tuple[int, datetime]]] | None = None,
    ) -> None:
        """Start firing jobs; ``scheduled_rows`` re-reads the rows when the supervisor restarts."""
        if scheduled_rows is not None:
            self._scheduled = scheduled_rows
        self._start_scheduler(scheduled)
        self.state = "running"
        if self._factory is not None and self._supervisor is None:
            self._supervisor = threading.Thread(
                target=self._supervise, name="adbee-scheduler-supervisor", daemon=True
            )
            self._supervisor.start()

    def _start_scheduler(self, scheduled: Iterable[tuple[int, datetime]]) -> None:
        self._scheduler.add_listener(self._job_failed, EVENT_JOB_ERROR)
        self._scheduler.add_listener(_record_run, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        self._scheduler.start()
        for job_id, (func, seconds) in self._intervals.items():
            self._add_interval(job_id, func, seconds)
        self.reconcile(scheduled)

    def add_interval(self, job_id: str, func: Callable[[], object], seconds: float) -> None:
        """Another in-memory interval job (e.g. resuming abandoned creations); kept on restart."""
        self._intervals[job_id] = (func, seconds)
        self._add_interval(job_id, func, seconds, first_run=False)

    def _add_interval(
        self,
        job_id: str,
        func: str | Callable[[], object],
        seconds: float,
        *,
        first_run: bool = True,
    ) -> None:
        # Interval jobs live in memory: each replica runs its own safety nets.
        self._scheduler.add_job(
            func,
            "interval",
            seconds=seconds,
            id=job_id,
            jobstore="memory",
            replace_existing=True,
            **({"next_run_time": datetime.now(UTC)} if first_run else {}),
        )

    # ------------------------------------------------------------------ keeping it alive
    @property
    def loop_alive(self) -> bool:
        thread = getattr(self._scheduler, "_thread", None)
        return bool(self._scheduler.running and thread is not None and thread.is_alive())

    def _beat(self) -> None:
        assert self._heartbeat is not None
        try:
            self._heartbeat(self.state)
        except Exception as exc:
            if not is_transient(exc):
                raise
            self.outage.failed(exc, where="the scheduler heartbeat")
            return
        self.outage.recovered()

    def _job_failed(self, event: JobExecutionEvent) -> None:
        """APScheduler logged the traceback already; report it once, the job runs again."""
        exc = event.exception
        if exc is None:
            return
        if is_transient(exc):
            self.outage.failed(exc, where=f"job {event.job_id}")
            return
        kind = event.job_id.split("-", 1)[0]
        if kind not in self._alerted_jobs:
            self._alerted_jobs.add(kind)
            self._on_job_error(event.job_id, exc)

    def _supervise(self) -> None:
        """Restart the scheduler if its loop thread died; check as often as the heartbeat."""
        while not self._stop.wait(self._heartbeat_seconds):
            if self.loop_alive:
                continue
            self.restart()

    def restart(self) -> None:
        assert self._factory is not None
        self.state = "restarting the scheduler"
        log.critical("the scheduler loop stopped; starting a new scheduler")
        with contextlib.suppress(Exception):
            self._scheduler.shutdown(wait=False)
        try:
            self._scheduler = self._factory()
            self._start_scheduler(self._scheduled())
        except Exception:  # the database may be what failed: the next check tries again
            log.exception("could not restart the scheduler; trying again shortly")
            return
        self.restarts += 1
        self.state = "running"
        log.warning("scheduler restarted (%d restart(s) so far)", self.restarts)

    # ------------------------------------------------------------------ date jobs
    def reconcile(self, scheduled: Iterable[tuple[int, datetime]]) -> None:
        """Make date jobs match the SCHEDULED rows: add missing, move changed, drop stale."""
        wanted = {activation_job_id(cid): (cid, when) for cid, when in scheduled}
        for job in self._scheduler.get_jobs(jobstore="default"):
            if job.id.startswith("activate-") and job.id not in wanted:
                log.info("removing activation job %s: its campaign is no longer scheduled", job.id)
                self._scheduler.remove_job(job.id, jobstore="default")
        for cid, when in wanted.values():
            self.schedule(cid, when)

    def schedule(self, campaign_id: int, when: datetime | None) -> None:
        """Add, move or drop a campaign's date job.

        A database error here must not fail the approval that asked for it: the row is
        SCHEDULED already, so the scan job activates it (at most one scan interval late) and the
        next start-up's reconcile writes the job.
        """
        job_id = activation_job_id(campaign_id)
        try:
            if when is None:
                with contextlib.suppress(JobLookupError):
                    self._scheduler.remove_job(job_id, jobstore="default")
                return
            self._scheduler.add_job(
                ACTIVATE_FUNC,
                "date",
                run_date=when if when.tzinfo else when.replace(tzinfo=UTC),
                args=[campaign_id],
                id=job_id,
                jobstore="default",
                replace_existing=True,
            )
        except Exception as exc:
            if not is_transient(exc):
                raise
            self.outage.failed(exc, where=f"scheduling {job_id}")
            log.warning(
                "could not write %s; the scan job activates campaign #%s", job_id, campaign_id
            )

    @property
    def scheduler(self) -> BackgroundScheduler:
        return self._scheduler

    def shutdown(self, *, wait: bool = False) -> None:
        self._stop.set()
        self.state = "stopped"
        if self._scheduler.running:
            self._scheduler.shutdown(wait=wait)
