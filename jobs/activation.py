"""Job bodies: small, idempotent, and failing per campaign rather than per batch.

APScheduler calls these by textual reference (``jobs.activation:activate_job``) with nothing but
a campaign id, and they find the live services through ``jobs.runtime``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from jobs.runtime import JobContext, current
from meta.telemetry import log_context

log = logging.getLogger(__name__)

# Campaigns activated side by side when several are due at once. One activation is five Graph
# calls in a row (read, ad, ad set, campaign, read back), ~1.5 s at 300 ms each: 500 due in the
# same minute take ~13 minutes one by one, ~13 s 64 at a time and 8-10 s 128 at a time, where the
# CPU of one interpreter starts to limit instead (bench/activation_burst.py). Bounded because
# each activation in flight holds a thread and, while it talks to them, a connection to the
# database and to Meta. Meta limits a score per ad account (an activation costs 11 of the 9000
# points a standard-access account has per 5 minutes), not the number of calls in flight.
ACTIVATION_WORKERS = 128


# One pooled run of activate_due per process at a time (date-job bursts and the scan job).
_pooled_run = threading.Lock()


def activate_job(campaign_id: int) -> None:
    """The date job APScheduler fires when a campaign is to be armed, or checked at its start.

    Campaigns due in the same minute fire their date jobs together, and APScheduler runs them on
    a small pool (jobs/scheduler.py). The first job of a burst runs ``activate_due``, which
    takes everything due in batches (meta.services.activation), and runs it again until a pass
    finds nothing more; the jobs firing alongside it leave their campaign to that run rather
    than sending a Graph request each (which would undo the batching at the start minute). A
    job that fires just as the run ends is caught by the scan job (every 30 s).
    """
    context = current()
    if not _pooled_run.acquire(blocking=False):
        return  # a pooled run is going: it (or its next pass) takes this campaign too
    try:
        while activate_due(context):  # delivers the alerts at the end of each pass
            pass
        context.lifecycle.activate(campaign_id)  # a no-op unless it became due meanwhile
        flush_alerts_job(context)
    finally:
        _pooled_run.release()


def activate_due(
    context: JobContext | None = None,
    *,
    now: datetime | None = None,
    workers: int = ACTIVATION_WORKERS,
) -> int:
    """Activate everything due: the safety net for missed, late or lost date jobs.

    ``now`` (injected in tests) decides what is due and how late it is. Claims left by a dead
    worker are judged on the wall clock, like the ``updated_at`` they are read from, and taken
    over in the same pool. Up to ``workers`` campaigns are activated at once; each still claims
    its row first, so overlapping runs (date jobs, other replicas) never activate one twice.
    """
    context = context or current()
    lifecycle = context.lifecycle
    work: list[tuple[Callable[..., bool], int]] = [
        (lifecycle.take_over, cid) for cid in lifecycle.abandoned_activations()
    ]
    activated = _run_pooled(work, now=now, workers=workers)
    try:
        # Due ones together: claimed in one transaction per chunk, switched through Graph
        # batch requests (meta.services.activation), armed ahead of their start.
        activated += lifecycle.run_due(now)
    except Exception:  # the rows stay due; the next scan tries again
        log.exception("activating the due campaigns failed")
    flush_alerts_job(context)
    return activated


def take_over_job() -> None:
    """Every few seconds: finish the activations whose worker died (kill -9, a lost replica).

    Separate from the scan (every 30 s) and not behind its lock, so a replica that is itself in
    the middle of a burst still takes over a dead replica's share within seconds.
    """
    context = current()
    abandoned = context.lifecycle.abandoned_activations()
    if abandoned:
        _run_pooled([(context.lifecycle.take_over, cid) for cid in abandoned])
        flush_alerts_job(context)


def _run_pooled(
    work: list[tuple[Callable[..., bool], int]],
    *,
    now: datetime | None = None,
    workers: int = ACTIVATION_WORKERS,
) -> int:
    def run(item: tuple[Callable[..., bool], int]) -> bool:
        action, campaign_id = item
        try:
            with log_context.bound(adbee_id=campaign_id):
                return bool(action(campaign_id, now=now))
        except Exception:  # one broken campaign must not stop the others
            log.exception("activation of #%s failed unexpectedly", campaign_id)
            return False

    if len(work) <= 1 or workers <= 1:
        return sum(map(run, work))
    with ThreadPoolExecutor(
        max_workers=min(workers, len(work)), thread_name_prefix="adbee-activate"
    ) as pool:
        return sum(pool.map(run, work))


def scan_job() -> None:
    if not _pooled_run.acquire(blocking=False):
        return  # a date job is activating a burst right now; the next scan looks again
    try:
        activate_due()
    finally:
        _pooled_run.release()


def sync_job() -> None:
    context = current()
    if context.sync is not None:
        try:
            context.sync.sync_all()
        except Exception:  # the next run tries again; alerts queued so far still go out
            log.exception("status sync failed")
    flush_alerts_job(context)


def flush_alerts_job(context: JobContext | None = None) -> None:
    context = context or current()
    try:
        context.outbox.flush(context.notifier)
    except Exception:  # e.g. the database is briefly unreachable: alerts stay queued
        log.exception("alert flush failed")
