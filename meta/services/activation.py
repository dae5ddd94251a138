"""Activation: switch a due campaign's ad, ad set and campaign ACTIVE in Meta, exactly once.

Exactly once, across replicas and double-fired jobs: the row is claimed with a compare-and-set
(SCHEDULED -> ACTIVATING) before Meta is called, and only the winner goes on. The calls themselves
are idempotent: Meta's state is read first and an object already ACTIVE is not written again.

A claim is a lease (``meta.services.leases``): it names its holder, a heartbeat keeps it fresh while the
activation runs, and the holder checks it still holds the claim before each write. When the
holder dies (kill -9 between the ad and the ad set, say), the claim is taken over within seconds
(``take_over``): by the restarted bot, or by any replica, as soon as the holder's process is gone
(or its heartbeat has stopped, for a holder on another host). The take-over reads the three
objects from Meta, switches only those not ACTIVE yet, and announces "is live" once: the row's
move to ACTIVE and its alert are committed together, under one dedupe key.

Errors follow the pipeline's rules. The Graph client already retries transient errors and short
throttles in-process; what is still temporary after that (a long throttle, an outage) puts the
row back to SCHEDULED for later, at most ``MAX_POSTPONEMENTS`` times; so does what Meta's error guide
says to wait out (341, 368). A permanent error (expired
token, missing permission) re-pauses the campaign, marks the row ACTIVATION_FAILED and queues one
alert saying what failed, Meta's message and the fix.

Lateness is measured from ``activate_at``: the start time, or the approval time when the start
had already passed at approval (that is "at once", not late).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from meta.domain.accounts import AccountRegistry
from meta.domain.errors import AdBeeError, MetaApiError, MetaTransportError
from meta.domain.ports import CampaignRepository, GraphApi, NewAlert
from meta.domain.records import MAIN, CampaignRecord, ObjectKind
from meta.domain.states import Status
from meta.domain.times import format_local, to_meta
from meta.services.creation_lease import stale_before
from meta.services.leases import Heartbeat, LeaseTiming, lease_cutoff, new_holder_id
from meta.services.status_sync import merge_state, read_state
from meta.telemetry import metrics

log = logging.getLogger(__name__)

LATE_AFTER = timedelta(minutes=2)
# An activation claim's heartbeat, and when a claim counts as abandoned (``meta.services.leases``): its
# holder's process is gone and the row has been idle 5 s (longer than a Graph write it had on
# the wire takes to land), or, for a holder elsewhere, ten heartbeats were missed. Measured on
# the wall clock, like ``updated_at``.
CLAIM_TIMING = LeaseTiming(
    heartbeat_seconds=2.0, stale_after=timedelta(seconds=20), dead_grace=timedelta(seconds=5)
)
MAX_POSTPONEMENTS = 10
DEFAULT_RETRY_SECONDS = 60.0
# The order matters: the campaign switch is the one that starts delivery, so it goes last.
_OBJECTS = (
    ("ad", "ad_id", "ad"),
    ("adset", "adset_id", "ad set"),
    ("campaign", "meta_campaign_id", "campaign"),
)
_DECISIONS = frozenset({"approve", "reschedule", "activate"})

ScheduleHook = Callable[[int, datetime | None], None]


class Activator:
    def __init__(
        self,
        *,
        store: CampaignRepository,
        graph: GraphApi | None,
        accounts: AccountRegistry,
        clock: Callable[[], datetime],
        worker_id: str,
        on_schedule: ScheduleHook,
    ) -> None:
        self._store = store
        self._graph = graph
        self._accounts = accounts
        self._clock = clock
        self._worker_id = worker_id
        self._on_schedule = on_schedule
        # What ``claimed_by`` names: this Activator, in this process (``worker_id`` is who the
        # audit trail says acted, and may be any label).
        self.holder = new_holder_id()
        self._heartbeat = Heartbeat(
            self.holder,
            lambda ids: store.touch_held(ids, holder=self.holder),
            interval=CLAIM_TIMING.heartbeat_seconds,
            name="adbee-claims",
        )

    def activate(self, campaign_id: int, *, now: datetime | None = None) -> bool:
        """Activate one due campaign if this process wins the claim; True when it went live."""
        now = utc(now or self._clock())
        row = self._store.get(campaign_id)
        if row is None or row.status != Status.SCHEDULED or row.activate_at is None:
            return False
        if row.activate_at > now:
            return False
        with self._heartbeat.hold(row.id):
            if not self._store.transition(
                row.id,
                from_statuses=[Status.SCHEDULED],
                to_status=Status.ACTIVATING,
                claimed_by=self.holder,
                # An edit holding the row finishes first; the scan activates it after.
                unleased_before=stale_before(),
            ):
                return False  # another replica (or a double-fired job) has it, or an edit
            return self._switch_on(row, now)

    def abandoned(self, now: datetime | None = None) -> list[int]:
        """Ids of ACTIVATING rows whose holder is dead: what ``take_over`` would finish.

        ``now`` defaults to the wall clock, because ``updated_at`` is written by the database
        layer on the wall clock (an injected test clock must not steal a live claim).
        """
        now = utc(now or datetime.now(UTC))
        return [
            row.id
            for row in self._store.list_campaigns(statuses=[Status.ACTIVATING], limit=None)
            if lease_cutoff(row, CLAIM_TIMING, now=now) is not None
        ]

    def take_over(self, campaign_id: int, *, now: datetime | None = None) -> bool:
        """Finish an activation whose holder died, from what Meta shows; True when it went live.

        ``now`` (the injected clock) is what lateness is measured with; whether the holder is
        dead is judged on the wall clock.
        """
        row = self._store.get(campaign_id)
        if row is None or row.status != Status.ACTIVATING:
            return False
        cutoff = lease_cutoff(row, CLAIM_TIMING)
        if cutoff is None:
            return False  # its holder is alive
        with self._heartbeat.hold(row.id):
            if not self._store.take_over_claim(
                row.id,
                status=Status.ACTIVATING,
                expected_owner=row.claimed_by,
                idle_before=cutoff,
                new_owner=self.holder,
            ):
                return False  # another taker won, or the holder's heartbeat came in first
            log.warning(
                "taking over the activation of #%s from %s, which stopped", row.id, row.claimed_by
            )
            self._store.audit(
                actor=self._worker_id,
                action="activation_taken_over",
                outcome="ok",
                campaign_id=row.id,
                detail=f"claim held by {row.claimed_by or 'nobody'}",
            )
            return self._switch_on(row, utc(now or self._clock()))

    def _switch_on(self, row: CampaignRecord, now: datetime) -> bool:
        """With the claim held: switch on what Meta does not show ACTIVE yet (ad, ad set, campaign)."""
        step, touched = "reading the campaign from Meta", False
        try:
            graph = self._require_graph()
            before = read_state(graph, row)
            early = now < row.start_time
            for level, column, label in _OBJECTS:
                object_id = getattr(row, column)
                if not object_id:
                    continue
                params: dict[str, Any] = {}
                if before["configured"].get(level) != "ACTIVE":
                    params["status"] = "ACTIVE"
                if level == "adset" and early:
                    # Activated before its planned start ("Activate now", an earlier
                    # reschedule): the ad set's own start_time would still hold delivery back.
                    params["start_time"] = to_meta(now, self._tz(row))
                if params:
                    self._require_claim(row)
                    step, touched = f"setting the {label} ACTIVE", touched or level == "campaign"
                    graph.post(str(object_id), params, idempotent=True)
                if level == "ad":
                    # A campaign of several videos has one ad per video; the status read names
                    # the first, so the others are switched on each time (idempotent writes).
                    for other in _other_ads(row):
                        self._require_claim(row)
                        step = f"setting ad {other} ACTIVE"
                        graph.post(other, {"status": "ACTIVE"}, idempotent=True)
            step = "reading the campaign back from Meta"
            after = read_state(graph, row)
            shown = after["configured"].get("campaign")
            if shown != "ACTIVE":
                raise AdBeeError(f"Meta shows the campaign as {shown or 'unknown'}, not ACTIVE")
        except _ClaimLostError:
            log.warning("activation of #%s was taken over by another worker; stopping", row.id)
            return False
        except Exception as exc:  # one campaign's failure is recorded on its row, never lost
            self._failed(row, exc, now, step=step, touched=touched)
            return False
        return self._went_live(row, after, now)

    def _require_claim(self, row: CampaignRecord) -> None:
        """Before each write: still ours? Taken over after a long database outage, it is not."""
        if not self._store.touch_held([row.id], holder=self.holder):
            raise _ClaimLostError

    # ------------------------------------------------------------------ outcomes
    def _went_live(self, row: CampaignRecord, after: dict[str, Any], now: datetime) -> bool:
        due = row.activate_at or now
        late = now - due
        detail = _state_text(after)
        kind = "live"
        if late > LATE_AFTER:
            kind = "live_late"
            detail = (
                f"late by {duration_text(late)} (it was due {format_local(due, self._tz(row))}; "
                f"AdBee was not running or could not reach Meta then). {detail}"
            )
        postponed = self._postponements(row.id)
        if postponed:
            detail += f" Meta's errors postponed it {postponed} time{'s' if postponed > 1 else ''}."
        if not self._store.transition(
            row.id,
            from_statuses=[Status.ACTIVATING],
            to_status=Status.ACTIVE,
            held_by=self.holder,
            alert=NewAlert(
                kind=kind,
                dedupe_key=f"{row.id}:live",
                payload={"detail": detail},
                campaign_id=row.id,
            ),
            claimed_by=None,
            activated_at=now,
            error=None,
            last_sync=merge_state(row.last_sync, after),
        ):
            return False  # the claim was taken over meanwhile; that run reports
        metrics.ACTIVATION_LAG.observe(max(late.total_seconds(), 0.0))  # once, by the winner
        self._store.audit(
            actor=self._worker_id, action="activated", outcome="ok", campaign_id=row.id
        )
        return True

    def _failed(
        self, row: CampaignRecord, exc: Exception, now: datetime, *, step: str, touched: bool
    ) -> None:
        message = _error_text(exc)
        if _retryable(exc) and self._postponements(row.id) < MAX_POSTPONEMENTS:
            wait = getattr(exc, "retry_after_seconds", None) or DEFAULT_RETRY_SECONDS
            when = now + timedelta(seconds=wait)
            if self._store.transition(
                row.id,
                from_statuses=[Status.ACTIVATING],
                to_status=Status.SCHEDULED,
                held_by=self.holder,
                claimed_by=None,
                activate_at=when,
                error=f"Activation postponed while {step}: {message}",
            ):
                self._store.audit(
                    actor=self._worker_id,
                    action="activation_postponed",
                    outcome="retry",
                    campaign_id=row.id,
                    detail=f"{step}: {message}; next try {when.isoformat()}",
                )
                log.warning("activation of #%s postponed %.0fs: %s", row.id, wait, message)
                self._schedule(row.id, when)
            return
        if not isinstance(exc, AdBeeError):
            log.error("activation of #%s failed unexpectedly", row.id, exc_info=exc)
        if touched:  # leave nothing half-live: the campaign switch is the one that delivers
            try:
                self._require_graph().post(
                    str(row.meta_campaign_id), {"status": "PAUSED"}, idempotent=True
                )
            except AdBeeError:
                log.warning("could not re-pause campaign %s", row.meta_campaign_id)
        detail = f"Activation stopped while {step}: {message}. {_fix(exc, row.id)}"
        if not self._store.transition(
            row.id,
            from_statuses=[Status.ACTIVATING],
            to_status=Status.ACTIVATION_FAILED,
            held_by=self.holder,
            claimed_by=None,
            error=detail,
        ):
            return
        self._store.enqueue_alert(
            kind="activation_failed",
            dedupe_key=f"{row.id}:activation_failed:{now.isoformat()}",
            payload={"detail": detail},
            campaign_id=row.id,
        )
        self._store.audit(
            actor=self._worker_id,
            action="activated",
            outcome="failed",
            campaign_id=row.id,
            detail=detail,
        )

    # ------------------------------------------------------------------ helpers
    def _postponements(self, campaign_id: int) -> int:
        """Postponements since the last decision (approve, reschedule, activate now)."""
        count = 0
        for event in self._store.audit_events(campaign_id=campaign_id):
            if event.action in _DECISIONS and event.outcome == "ok":
                count = 0
            elif event.action == "activation_postponed":
                count += 1
        return count

    def _schedule(self, campaign_id: int, when: datetime | None) -> None:
        try:
            self._on_schedule(campaign_id, when)
        except Exception:  # the scan job still finds the row: the row is the truth
            log.exception("could not (un)schedule the activation job of #%s", campaign_id)

    def _require_graph(self) -> GraphApi:
        if self._graph is None:
            raise AdBeeError("no Meta connection configured")
        return self._graph

    def _tz(self, row: CampaignRecord) -> str:
        account = self._accounts.get(row.account_key)
        return account.timezone if account else "UTC"


class _ClaimLostError(Exception):
    """Another worker took this activation over; it reports, this run stops quietly."""


def utc(value: datetime) -> datetime:
    """A caller's clock reading as aware UTC (a naive one is taken as UTC).

    Only for clocks and arguments: what storage returns is aware UTC already
    (``storage.types.UTCDateTime``).
    """
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def duration_text(delta: timedelta) -> str:
    """'45 minutes', '1 hour 30 minutes', '2 days 3 hours': two units at most."""
    seconds = max(0, int(delta.total_seconds()))
    parts = []
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}{'' if count == 1 else 's'}")
    return " ".join(parts[:2]) or "0 seconds"


def _other_ads(row: CampaignRecord) -> list[str]:
    """The Meta ids of the campaign's ads after the first (``AdPlan.key`` other than main)."""
    return [
        str(ad.meta_id) for ad in row.objects_of(ObjectKind.AD) if ad.meta_id and ad.key != MAIN
    ]


def _state_text(state: dict[str, Any]) -> str:
    text = ", ".join(
        f"{label} {state.get(level) or 'unknown'}" for level, _column, label in reversed(_OBJECTS)
    )
    text = text[0].upper() + text[1:]
    if state.get("ad") == "PENDING_REVIEW":
        return f"{text}: Meta is reviewing the ad; delivery starts once it is approved."
    if state.get("ad") == "DISAPPROVED":
        review = (state.get("review") or "no reason given").replace("\n", "; ")
        return f"{text}: Meta disapproved the ad ({review})."
    return text + "."


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, MetaApiError):
        return exc.is_retryable  # 341/368 included: Meta says "wait and retry"
    return isinstance(exc, MetaTransportError) or not isinstance(exc, AdBeeError)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, MetaApiError):
        return exc.user_text()
    if isinstance(exc, AdBeeError):
        return exc.message
    return f"unexpected error ({type(exc).__name__}); see the bot's log"


def _fix(exc: Exception, campaign_id: int) -> str:
    again = f"then run `/campaign activate {campaign_id}` or reschedule it"
    if isinstance(exc, MetaApiError):
        if exc.is_auth:
            return (
                "The Meta access token is invalid or expired: generate a new system-user token "
                "(Business Settings > System users, with ads_management and ads_read), put it in "
                f"META_ACCESS_TOKEN and restart AdBee, {again}."
            )
        if exc.code in (10, 200) or (exc.code is not None and 200 <= exc.code < 300):
            return exc.fix_hint().removesuffix(".") + f", {again}."
        if exc.is_retryable:
            return f"Meta kept failing after {MAX_POSTPONEMENTS} tries; wait until it recovers, {again}."
        return f"Fix what Meta names above in Ads Manager, {again}."
    return f"Check the campaign in Ads Manager, {again}."
