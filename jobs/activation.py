"""Job bodies: small, idempotent, and failing per campaign rather than per batch."""

from __future__ import annotations

import logging
from datetime import datetime

from jobs.runtime import JobContext, current

log = logging.getLogger(__name__)


def activate_job(campaign_id: int) -> None:
    """The date job APScheduler fires at a campaign's start time (by textual reference)."""
    context = current()
    context.lifecycle.activate(campaign_id)
    flush_alerts_job()


def activate_due(context: JobContext | None = None, *, now: datetime | None = None) -> int:
    """Activate everything due: the safety net for missed, late or lost date jobs."""
    context = context or current()
    activated = 0
    context.lifecycle.release_stale_claims(now)
    for campaign_id in context.lifecycle.due(now):
        try:
            activated += bool(context.lifecycle.activate(campaign_id, now=now))
        except Exception:  # one broken campaign must not stop the others
            log.exception("activation of #%s failed unexpectedly", campaign_id)
    if activated:
        flush_alerts_job(context)
    return activated


def scan_job() -> None:
    activate_due()


def sync_job() -> None:
    context = current()
    if context.sync is not None:
        context.sync.sync_all()
    flush_alerts_job(context)


def flush_alerts_job(context: JobContext | None = None) -> None:
    context = context or current()
    context.outbox.flush(context.notifier)
