"""The alert outbox: alerts are rows first and Slack messages second.

Whoever detects something (activation, sync, a failed creation) queues an alert in the database;
``AlertOutbox.flush`` delivers pending ones through a ``Notifier``. A Slack outage therefore only
delays alerts: failed sends stay pending and are retried on the next flush.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

from meta.domain.accounts import AccountRegistry
from meta.services.summary import CampaignSummary, summarize
from storage.models import Alert
from storage.repository import CampaignStore

log = logging.getLogger(__name__)
# After this many failed tries an alert goes to the back of the queue (it is still retried), so
# one undeliverable alert cannot hold up the others.
MAX_ATTEMPTS = 50
# Consecutive failures after which a flush stops: Slack is down, the rest would fail too.
STOP_AFTER_FAILURES = 3
BATCH = 500
# Not an alert in the alerts channel: the end of a creation (the campaign's own message turned
# into Approve/Reject, or into an honest failure with Resume, and a reply in its thread, with
# ``detail`` as the reply). Queued here so that it reaches Slack even when Slack is down at the
# moment the creation finishes.
CREATION_FINISHED = "creation_finished"


class Notifier(Protocol):
    """Delivers one alert; raises on failure so the outbox keeps it for the next try.

    ``key`` is the alert's dedupe key: the notifier marks the Slack post with it. ``sent_before``
    is set when an earlier try failed (maybe after Slack had posted it), so the notifier checks
    for the post before sending it again.
    """

    def send(
        self,
        *,
        kind: str,
        summary: CampaignSummary | None,
        detail: str | None,
        key: str,
        sent_before: datetime | None = None,
    ) -> None: ...


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
            delivered = self._send(alert, notifier)
            if delivered is None:
                continue
            sent, failed = sent + delivered, failed + (not delivered)
            streak = 0 if delivered else streak + 1
        return sent, failed

    def deliver_now(self, key: str, notifier: Notifier) -> bool:
        """Try one queued alert at once (the end of a creation); False leaves it to ``flush``."""
        alert = self._store.pending_alert(key)
        return alert is not None and bool(self._send(alert, notifier))

    def _send(self, alert: Alert, notifier: Notifier) -> bool | None:
        """True: sent; False: failed and kept pending; None: another process has it."""
        if not self._store.claim_alert(alert.id):
            return None
        try:
            row = self._store.get(alert.campaign_id) if alert.campaign_id else None
            summary = summarize(row, self._accounts) if row else None
            notifier.send(
                kind=alert.kind,
                summary=summary,
                detail=alert.payload.get("detail"),
                key=alert.dedupe_key,
                sent_before=alert.created_at if alert.attempts else None,
            )
        except Exception as exc:  # any delivery failure: keep it pending
            log.warning("alert %s not delivered yet: %s", alert.id, type(exc).__name__)
            self._store.finish_alert(alert.id, error=f"{type(exc).__name__}: {exc}"[:500])
            return False
        self._store.finish_alert(alert.id)
        return True
