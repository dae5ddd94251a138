"""The alert outbox: alerts are rows first and Slack messages second.

Whoever detects something (activation, sync, a failed creation) queues an alert in the database;
``AlertOutbox.flush`` delivers pending ones through a ``Notifier``. A Slack outage therefore only
delays alerts: failed sends stay pending and are retried on the next flush.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from meta.domain.accounts import AccountRegistry
from meta.domain.ports import CampaignRepository
from meta.domain.records import AlertRecord
from meta.domain.states import Status
from meta.services.leases import LeaseTiming, lease_cutoff, names_this_process, new_holder_id
from meta.services.summary import CampaignSummary, summarize

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
# A throttle wait that moves a campaign's activation past its start: said in its thread
# (``bot.slack.campaign_messages``), not in the alerts channel: it is that campaign's news.
START_DELAYED = "start_delayed"
# Alerts that come in bursts (many campaigns due at one start time). When at least BURST_MIN of
# them are pending at one flush they are announced in one summary message (per channel: AdBee
# posts alerts to one), and each campaign's own card and thread carry its detail; 500 "is live"
# messages one by one took ~9 minutes at Slack's one message per second per channel.
BURST_KINDS = frozenset({"live", "live_late", "activation_failed"})
BURST_MIN = 3
# While other activations of the moment are still running (or due), fewer than BURST_MIN such
# alerts are held, at most this long, so that the burst they belong to is announced as one.
BURST_HOLD_SECONDS = 30.0


# An alert claim as a lease (``meta.services.leases``): a sender of this host that no longer
# exists gave up its alerts 5 s after claiming them; any other sender after 10 minutes (a send,
# with Slack's own retries and a burst's paced posts, takes far less).
ALERT_CLAIM_TIMING = LeaseTiming(
    heartbeat_seconds=0.0, stale_after=timedelta(minutes=10), dead_grace=timedelta(seconds=5)
)


@dataclass(frozen=True)
class _Claim:
    """An alert's claim in the shape ``lease_cutoff`` reads."""

    id: int
    claimed_by: str | None
    updated_at: datetime


@dataclass(frozen=True)
class BurstAlert:
    """One alert of a burst, as the notifier needs it."""

    kind: str
    summary: CampaignSummary
    detail: str | None
    key: str


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

    def send_burst(
        self, alerts: list[BurstAlert], *, key: str, sent_before: datetime | None = None
    ) -> None:
        """One summary of ``alerts`` (raises when it is not posted: all stay pending), then each
        campaign's detail in its own card/thread (best effort: the summary names them all)."""
        ...


class AlertOutbox:
    def __init__(self, *, store: CampaignRepository, accounts: AccountRegistry) -> None:
        self._store = store
        self._accounts = accounts
        self._holder = new_holder_id()  # what this outbox's claims name

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

    def release_abandoned(self) -> int:
        """Alerts another process was sending when it died (kill -9, a lost replica) go back to
        pending, so the replica still running sends them; before, they stayed ``sending`` until
        some process started again. The notifier is told to look for an earlier post."""
        released = 0
        for alert in self._store.sending_alerts():
            holder = alert.claimed_by
            if holder is None or alert.claimed_at is None or names_this_process(holder):
                continue  # an older claim without a holder, or a send of this process
            claim = _Claim(alert.id, holder, alert.claimed_at)
            if lease_cutoff(claim, ALERT_CLAIM_TIMING) is None:
                continue  # its sender may still be at it
            if self._store.release_alert(
                alert.id, holder=holder, error="interrupted while sending: its sender stopped"
            ):
                log.warning("alert %s: its sender %s stopped; sending it again", alert.id, holder)
                released += 1
        return released

    def flush(self, notifier: Notifier) -> tuple[int, int]:
        """Send what is pending, oldest first; returns (sent, failed).

        Safe on several replicas at once (each alert is claimed before sending, and a dead
        sender's claims are released first). Nothing is ever dropped: a failed send stays
        pending with its attempt counted and the error kept.
        """
        self.release_abandoned()
        sent = failed = streak = 0
        pending = sorted(
            self._store.pending_alerts(limit=BATCH),
            key=lambda alert: (alert.attempts >= MAX_ATTEMPTS, alert.id),
        )
        burst = [a for a in pending if a.kind in BURST_KINDS and a.campaign_id is not None]
        if burst and len(burst) < BURST_MIN and self._burst_under_way(burst):
            held = {a.id for a in burst}  # the next flush (the activation run's own) sends them
            pending = [a for a in pending if a.id not in held]
            burst = []
        if len(burst) >= BURST_MIN:
            announced, count = self._send_burst(burst, notifier)
            sent, failed = (sent + count, failed) if announced else (sent, failed + count)
            streak = 0 if announced else streak + 1
            in_burst = {a.id for a in burst}
            pending = [a for a in pending if a.id not in in_burst]
        for alert in pending:
            if streak >= STOP_AFTER_FAILURES:
                break
            delivered = self._send(alert, notifier)
            if delivered is None:
                continue
            sent, failed = sent + delivered, failed + (not delivered)
            streak = 0 if delivered else streak + 1
        return sent, failed

    def _burst_under_way(self, alerts: list[AlertRecord]) -> bool:
        """Are other campaigns being switched on (or due) while these alerts are fresh?"""
        now = datetime.now(UTC)
        oldest = min(a.created_at for a in alerts)  # aware UTC from storage
        if (now - oldest).total_seconds() >= BURST_HOLD_SECONDS:
            return False
        return bool(
            self._store.list_campaigns(statuses=[Status.ACTIVATING], limit=1)
            or self._store.list_due(now=now)
        )

    def _send_burst(self, alerts: list[AlertRecord], notifier: Notifier) -> tuple[bool, int]:
        """Claim the burst's alerts and send them as one summary; (delivered, how many)."""
        # One transaction to claim them, one read for their campaigns, one to finish them: a
        # 500-campaign start took 1,500 round trips to SQLite here, one per alert and step,
        # before its summary could go out (bench/activation_burst.py).
        claimed = set(self._store.claim_alerts([alert.id for alert in alerts], holder=self._holder))
        mine = [alert for alert in alerts if alert.id in claimed]
        if not mine:
            return True, 0
        rows = self._store.get_many(a.campaign_id for a in mine if a.campaign_id is not None)
        items: list[BurstAlert] = []
        gone = {a.id for a in mine if a.campaign_id not in rows}  # nothing to announce
        try:
            self._store.finish_alerts(gone)
            for alert in mine:
                row = rows.get(alert.campaign_id) if alert.campaign_id is not None else None
                if row is None:
                    continue
                items.append(
                    BurstAlert(
                        kind=alert.kind,
                        summary=summarize(row, self._accounts),
                        detail=alert.payload.get("detail"),
                        key=alert.dedupe_key,
                    )
                )
            earlier = [a.created_at for a in mine if a.attempts]  # tried before this flush
            notifier.send_burst(
                items,
                key=f"burst:{mine[0].id}-{mine[-1].id}:{len(mine)}",
                sent_before=min(earlier) if earlier else None,
            )
        except Exception as exc:  # the summary did not go out: every alert stays pending
            log.warning("burst of %d alerts not delivered yet: %s", len(mine), type(exc).__name__)
            self._store.finish_alerts(
                [a.id for a in mine if a.id not in gone], error=f"{type(exc).__name__}: {exc}"[:500]
            )
            return False, len(mine)
        self._store.finish_alerts([a.id for a in mine if a.id not in gone])
        log.info("announced a burst of %d alerts in one message", len(items))
        return True, len(mine)

    def deliver_pending(self, notifier: Notifier, *, campaign_id: int) -> int:
        """Send one campaign's pending alerts now, oldest first (each claimed, as in ``flush``);
        returns how many went out. What fails stays pending for ``flush``."""
        sent = 0
        for alert in self._store.pending_alerts(limit=BATCH):
            if alert.campaign_id == campaign_id and alert.attempts < MAX_ATTEMPTS:
                sent += bool(self._send(alert, notifier))
        return sent

    def deliver_now(self, key: str, notifier: Notifier) -> bool:
        """Try one queued alert at once (the end of a creation); False leaves it to ``flush``."""
        alert = self._store.pending_alert(key)
        return alert is not None and bool(self._send(alert, notifier))

    def _send(self, alert: AlertRecord, notifier: Notifier) -> bool | None:
        """True: sent; False: failed and kept pending; None: another process has it."""
        if not self._store.claim_alert(alert.id, holder=self._holder):
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
