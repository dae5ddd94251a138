"""Job bodies of the watch after go-live: approval reminders, pacing/health alerts, digests.

Each only queues alerts (deduplicated in the outbox) and then flushes them, so running one twice,
on two replicas or after a restart, alerts once. ``now`` is injectable for tests.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from jobs.activation import flush_alerts_job
from jobs.runtime import JobContext, current

log = logging.getLogger(__name__)
Check = Callable[[datetime | None], int]


def reminders_job(context: JobContext | None = None, *, now: datetime | None = None) -> int:
    """Campaigns waiting longer than APPROVAL_REMINDER_HOURS: one reminder each."""
    context = context or current()
    check = context.reminders.queue_due if context.reminders else None
    return _run(context, check, now, "approval reminders")


def pacing_job(context: JobContext | None = None, *, now: datetime | None = None) -> int:
    """Every live campaign against the pacing and health rules; one alert per condition a day."""
    context = context or current()
    check = context.pacing.check_all if context.pacing else None
    return _run(context, check, now, "pacing check")


def digest_job(context: JobContext | None = None, *, now: datetime | None = None) -> int:
    """Each account's daily digest once its local DIGEST_TIME has come (once per day)."""
    context = context or current()
    check = context.digests.queue_due if context.digests else None
    return _run(context, check, now, "daily digest")


def _run(context: JobContext, check: Check | None, now: datetime | None, what: str) -> int:
    """Run one check (a failure waits for the next run) and send what it queued."""
    queued = 0
    if check is not None:
        try:
            queued = check(now)
        except Exception:
            log.exception("%s failed", what)
    if queued:
        flush_alerts_job(context)
    return queued
