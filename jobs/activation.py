"""Job bodies: small, idempotent, and failing per campaign rather than per batch.

APScheduler calls these by textual reference (``jobs.activation:activate_job``) with nothing but
a campaign id, and they find the live services through ``jobs.runtime``.
"""

from __future__ import annotations

import logging
from datetime import datetime

from jobs.runtime import JobContext, current

log = logging.getLogger(__name__)


def activate_job(campaign_id: int) -> None:
    """The date job APScheduler fires at a campaign's start time."""
    context = current()
    context.lifecycle.activate(campaign_id)
    flush_alerts_job(context)  # "live" or "failed", whichever it was, goes out now


def activate_due(context: JobContext | None = None, *, now: datetime | None = None) -> int:
    """Activate everything due: the safety net for missed, late or lost date jobs.

    ``now`` (injected in tests) decides what is due and how late it is. Stale claims are judged
    on the wall clock, like the ``updated_at`` they are read from.
    """
    context = context or current()
    activated = 0
    context.lifecycle.release_stale_claims()
    for campaign_id in context.lifecycle.due(now):
        try:
            activated += bool(context.lifecycle.activate(campaign_id, now=now))
        except Exception:  # one broken campaign must not stop the others
            log.exception("activation of #%s failed unexpectedly", campaign_id)
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
