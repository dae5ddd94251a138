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

Armed ahead (issue 18): a campaign is switched ACTIVE ``ARM_AHEAD_MINUTES`` before its start (at
approval when the start is nearer), with its ad set's ``start_time`` set to the start: Meta holds
delivery back until then by itself ("Once the ad has been submitted, it will go through ad
review, but won't begin delivering until your start date", Meta Business Help Centre, "About ads
in review"; docs/scheduling.md). The row waits ARMED; at the start AdBee reads Meta's state and
announces it live (or failed, when Meta shows it not active). So the start minute costs reads
only, and the writes of a burst are spread ahead of it. Many campaigns due together are claimed
in one transaction and switched through Graph batch requests (``meta.graph.batch``): one
campaign's refusal fails that campaign only. A cancel or reschedule of an armed campaign pauses
it in Meta again (``disarm``), a step persisted first on the row (``DISARM_KEY``), so a crash in
between is finished by the scan.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from meta.domain.accounts import AccountRegistry
from meta.domain.errors import AdBeeError, MetaApiError, MetaTransportError
from meta.domain.ports import (
    KEEP,
    CampaignRepository,
    GraphApi,
    NewAlert,
    NewAudit,
    Transition,
)
from meta.domain.records import CampaignRecord
from meta.domain.states import Status
from meta.domain.times import format_local, to_meta
from meta.graph.batch import NotSentError, Operation, Result, run_batch
from meta.graph.retry import RetryPolicy
from meta.services.alerts import START_DELAYED
from meta.services.creation_lease import stale_before
from meta.services.leases import Heartbeat, LeaseTiming, lease_cutoff, new_holder_id
from meta.services.status_sync import STATE_PARAMS, merge_state, state_from_body
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
# Rounds of "read Meta, write what it does not show ACTIVE" after switches whose answers were
# lost, before the activation is postponed (a transport error) like any other.
UNKNOWN_OUTCOME_REREADS = 3
DEFAULT_RETRY_SECONDS = 60.0
# The order matters: the campaign switch is the one that starts delivery, so it goes last.
_OBJECTS = (
    ("ad", "ad_id", "ad"),
    ("adset", "adset_id", "ad set"),
    ("campaign", "meta_campaign_id", "campaign"),
)
_DECISIONS = frozenset({"approve", "reschedule", "activate"})
DEFAULT_ARM_AHEAD = timedelta(minutes=30)  # ARM_AHEAD_MINUTES
# Campaigns claimed and switched together: 50 campaigns are ~150 writes, three batch requests.
BURST_CHUNK = 50
# ``last_sync`` key of a pause in Meta still owed after a cancel or reschedule of an armed
# campaign (underscore keys survive ``merge_state``).
DISARM_KEY = "_disarm"
POSTPONED = "Activation postponed"  # how a postponement's error begins

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
        arm_ahead: timedelta = DEFAULT_ARM_AHEAD,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._store = store
        self._graph = graph
        self._accounts = accounts
        self._clock = clock
        self._worker_id = worker_id
        self._on_schedule = on_schedule
        self.arm_ahead = arm_ahead
        self._retry = retry
        # What ``claimed_by`` names: this Activator, in this process (``worker_id`` is who the
        # audit trail says acted, and may be any label).
        self.holder = new_holder_id()
        self._heartbeat = Heartbeat(
            self.holder,
            lambda ids: store.touch_held(ids, holder=self.holder),
            interval=CLAIM_TIMING.heartbeat_seconds,
            name="adbee-claims",
        )

    def fire_time(self, activate_at: datetime, row: CampaignRecord | None = None) -> datetime:
        """When AdBee acts on a SCHEDULED campaign due at ``activate_at``: arming it ahead.

        A postponed activation (Meta asked to wait) is tried again at its ``activate_at``, the
        end of the wait, not ahead of it: calling during a throttle extends the block.
        """
        if row is not None and _postponed(row):
            return activate_at
        return activate_at - self.arm_ahead

    def activate(self, campaign_id: int, *, now: datetime | None = None) -> bool:
        """Arm (or activate) one due campaign, or check an armed one at its start.

        True when this process moved it on (armed, or live)."""
        now = utc(now or self._clock())
        row = self._store.get(campaign_id)
        if row is None or row.activate_at is None:
            return False
        if row.status == Status.ARMED:
            return row.activate_at <= now and self.verify([row], now) == 1
        if row.status != Status.SCHEDULED or self.fire_time(row.activate_at, row) > now:
            return False
        return self.activate_many([row.id], now=now) == 1

    def run_due(self, now: datetime | None = None) -> int:
        """Everything due now: arm what starts within ``arm_ahead``, check what started.

        In chunks of ``BURST_CHUNK`` campaigns, each claimed in one transaction and switched
        through batch requests; how many campaigns moved on."""
        now = utc(now or self._clock())
        done = 0
        # The check at the start is reads only: all at once (batch reads in parallel), so the
        # burst's "is live" alerts go out together, in one summary.
        done += self.verify(self._store.list_due(now=now, status=Status.ARMED), now)
        due = self.due(now)
        for start in range(0, len(due), BURST_CHUNK):
            done += self.activate_many(due[start : start + BURST_CHUNK], now=now)
        self.disarm_pending()
        return done

    def due(self, now: datetime) -> list[int]:
        """Ids of SCHEDULED campaigns whose arming (or activation) time has come."""
        return [
            row.id
            for row in self._store.list_due(now=now + self.arm_ahead)
            if row.activate_at is not None and self.fire_time(row.activate_at, row) <= now
        ]

    def activate_many(self, campaign_ids: Sequence[int], *, now: datetime) -> int:
        """Claim the given SCHEDULED rows (one transaction) and switch on those this process won."""
        ids = list(campaign_ids)
        with self._holding(ids):
            won = self._store.claim_many(
                ids,
                from_status=Status.SCHEDULED,
                to_status=Status.ACTIVATING,
                holder=self.holder,
                # An edit holding a row finishes first; the scan activates it after.
                unleased_before=stale_before(),
            )
            found = self._store.get_many(won)  # one read for the chunk, not one per row
            rows = [found[cid] for cid in won if cid in found]
            return sum(self._switch_on_many(rows, now))

    @contextlib.contextmanager
    def _holding(self, ids: Sequence[int]) -> Iterator[None]:
        with contextlib.ExitStack() as stack:
            for cid in ids:
                stack.enter_context(self._heartbeat.hold(cid))
            yield

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
            return self._switch_on_many([row], utc(now or self._clock()))[0]

    def _switch_on_many(self, rows: list[CampaignRecord], now: datetime) -> list[bool]:
        """With the claims held: switch on what Meta does not show ACTIVE yet, in batches.

        Per campaign: one read, a chain of writes (ad(s), ad set, campaign: the campaign last,
        each after the one before succeeded) and a read back; one campaign's failure is
        recorded on its row and stops only that campaign.
        """
        outcome = dict.fromkeys((row.id for row in rows), False)
        if not rows:
            return []
        try:
            graph = self._require_graph()
        except AdBeeError as exc:
            for row in rows:
                self._failed(row, exc, now, step="reading the campaign from Meta", touched=False)
            return [False] * len(rows)
        before = self._read_states(graph, rows)
        plans: list[tuple[CampaignRecord, list[tuple[Operation, str, bool]]]] = []
        for row, state in zip(rows, before, strict=True):
            if isinstance(state, Exception):
                self._failed(row, state, now, step="reading the campaign from Meta", touched=False)
                continue
            plans.append((row, self._writes(row, state, now)))
        written, unsure = self._write(graph, plans, now)
        # A switch whose answer was lost (Meta may or may not have applied it) is never sent
        # blind again: Meta's state is read, and only what it does not show ACTIVE is written.
        for _round in range(UNKNOWN_OUTCOME_REREADS):
            if not unsure:
                break
            rows_again = [row for row, _failure in unsure]
            plans = []
            for row, state in zip(rows_again, self._read_states(graph, rows_again), strict=True):
                if isinstance(state, Exception):
                    self._failed(
                        row, state, now, step="reading the campaign from Meta", touched=True
                    )
                    continue
                plans.append((row, self._writes(row, state, now, again=True)))
            more, unsure = self._write(graph, plans, now)
            written += more
        for row, (label, error, touched) in unsure:
            self._failed(row, error, now, step=label, touched=touched)
        after = self._read_states(graph, written)
        for row, state in zip(written, after, strict=True):
            if isinstance(state, Exception):
                self._failed(
                    row, state, now, step="reading the campaign back from Meta", touched=True
                )
                continue
            shown = state["configured"].get("campaign")
            if shown != "ACTIVE":
                error = AdBeeError(f"Meta shows the campaign as {shown or 'unknown'}, not ACTIVE")
                self._failed(row, error, now, step="reading the campaign back", touched=True)
                continue
            assert row.activate_at is not None
            if now < row.activate_at:
                outcome[row.id] = self._armed(row, state, now)
            else:
                outcome[row.id] = self._went_live(row, state, now)
        return [outcome[row.id] for row in rows]

    def _write(
        self,
        graph: GraphApi,
        plans: list[tuple[CampaignRecord, list[tuple[Operation, str, bool]]]],
        now: datetime,
    ) -> tuple[list[CampaignRecord], list[tuple[CampaignRecord, tuple[str, Exception, bool]]]]:
        """Run the plans whose claims are still ours: the campaigns written, and those whose
        outcome is unknown (a lost answer: step label, error, campaign touched); a refusal is
        recorded on its row at once."""
        held = self._still_held([row for row, _ in plans])
        plans = [(row, ops) for row, ops in plans if row.id in held]
        operations = [op for _row, ops in plans for op, _label, _touch in ops]
        results = iter(run_batch(graph, operations, policy=self._retry) if operations else [])
        written: list[CampaignRecord] = []
        unsure: list[tuple[CampaignRecord, tuple[str, Exception, bool]]] = []
        for row, ops in plans:
            answers = [next(results) for _ in ops]
            failure = next(
                (
                    (label, a)
                    for (_op, label, _t), a in zip(ops, answers, strict=True)
                    if not isinstance(a, dict)
                ),
                None,
            )
            if failure is None:
                written.append(row)
                continue
            label, error = failure
            touched = any(
                t and not isinstance(a, NotSentError)
                for (_op, _l, t), a in zip(ops, answers, strict=True)
            )
            if isinstance(error, MetaTransportError):
                unsure.append((row, (label, error, touched)))
            else:
                self._failed(row, _as_exception(error), now, step=label, touched=touched)
        return written, unsure

    def _writes(
        self, row: CampaignRecord, before: dict[str, Any], now: datetime, *, again: bool = False
    ) -> list[tuple[Operation, str, bool]]:
        """The chain of switches a campaign still needs: (operation, step label, delivers?).

        ``again``: after a lost answer, an ad set Meta shows ACTIVE gets its start time only (the
        lost write carried both; the status is not written a second time)."""
        chain: list[tuple[Operation, str, bool]] = []
        assert row.activate_at is not None
        previous: str | None = None
        for level, column, label in _OBJECTS:
            object_id = getattr(row, column)
            if not object_id:
                continue
            params: dict[str, Any] = {}
            if before["configured"].get(level) != "ACTIVE":
                params["status"] = "ACTIVE"
            if level == "adset" and now < row.activate_at:
                # Armed ahead: the ad set's own start time holds delivery back until the start
                # (moved there if the start was rescheduled since creation).
                params["start_time"] = to_meta(row.activate_at, self._tz(row))
                if not again:
                    params["status"] = "ACTIVE"
            elif level == "adset" and now < row.start_time:
                # Activated before its planned start ("Activate now", an earlier
                # reschedule): the ad set's own start_time would still hold delivery back.
                params["start_time"] = to_meta(now, self._tz(row))
            targets = [(str(object_id), params, f"setting the {label} ACTIVE")]
            if level == "ad":
                # A campaign of several videos has one ad per video; the status read names
                # the first, so the others are switched on each time (idempotent writes).
                targets += [
                    (other, {"status": "ACTIVE"}, f"setting ad {other} ACTIVE")
                    for other in _other_ads(row)
                ]
            for target, change, step in targets:
                if not change:
                    continue
                name = f"c{row.id}-{len(chain)}"
                # Not resent blind when its answer is lost (``idempotent=False``): Meta's state is
                # read first (``_switch_on_many``), so an applied switch is not written twice.
                op = Operation.post(
                    target, change, name=name, depends_on=previous, idempotent=False
                )
                chain.append((op, step, level == "campaign"))
                previous = name
        return chain

    def _read_states(self, graph: GraphApi, rows: list[CampaignRecord]) -> list[Any]:
        """Meta's state of each campaign (``read_state``'s shape), or the error reading it."""
        if not rows:
            return []
        reads = [Operation.get(str(row.meta_campaign_id), STATE_PARAMS) for row in rows]
        answers = run_batch(graph, reads, policy=self._retry)
        return [
            state_from_body(answer, row) if isinstance(answer, dict) else answer
            for row, answer in zip(rows, answers, strict=True)
        ]

    def _still_held(self, rows: list[CampaignRecord]) -> set[int]:
        """Before the writes: the claims still ours (one heartbeat for the whole chunk)."""
        ids = [row.id for row in rows]
        if not ids or self._store.touch_held(ids, holder=self.holder) == len(ids):
            return set(ids)
        held = {cid for cid in ids if self._store.touch_held([cid], holder=self.holder)}
        for cid in set(ids) - held:
            log.warning("activation of #%s was taken over by another worker; stopping", cid)
        return held

    # ------------------------------------------------------------------ armed campaigns
    def verify(self, rows: list[CampaignRecord], now: datetime) -> int:
        """At their start: read the armed campaigns from Meta and announce each one live.

        Meta started delivery at the ad set's start_time by itself; this confirms it (Meta shows
        campaign, ad set and ad ACTIVE) and tells the channel. A campaign Meta shows not active
        (paused in Ads Manager meanwhile) is reported as failed. A read that fails is tried
        again by the next scan."""
        try:
            graph = self._require_graph()
        except AdBeeError:
            return 0
        moves: list[tuple[Transition, float | None]] = []  # (the move, lateness when live)
        for row, state in zip(rows, self._read_states(graph, rows), strict=True):
            if isinstance(state, Exception):
                log.warning("could not check armed campaign #%s at its start: %s", row.id, state)
                continue
            off = [
                label
                for level, _column, label in _OBJECTS
                if state["configured"].get(level) != "ACTIVE"
            ]
            if not off:
                moves.append(self._live_move(row, state, now, armed=True))
                continue
            detail = (
                f"At its start Meta shows the {', '.join(off)} not active "
                f"({_state_text(state)}), so it is not delivering. {_fix(None, row.id)}"
            )
            failed = Transition(
                row.id,
                (Status.ARMED,),
                Status.ACTIVATION_FAILED,
                error=detail,
                last_sync=merge_state(row.last_sync, state),
                alert=NewAlert(
                    kind="activation_failed",
                    dedupe_key=f"{row.id}:activation_failed:{now.isoformat()}",
                    payload={"detail": detail},
                    campaign_id=row.id,
                ),
                audit=NewAudit(self._worker_id, "activated", "failed", detail),
            )
            moves.append((failed, None))
        # One transaction per chunk, not per campaign: at a 500-campaign start the row moves
        # were 500 commits in a row on the SQLite file the scheduler's job table shares, and
        # the burst summary waited for all of them (bench/activation_burst.py).
        done = 0
        for first in range(0, len(moves), BURST_CHUNK):
            chunk = moves[first : first + BURST_CHUNK]
            moved = self._store.transition_many(move for move, _late in chunk)
            for (_move, late), ok in zip(chunk, moved, strict=True):
                if ok and late is not None:
                    metrics.ACTIVATION_LAG.observe(late)  # once, by the winner
            done += sum(moved)
        return done

    def disarm(self, campaign_id: int) -> str | None:
        """Pause in Meta a campaign that was armed and is no longer to start (cancelled,
        rescheduled): the pause ``DISARM_KEY`` says is owed. None when done, else Meta's words.
        """
        row = self._store.get(campaign_id)
        if row is None or not (row.last_sync or {}).get(DISARM_KEY):
            return None
        if row.status in (Status.ACTIVATING, Status.ARMED, Status.ACTIVE):
            return None  # armed again since: that run's writes are the truth now
        try:
            self._require_graph().post(
                str(row.meta_campaign_id), {"status": "PAUSED"}, idempotent=True
            )
        except AdBeeError as exc:
            log.warning("could not pause armed campaign #%s in Meta: %s", row.id, exc)
            return _error_text(exc)
        sync = {k: v for k, v in (row.last_sync or {}).items() if k != DISARM_KEY}
        self._store.set_last_sync(row.id, sync)
        self._store.audit(
            actor=self._worker_id, action="disarmed", outcome="ok", campaign_id=row.id
        )
        return None

    def disarm_pending(self) -> None:
        """Finish every pause a cancel or reschedule of an armed campaign still owes Meta."""
        owed = self._store.list_campaigns(
            statuses=[Status.CANCELLED, Status.SCHEDULED, Status.CREATED], limit=None
        )
        for row in owed:
            if (row.last_sync or {}).get(DISARM_KEY):
                self.disarm(row.id)

    # ------------------------------------------------------------------ outcomes
    def _armed(self, row: CampaignRecord, after: dict[str, Any], now: datetime) -> bool:
        """ACTIVE in Meta ahead of its start: wait ARMED; the date job checks it at the start."""
        assert row.activate_at is not None
        if not self._store.transition(
            row.id,
            from_statuses=[Status.ACTIVATING],
            to_status=Status.ARMED,
            held_by=self.holder,
            claimed_by=None,
            error=None,
            last_sync={
                k: v for k, v in merge_state(row.last_sync, after).items() if k != DISARM_KEY
            },
            audit=NewAudit(self._worker_id, "armed", "ok", f"starts {row.activate_at.isoformat()}"),
        ):
            return False
        self._schedule(row.id, row.activate_at)
        return True

    def _went_live(
        self, row: CampaignRecord, after: dict[str, Any], now: datetime, *, armed: bool = False
    ) -> bool:
        move, late = self._live_move(row, after, now, armed=armed)
        if not self._store.transition_many([move])[0]:
            return False  # the claim was taken over meanwhile; that run reports
        metrics.ACTIVATION_LAG.observe(late)  # once, by the winner
        return True

    def _live_move(
        self, row: CampaignRecord, after: dict[str, Any], now: datetime, *, armed: bool
    ) -> tuple[Transition, float]:
        """The move to ACTIVE with its "is live" alert, and how late it is (seconds)."""
        due = row.activate_at or now
        late = now - due
        detail = _state_text(after)
        kind = "live"
        if armed and late > LATE_AFTER:
            # Meta started it at its start time by itself; only AdBee's check came late.
            detail += (
                f" Meta started delivery at {format_local(due, self._tz(row))}; AdBee checked "
                f"{duration_text(late)} later."
            )
        elif late > LATE_AFTER:
            kind = "live_late"
            detail = (
                f"late by {duration_text(late)} (it was due {format_local(due, self._tz(row))}; "
                f"AdBee was not running or could not reach Meta then). {detail}"
            )
        postponed = self._postponements(row.id) if row.error else 0  # a postponement noted it
        if postponed:
            detail += f" Meta's errors postponed it {postponed} time{'s' if postponed > 1 else ''}."
        move = Transition(
            row.id,
            (Status.ARMED,) if armed else (Status.ACTIVATING,),
            Status.ACTIVE,
            held_by=None if armed else self.holder,
            alert=NewAlert(
                kind=kind,
                dedupe_key=f"{row.id}:live",
                payload={"detail": detail},
                campaign_id=row.id,
            ),
            claimed_by=None,
            activated_at=now,
            error=None,
            last_sync={
                k: v for k, v in merge_state(row.last_sync, after).items() if k != DISARM_KEY
            },
            audit=NewAudit(self._worker_id, "activated", "ok"),
        )
        return move, max(late.total_seconds(), 0.0)

    def _failed(
        self, row: CampaignRecord, exc: Exception, now: datetime, *, step: str, touched: bool
    ) -> None:
        message = _error_text(exc)
        if _retryable(exc) and self._postponements(row.id) < MAX_POSTPONEMENTS:
            wait = getattr(exc, "retry_after_seconds", None) or DEFAULT_RETRY_SECONDS
            when = now + timedelta(seconds=wait)
            # Arming ahead of the start tries again then; the start itself does not move.
            early = row.activate_at is not None and when < row.activate_at
            if self._store.transition(
                row.id,
                from_statuses=[Status.ACTIVATING],
                to_status=Status.SCHEDULED,
                held_by=self.holder,
                claimed_by=None,
                activate_at=KEEP if early else when,
                error=f"{POSTPONED} while {step}: {message}",
                alert=None if early else self._start_delayed(row, when, wait, message),
            ):
                self._store.audit(
                    actor=self._worker_id,
                    action="activation_postponed",
                    outcome="retry",
                    campaign_id=row.id,
                    detail=f"{step}: {message}; next try {when.isoformat()}",
                )
                log.warning("activation of #%s postponed %.0fs: %s", row.id, wait, message)
                self._schedule(row.id, row.activate_at if early else when)
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
        self._store.transition(
            row.id,
            from_statuses=[Status.ACTIVATING],
            to_status=Status.ACTIVATION_FAILED,
            held_by=self.holder,
            claimed_by=None,
            error=detail,
            alert=NewAlert(
                kind="activation_failed",
                dedupe_key=f"{row.id}:activation_failed:{now.isoformat()}",
                payload={"detail": detail},
                campaign_id=row.id,
            ),
            audit=NewAudit(self._worker_id, "activated", "failed", detail),
        )

    # ------------------------------------------------------------------ helpers
    def _start_delayed(
        self, row: CampaignRecord, when: datetime, wait: float, message: str
    ) -> NewAlert | None:
        """The thread notice of a throttle wait that outlasts the time left before the start:
        the campaign's people hear it when it happens, not only from a late "is live"; None
        when the campaign still goes live by its start."""
        if when <= row.start_time:
            return None
        return NewAlert(
            kind=START_DELAYED,
            # once per start: a throttled retry postponed again is not news again
            dedupe_key=f"{row.id}:{START_DELAYED}:{row.start_time.isoformat()}",
            payload={
                "detail": f"Meta asked AdBee to wait {duration_text(timedelta(seconds=wait))} "
                f"before switching it on ({message}), which is past its start: it starts about "
                f"{duration_text(when - row.start_time)} late. AdBee tries again at "
                f"{format_local(when, self._tz(row))} on its own."
            },
            campaign_id=row.id,
        )

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
    """The Meta ids of the campaign's remaining ads after the first (``row.ad_id``, the one the
    status read names): an ad an approver rejected is never among them, even while its
    deletion in Meta is still to finish."""
    return [str(ad.meta_id) for ad in row.remaining_ads if ad.meta_id and ad.meta_id != row.ad_id]


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


def _postponed(row: CampaignRecord) -> bool:
    return bool(row.error and row.error.startswith(POSTPONED))


def _as_exception(result: Result) -> Exception:
    return result if isinstance(result, Exception) else AdBeeError(f"Meta answered {result}")


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


def _fix(exc: Exception | None, campaign_id: int) -> str:
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
