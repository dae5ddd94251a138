"""What persistent jobs run against.

APScheduler stores a job as a textual function reference plus arguments; we store only a
campaign id so no pickled object can break on upgrade. The function then finds the live services
here, installed once at start-up by the bot's composition root.
"""

from __future__ import annotations

from dataclasses import dataclass

from meta.services.alerts import AlertOutbox, Notifier
from meta.services.digest import DailyDigests
from meta.services.lifecycle import CampaignLifecycle
from meta.services.pacing import PacingWatch
from meta.services.reminders import ApprovalReminders
from meta.services.status_sync import StatusSync


@dataclass
class JobContext:
    lifecycle: CampaignLifecycle
    outbox: AlertOutbox
    notifier: Notifier
    sync: StatusSync | None = None
    reminders: ApprovalReminders | None = None
    pacing: PacingWatch | None = None
    digests: DailyDigests | None = None


_context: JobContext | None = None


def install(context: JobContext | None) -> None:
    global _context
    _context = context


def current() -> JobContext:
    if _context is None:
        raise RuntimeError("jobs.runtime.install() was not called")
    return _context
