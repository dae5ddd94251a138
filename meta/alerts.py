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
MAX_ATTEMPTS = 50


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

    def flush(self, notifier: Notifier) -> tuple[int, int]:
        """Send what is pending; returns (sent, failed). Safe to run on several replicas at once."""
        sent = failed = 0
        for alert in self._store.pending_alerts():
            if alert.attempts >= MAX_ATTEMPTS or not self._store.claim_alert(alert.id):
                continue
            row = self._store.get(alert.campaign_id) if alert.campaign_id else None
            summary = summarize(row, self._accounts) if row else None
            try:
                notifier.send(kind=alert.kind, summary=summary, detail=alert.payload.get("detail"))
            except Exception as exc:  # any delivery failure: keep it pending
                log.warning("alert %s not delivered yet: %s", alert.id, type(exc).__name__)
                self._store.finish_alert(alert.id, error=f"{type(exc).__name__}: {exc}"[:500])
                failed += 1
                continue
            self._store.finish_alert(alert.id)
            sent += 1
        return sent, failed
