"""After creation: approve, reject, schedule, activate, pause, resume, sync.

Rules enforced here, for every surface: only approvers decide; a requester does not approve their
own campaign unless configured; every decision and refusal is audited; activation claims the row
with a compare-and-set before calling Meta, so two replicas (or a double-fired job) activate once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from meta.access import AccessPolicy, Actor, NotAllowedError
from meta.accounts import AccountRegistry
from meta.errors import AdBeeError, MetaApiError, MetaTransportError
from meta.pipeline import CampaignPipeline, GraphApi, Status
from meta.summary import CampaignSummary, summarize
from meta.times import TimeParseError, format_local, humanize_delta, parse_local_time
from storage.models import CampaignRow
from storage.repository import CampaignStore

log = logging.getLogger(__name__)

LATE_AFTER = timedelta(minutes=2)
STALE_CLAIM = timedelta(minutes=10)
ScheduleHook = Callable[[int, datetime | None], None]


class CampaignNotFoundError(AdBeeError):
    """No campaign matches what the user typed."""


class InvalidTransitionError(AdBeeError):
    """The campaign is not in a state where this makes sense; the message says which it is in."""


class CampaignLifecycle:
    def __init__(
        self,
        *,
        store: CampaignStore,
        graph: GraphApi | None,
        accounts: AccountRegistry,
        policy: AccessPolicy,
        pipeline: Callable[[], CampaignPipeline] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_schedule: ScheduleHook | None = None,
        worker_id: str = "adbee",
    ) -> None:
        self.store = store
        self._graph = graph
        self._accounts = accounts
        self._policy = policy
        self._pipeline = pipeline
        self.clock = clock
        self._on_schedule = on_schedule or (lambda _id, _when: None)
        self.worker_id = worker_id

    # ------------------------------------------------------------------ decisions
    def approve(self, campaign_id: int, actor: Actor) -> CampaignSummary:
        row = self._row(campaign_id)
        self._require_approver(row, actor, "approve")
        if not self._policy.allow_self_approval and row.requested_by == actor.user_id:
            self._refuse(row, actor, "approve", "requesters may not approve their own campaign")
        now = self.clock()
        activate_at = max(_utc(row.start_time), now)
        if not self.store.transition(
            row.id,
            from_statuses=[Status.CREATED],
            to_status=Status.SCHEDULED,
            approved_by=actor.user_id,
            activate_at=activate_at,
        ):
            raise InvalidTransitionError(self._state_text(row.id, "approved"))
        self.store.audit(actor=actor.user_id, action="approve", outcome="ok", campaign_id=row.id)
        self._on_schedule(row.id, activate_at)
        return self._summary(row.id)

    def reject(self, campaign_id: int, actor: Actor) -> CampaignSummary:
        row = self._row(campaign_id)
        self._require_approver(row, actor, "reject")
        if not self.store.transition(
            row.id,
            from_statuses=[Status.CREATED, Status.SCHEDULED, Status.CANCELLED],
            to_status=Status.REJECTED,
        ):
            raise InvalidTransitionError(self._state_text(row.id, "rejected"))
        self._on_schedule(row.id, None)
        leftovers: list[str] = []
        if self._pipeline is not None:
            leftovers = self._pipeline().rollback(
                row.id, reason=f"rejected by {actor.user_id}", status=Status.REJECTED
            )
        detail = f"could not delete {', '.join(leftovers)}" if leftovers else None
        self.store.audit(
            actor=actor.user_id, action="reject", outcome="ok", campaign_id=row.id, detail=detail
        )
        return self._summary(row.id)

    def cancel(self, campaign_id: int, actor: Actor) -> CampaignSummary:
        """Unschedule: the campaign stays PAUSED in Meta and can be rescheduled or activated."""
        row = self._row(campaign_id)
        self._require_approver(row, actor, "cancel")
        if not self.store.transition(
            row.id, from_statuses=[Status.SCHEDULED], to_status=Status.CANCELLED, activate_at=None
        ):
            raise InvalidTransitionError(self._state_text(row.id, "cancelled"))
        self._on_schedule(row.id, None)
        self.store.audit(actor=actor.user_id, action="cancel", outcome="ok", campaign_id=row.id)
        return self._summary(row.id)

    def reschedule(self, campaign_id: int, actor: Actor, when: str) -> CampaignSummary:
        row = self._row(campaign_id)
        self._require_approver(row, actor, "reschedule")
        account = self._accounts.get(row.account_key)
        tz = account.timezone if account else "UTC"
        try:
            at = parse_local_time(when, tz)
        except TimeParseError as exc:
            raise InvalidTransitionError(f"Cannot reschedule: {exc}") from None
        now = self.clock()
        if at < now - timedelta(minutes=1):
            raise InvalidTransitionError(
                f"{format_local(at, tz)} is in the past; use `/campaign activate {row.id}` to go live now"
            )
        if not self.store.transition(
            row.id,
            from_statuses=[Status.SCHEDULED, Status.CANCELLED, Status.ACTIVATION_FAILED],
            to_status=Status.SCHEDULED,
            activate_at=max(at, now),
        ):
            raise InvalidTransitionError(self._state_text(row.id, "rescheduled"))
        self._on_schedule(row.id, max(at, now))
        self.store.audit(
            actor=actor.user_id, action="reschedule", outcome="ok", campaign_id=row.id, detail=when
        )
        return self._summary(row.id)

    def activate_now(self, campaign_id: int, actor: Actor) -> CampaignSummary:
        row = self._row(campaign_id)
        self._require_approver(row, actor, "activate")
        own = row.status == Status.CREATED and row.requested_by == actor.user_id
        if own and not self._policy.allow_self_approval:
            self._refuse(row, actor, "activate", "requesters may not approve their own campaign")
        now = self.clock()
        if not self.store.transition(
            row.id,
            from_statuses=[
                Status.CREATED,
                Status.SCHEDULED,
                Status.CANCELLED,
                Status.ACTIVATION_FAILED,
            ],
            to_status=Status.SCHEDULED,
            activate_at=now,
            approved_by=row.approved_by or actor.user_id,
        ):
            raise InvalidTransitionError(self._state_text(row.id, "activated"))
        self.store.audit(actor=actor.user_id, action="activate", outcome="ok", campaign_id=row.id)
        self.activate(row.id, now=now)
        return self._summary(row.id)

    def pause(self, campaign_id: int, actor: Actor) -> CampaignSummary:
        return self._set_delivery(campaign_id, actor, "PAUSED", Status.ACTIVE, Status.PAUSED)

    def resume(self, campaign_id: int, actor: Actor) -> CampaignSummary:
        return self._set_delivery(campaign_id, actor, "ACTIVE", Status.PAUSED, Status.ACTIVE)

    # ------------------------------------------------------------------ activation (jobs)
    def due(self, now: datetime | None = None) -> list[int]:
        return [row.id for row in self.store.list_due(now=now or self.clock())]

    def activate(self, campaign_id: int, *, now: datetime | None = None) -> bool:
        """Activate one due campaign if this process wins the claim; True when it went live."""
        now = now or self.clock()
        row = self.store.get(campaign_id)
        if row is None or row.status != Status.SCHEDULED or row.activate_at is None:
            return False
        if _utc(row.activate_at) > now:
            return False
        if not self.store.transition(
            row.id,
            from_statuses=[Status.SCHEDULED],
            to_status=Status.ACTIVATING,
            claimed_by=self.worker_id,
        ):
            return False  # another replica (or a double-fired job) has it
        graph = self._require_graph()
        try:
            for object_id in (row.ad_id, row.adset_id, row.meta_campaign_id):
                if object_id:
                    graph.post(object_id, {"status": "ACTIVE"}, idempotent=True)
            state = graph.get(
                str(row.meta_campaign_id), {"fields": "effective_status,configured_status"}
            )
        except (MetaApiError, MetaTransportError) as exc:
            self._activation_failed(row, exc, now)
            return False
        self.store.transition(
            row.id,
            from_statuses=[Status.ACTIVATING],
            to_status=Status.ACTIVE,
            activated_at=now,
            error=None,
            last_sync={"campaign": state.get("effective_status")},
        )
        late = now - _utc(row.activate_at)
        kind = "live_late" if late > LATE_AFTER else "live"
        detail = (
            f"late by {humanize_delta(late).removesuffix(' ago')}" if kind == "live_late" else None
        )
        if kind == "live_late":
            detail = f"{detail} (AdBee was not running at {format_local(_utc(row.activate_at), self._tz(row))})"
        self.store.enqueue_alert(
            kind=kind, dedupe_key=f"{row.id}:live", payload={"detail": detail}, campaign_id=row.id
        )
        self.store.audit(actor=self.worker_id, action="activated", outcome="ok", campaign_id=row.id)
        return True

    def release_stale_claims(self, now: datetime | None = None) -> int:
        """Rows left ACTIVATING by a process that died go back to SCHEDULED (activation is idempotent)."""
        now = now or self.clock()
        released = 0
        for row in self.store.list(statuses=[Status.ACTIVATING], limit=1000):
            if _utc(row.updated_at) < now - STALE_CLAIM and self.store.transition(
                row.id, from_statuses=[Status.ACTIVATING], to_status=Status.SCHEDULED
            ):
                released += 1
        return released

    def _activation_failed(self, row: CampaignRow, exc: Exception, now: datetime) -> None:
        retryable = isinstance(exc, MetaTransportError) or (
            isinstance(exc, MetaApiError) and (exc.is_transient or exc.is_throttle)
        )
        if retryable:
            wait = getattr(exc, "retry_after_seconds", None) or 60
            self.store.transition(
                row.id,
                from_statuses=[Status.ACTIVATING],
                to_status=Status.SCHEDULED,
                activate_at=now + timedelta(seconds=wait),
            )
            log.warning("activation of #%s postponed %ss: %s", row.id, wait, exc)
            return
        message = exc.user_text() if isinstance(exc, MetaApiError) else str(exc)
        fix = exc.fix_hint() if isinstance(exc, MetaApiError) else ""
        try:  # leave nothing half-live: the campaign switch is the one that starts delivery
            self._require_graph().post(
                str(row.meta_campaign_id), {"status": "PAUSED"}, idempotent=True
            )
        except AdBeeError:
            log.warning("could not re-pause campaign %s", row.meta_campaign_id)
        self.store.transition(
            row.id,
            from_statuses=[Status.ACTIVATING],
            to_status=Status.ACTIVATION_FAILED,
            error=f"{message}. {fix}".strip(),
        )
        self.store.enqueue_alert(
            kind="activation_failed",
            dedupe_key=f"{row.id}:activation_failed:{now.isoformat()}",
            payload={"detail": f"{message}. {fix}".strip()},
            campaign_id=row.id,
        )

    # ------------------------------------------------------------------ helpers
    def _set_delivery(
        self, campaign_id: int, actor: Actor, meta_status: str, from_status: Status, to: Status
    ) -> CampaignSummary:
        row = self._row(campaign_id)
        self._require_approver(row, actor, meta_status.lower())
        if row.status != from_status:
            raise InvalidTransitionError(self._state_text(row.id, to.value))
        try:
            self._require_graph().post(
                str(row.meta_campaign_id), {"status": meta_status}, idempotent=True
            )
        except MetaApiError as exc:
            raise InvalidTransitionError(
                f"Meta refused: {exc.user_text()}. {exc.fix_hint()}"
            ) from None
        self.store.transition(row.id, from_statuses=[from_status], to_status=to)
        self.store.audit(actor=actor.user_id, action=to.value, outcome="ok", campaign_id=row.id)
        return self._summary(row.id)

    def _require_graph(self) -> GraphApi:
        if self._graph is None:
            raise AdBeeError("no Meta connection configured")
        return self._graph

    def _row(self, campaign_id: int) -> CampaignRow:
        row = self.store.get(campaign_id)
        if row is None:
            raise CampaignNotFoundError(f"No campaign #{campaign_id}; `/campaign list` shows them.")
        return row

    def _require_approver(self, row: CampaignRow, actor: Actor, action: str) -> None:
        if not self._policy.is_approver(actor):
            self._refuse(row, actor, action, "only approvers can do this")

    def _refuse(self, row: CampaignRow, actor: Actor, action: str, why: str) -> None:
        self.store.audit(
            actor=actor.user_id,
            action=action,
            outcome="refused",
            campaign_id=row.id,
            detail=f"{why} (team {actor.team_id})",
        )
        raise NotAllowedError(f"You cannot {action} {row.name!r}: {why}.")

    def _state_text(self, campaign_id: int, verb: str) -> str:
        row = self._row(campaign_id)
        return f"{row.name!r} cannot be {verb}: it is {row.status.replace('_', ' ')}."

    def _summary(self, campaign_id: int) -> CampaignSummary:
        return summarize(self._row(campaign_id), self._accounts)

    def _tz(self, row: CampaignRow) -> str:
        account = self._accounts.get(row.account_key)
        return account.timezone if account else "UTC"


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
