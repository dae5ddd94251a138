"""Job bodies: small, idempotent, and failing per campaign rather than per batch.

APScheduler calls these by textual reference (``jobs.activation:activate_job``) with nothing but
a campaign id, and they find the live services through ``jobs.runtime``.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from jobs.runtime import JobContext, current

log = logging.getLogger(__name__)

# Campaigns activated side by side when several are due at once. One activation is five Graph
# calls in a row (read, ad, ad set, campaign, read back), ~1.5 s at 300 ms each, so 500 due in the
# same minute take ~12 minutes one by one; 64 at a time take ~12 s (bench/activation_burst.py).
# Bounded because each in-flight activation holds a thread, a database connection and a
# connection to Meta, and Meta rate-limits per ad account (an activation costs 11 of the 9000
# points a standard-access account has per 5 minutes).
ACTIVATION_WORKERS = 64


def activate_job(campaign_id: int) -> None:
    """The date job APScheduler fires at a campaign's start time."""
    context = current()
    context.lifecycle.activate(campaign_id)
    flush_alerts_job(context)  # "live" or "failed", whichever it was, goes out now


def activate_due(
    context: JobContext | None = None,
    *,
    now: datetime | None = None,
    workers: int = ACTIVATION_WORKERS,
) -> int:
    """Activate everything due: the safety net for missed, late or lost date jobs.

    ``now`` (injected in tests) decides what is due and how late it is. Stale claims are judged
    on the wall clock, like the ``updated_at`` they are read from. Up to ``workers`` campaigns
    are activated at once; each still claims its row first, so overlapping runs (date jobs, other
    replicas) never activate one twice.
    """
    context = context or current()
    context.lifecycle.release_stale_claims()
    due = context.lifecycle.due(now)

    def activate(campaign_id: int) -> bool:
        try:
            return bool(context.lifecycle.activate(campaign_id, now=now))
        except Exception:  # one broken campaign must not stop the others
            log.exception("activation of #%s failed unexpectedly", campaign_id)
            return False

    if len(due) <= 1 or workers <= 1:
        activated = sum(map(activate, due))
    else:
        with ThreadPoolExecutor(
            max_workers=min(workers, len(due)), thread_name_prefix="adbee-activate"
        ) as pool:
            activated = sum(pool.map(activate, due))
    flush_alerts_job(context)
    return activated


def scan_job() -> None:
    activate_due()


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
