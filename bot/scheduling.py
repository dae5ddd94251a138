"""Composition of the scheduling side: lifecycle, status sync, alert outbox and job scheduler.

``build_job_context`` wires the domain services the jobs run against; ``start_scheduler`` adds
the APScheduler side (date jobs in the bot's own database, interval safety nets in memory),
installs the context for the job functions and reconciles the job table with the rows.
Tests call ``build_job_context`` alone and drive ``jobs.activation`` with an injected time.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from bot.bootstrap import Services
from jobs import runtime
from jobs.runtime import JobContext
from jobs.scheduler import ActivationScheduler, build_scheduler
from meta.access import AccessPolicy
from meta.alerts import AlertOutbox, Notifier
from meta.campaigns import Clock
from meta.lifecycle import CampaignLifecycle, ScheduleHook
from meta.status_sync import StatusSync


def default_worker_id() -> str:
    """Who holds an activation claim: host and process, so a restart is a different worker."""
    return f"{socket.gethostname()}:{os.getpid()}"


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

    @property
    def lifecycle(self) -> CampaignLifecycle:
        return self.context.lifecycle

    def stop(self, *, wait: bool = False) -> None:
        """Stop firing jobs; ``wait`` lets running ones finish before the context goes away."""
        self.scheduler.shutdown(wait=wait)
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
) -> Scheduling:
    """Start the job scheduler on the bot's database and make its jobs match the rows.

    Start-up order: alerts a crash left half-sent are queued again; the date jobs are reconciled
    with the SCHEDULED rows (missing ones added, past ones fire at once, stale ones removed);
    the scan, sync and alert jobs run once immediately, then on their intervals.
    """
    scheduler = ActivationScheduler(
        build_scheduler(engine=services.engine),
        scan_seconds=scan_seconds,
        sync_seconds=services.settings.sync_interval_seconds,
        alert_seconds=alert_seconds,
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
    scheduler.start(context.lifecycle.scheduled())
    return Scheduling(context, scheduler)
