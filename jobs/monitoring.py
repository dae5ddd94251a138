"""Job bodies of the watch after go-live: approval reminders and pacing/health alerts.

Both only queue alerts (deduplicated in the outbox) and then flush them, so running them twice,
on two replicas or after a restart, alerts once. ``now`` is injectable for tests.
"""

from __future__ import annotations

import logging
from datetime import datetime

from jobs.activation import flush_alerts_job
from jobs.runtime import JobContext, current

log = logging.getLogger(__name__)


def reminders_job(context: JobContext | None = None, *, now: datetime | None = None) -> int:
    """Campaigns waiting longer than APPROVAL_REMINDER_HOURS: one reminder each."""
    context = context or current()
    queued = 0
    if context.reminders is not None:
        try:
            queued = context.reminders.queue_due(now)
        except Exception:  # the next run looks again
            log.exception("approval reminders failed")
    if queued:
        flush_alerts_job(context)
    return queued


def pacing_job(context: JobContext | None = None, *, now: datetime | None = None) -> int:
    """Every live campaign against the pacing and health rules; one alert per condition a day."""
    context = context or current()
    queued = 0
    if context.pacing is not None:
        try:
            queued = context.pacing.check_all(now)
        except Exception:  # the next run looks again; alerts queued so far still go out
            log.exception("pacing check failed")
    flush_alerts_job(context)
    return queued
