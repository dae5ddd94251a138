"""The alert outbox: alerts are rows first and Slack messages second.

Whoever detects something (activation, sync, a failed creation) queues an alert in the database;
``AlertOutbox.flush`` delivers pending ones through a ``Notifier``. A Slack outage therefore only
delays alerts: failed sends stay pending and are retried on the next flush.
"""

from __future__ import annotations

import logging
from typing import Protocol

from meta.accounts import AccountRegistry
from meta.summary import CampaignSummary, summarize
from storage.repository import CampaignStore

log = logging.getLogger(__name__)
# After this many failed tries an alert goes to the back of the queue (it is still retried), so
# one undeliverable alert cannot hold up the others.
MAX_ATTEMPTS = 50
# Consecutive failures after which a flush stops: Slack is down, the rest would fail too.
STOP_AFTER_FAILURES = 3
BATCH = 500


class Notifier(Protocol):
    """Delivers one alert; raises on failure so the outbox keeps it for the next try."""

    def send(self, *, kind: str, summary: CampaignSummary | None, detail: str | None) -> None: ...


class AlertOutbox:
    def __init__(self, *, store: CampaignStore, accounts: AccountRegistry) -> None:
        self._store = store
        self._accounts = accounts

    def queue(self, *, kind: str, campaign_id: int | None, detail: str | None, key: str) -> bool:
        return self._store.enqueue_alert(
            kind=kind, dedupe_key=key, payload={"detail": detail}, campaign_id=campaign_id
        )

    def requeue_interrupted(self) -> int:
        """At start-up: alerts a crash left half-sent go back to pending (sent again, not lost).

        With several replicas one may be sending right now, so this can post an alert twice;
        at-least-once is the price of never losing one.
        """
        stuck = [alert for alert in self._store.alerts() if alert.status == "sending"]
        for alert in stuck:
            self._store.finish_alert(alert.id, error="interrupted while sending")
        return len(stuck)

    def flush(self, notifier: Notifier) -> tuple[int, int]:
        """Send what is pending, oldest first; returns (sent, failed).

        Safe on several replicas at once (each alert is claimed before sending). Nothing is
        ever dropped: a failed send stays pending with its attempt counted and the error kept.
        """
        sent = failed = streak = 0
        pending = sorted(
            self._store.pending_alerts(limit=BATCH),
            key=lambda alert: (alert.attempts >= MAX_ATTEMPTS, alert.id),
        )
        for alert in pending:
            if streak >= STOP_AFTER_FAILURES:
                break
            if not self._store.claim_alert(alert.id):
                continue
            try:
                row = self._store.get(alert.campaign_id) if alert.campaign_id else None
                summary = summarize(row, self._accounts) if row else None
                notifier.send(kind=alert.kind, summary=summary, detail=alert.payload.get("detail"))
            except Exception as exc:  # any delivery failure: keep it pending
                log.warning("alert %s not delivered yet: %s", alert.id, type(exc).__name__)
                self._store.finish_alert(alert.id, error=f"{type(exc).__name__}: {exc}"[:500])
                failed += 1
                streak += 1
                continue
            self._store.finish_alert(alert.id)
            sent += 1
            streak = 0
        return sent, failed
