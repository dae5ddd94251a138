"""APScheduler wiring: one date job per scheduled activation, plus interval safety nets.

The campaign row is the source of truth. Date jobs give punctual firing; the scan job catches
anything missed (bot down at the start time, a job lost in an upgrade); ``reconcile`` at start-up
makes the job table match the rows. Activation claims the row itself, so a job firing twice (or
on two replicas) is harmless.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from apscheduler.jobstores.base import ConflictingIdError, JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger(__name__)

ACTIVATE_FUNC = "jobs.activation:activate_job"
JOBS_TABLE = "apscheduler_jobs"
# How often each replica looks for activations whose worker died (one indexed query); with the
# claim's 5 s grace (meta.activation.CLAIM_TIMING) a dead worker's claims are taken over 5-7 s
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
    """

    def start(self, scheduler, alias) -> None:  # type: ignore[no-untyped-def]
        """Create the table if missing; two replicas starting at once may race to create it."""
        try:
            super().start(scheduler, alias)
        except Exception:  # the other replica's CREATE TABLE won: the table exists now
            log.info("job table %s was created concurrently; checking again", JOBS_TABLE)
            self.jobs_t.create(self.engine, checkfirst=True)

    def remove_job(self, job_id: str) -> None:
        with contextlib.suppress(JobLookupError):
            super().remove_job(job_id)

    def update_job(self, job) -> None:  # type: ignore[no-untyped-def]
        try:
            super().update_job(job)
        except JobLookupError:
            with contextlib.suppress(ConflictingIdError):
                super().add_job(job)


def build_scheduler(
    database_url: str | None = None, *, engine: object | None = None
) -> BackgroundScheduler:
    """A scheduler whose jobs live in the bot's own database (same URL as the campaign rows).

    Pass the bot's ``engine`` to share its connection settings (SQLite WAL and busy timeout);
    a ``postgresql://`` URL is read as psycopg 3, like ``storage.db.make_engine`` does.
    """
    if engine is None and database_url is None:
        raise ValueError("build_scheduler needs a database_url or an engine")
    if engine is not None:
        store = SharedJobStore(engine=engine, tablename=JOBS_TABLE)
    else:
        assert database_url is not None
        if database_url.startswith("postgresql://"):
            database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
        store = SharedJobStore(url=database_url, tablename=JOBS_TABLE)
    return BackgroundScheduler(
        jobstores={"default": store, "memory": MemoryJobStore()},
        executors={"default": {"type": "threadpool", "max_workers": 20}},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone=UTC,
    )


class ActivationScheduler:
    def __init__(
        self,
        scheduler: BackgroundScheduler,
        *,
        scan_seconds: int = 30,
        sync_seconds: int = 900,
        alert_seconds: int = 15,
    ) -> None:
        self._scheduler = scheduler
        self._intervals = {
            "jobs.activation:scan_job": scan_seconds,
            "jobs.activation:sync_job": sync_seconds,
            "jobs.activation:flush_alerts_job": alert_seconds,
            "jobs.activation:take_over_job": TAKE_OVER_SECONDS,
        }

    def start(self, scheduled: Iterable[tuple[int, datetime]]) -> None:
        self._scheduler.start()
        for func, seconds in self._intervals.items():
            # Interval jobs live in memory: each replica runs its own safety nets.
            self._scheduler.add_job(
                func,
                "interval",
                seconds=seconds,
                id=func.rsplit(":", 1)[1],
                jobstore="memory",
                replace_existing=True,
                next_run_time=datetime.now(UTC),
            )
        self.reconcile(scheduled)

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
        job_id = activation_job_id(campaign_id)
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

    @property
    def scheduler(self) -> BackgroundScheduler:
        return self._scheduler

    def shutdown(self, *, wait: bool = False) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=wait)
