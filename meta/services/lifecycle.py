"""After creation: approve, reject, schedule, activate, pause, resume, sync.

Rules enforced here, for every surface: only approvers decide; a requester does not approve their
own campaign unless configured; every decision and refusal is audited; activation claims the row
with a compare-and-set before calling Meta, so two replicas (or a double-fired job) activate once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from meta.domain.access import AccessPolicy, Actor, NotAllowedError
from meta.domain.accounts import AccountConfig, AccountRegistry
from meta.domain.approval import approval_material, changes, fingerprint
from meta.domain.errors import AdBeeError, MetaApiError
from meta.domain.money import format_minor, to_minor
from meta.domain.ports import CampaignRepository, GraphApi
from meta.domain.records import CampaignRecord, ObjectKind, ObjectRef
from meta.domain.spec import CampaignSpec
from meta.domain.states import Status
from meta.domain.times import TimeParseError, format_local, parse_local_time
from meta.graph.retry import RetryPolicy
from meta.services.activation import (
    CLAIM_TIMING,
    DEFAULT_ARM_AHEAD,
    DISARM_KEY,
    LATE_AFTER,
    Activator,
    ScheduleHook,
    utc,
)
from meta.services.ad_rejection import AdRejection
from meta.services.changes import Change, ChangeRefusedError, apply_changes
from meta.services.pipeline import CampaignPipeline
from meta.services.previews import APPROVAL_KEY, DRIFT_KEY, REAPPLY_KEY, REQUESTS_KEY
from meta.services.reapply import SettingsRestorer
from meta.services.status_sync import merge_state, read_state, with_drift
from meta.services.summary import CampaignSummary, summarize

log = logging.getLogger(__name__)

__all__ = [
    "CLAIM_TIMING",
    "LATE_AFTER",
    "CampaignLifecycle",
    "CampaignNotFoundError",
    "InvalidTransitionError",
    "ScheduleHook",
]


class CampaignNotFoundError(AdBeeError):
    """No campaign matches what the user typed."""


class InvalidTransitionError(AdBeeError):
    """The campaign is not in a state where this makes sense; the message says which it is in."""


def approval_record(row: CampaignRecord, activate_at: datetime, by: str | None) -> dict[str, Any]:
    """What an approval covers: the requests as sent (``REQUESTS_KEY``) and the activation time,
    and their fingerprint (``meta.domain.approval``)."""
    material = approval_material(
        (row.last_sync or {}).get(REQUESTS_KEY) or {}, activate_at.isoformat()
    )
    return {"fingerprint": fingerprint(material), "material": material, "by": by, "changed": []}


def _asked_again(
    row: CampaignRecord, approved: dict[str, Any], activate_at: datetime
) -> dict[str, Any]:
    """The approval record once a change goes beyond it: what changed, and the proposed time
    (kept, so the next approval schedules exactly what it was shown)."""
    proposed = approval_record(row, activate_at, None)
    return {
        **approved,
        "changed": changes(approved["material"], proposed["material"]),
        "proposed_activate_at": activate_at.isoformat(),
    }


def _beyond_tolerance(
    approved: dict[str, Any], activate_at: datetime, account: AccountConfig
) -> bool:
    """Whether a new start moves further from the approved one than ``approval.reschedule_within_hours``."""
    hours = account.approval.reschedule_within_hours
    was = approved.get("material", {}).get("activate_at")
    if hours is None or not was:
        return False
    return abs(activate_at - utc(datetime.fromisoformat(was))) > timedelta(hours=float(hours))


class CampaignLifecycle:
    def __init__(
        self,
        *,
        store: CampaignRepository,
        graph: GraphApi | None,
        accounts: AccountRegistry,
        policy: AccessPolicy,
        pipeline: Callable[[], CampaignPipeline] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_schedule: ScheduleHook | None = None,
        worker_id: str = "adbee",
        arm_ahead: timedelta = DEFAULT_ARM_AHEAD,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.store = store
        self._graph = graph
        self._accounts = accounts
        self._policy = policy
        self._pipeline = pipeline
        self.clock = clock
        self._on_schedule = on_schedule or (lambda _id, _when: None)
        self.worker_id = worker_id
        self._activator = Activator(
            store=store,
            graph=graph,
            accounts=accounts,
            clock=lambda: self.clock(),
            worker_id=worker_id,
            on_schedule=self._schedule,
            arm_ahead=arm_ahead,
            retry=retry,
        )

    # ------------------------------------------------------------------ decisions
    def approve(self, campaign_id: int, actor: Actor) -> CampaignSummary:
        row = self._row(campaign_id)
        self._require_deciding_approver(row, actor, "approve")
        if not self._policy.allow_self_approval and row.requested_by == actor.user_id:
            self._refuse(row, actor, "approve", "requesters may not approve their own campaign")
        drift = (row.last_sync or {}).get(DRIFT_KEY)
        if drift:  # the approval would cover settings Meta does not run
            raise InvalidTransitionError(
                f"{row.name!r} cannot be approved while Meta shows other settings than were "
                f"sent ({'; '.join(drift['lines'])}); re-apply the approved settings first."
            )
        now = utc(self.clock())
        # A start already past activates at once; lateness is then counted from approval. A
        # reschedule that asked for this new approval proposed its own time.
        proposed = (row.last_sync or {}).get(APPROVAL_KEY, {}).get("proposed_activate_at")
        activate_at = max(
            utc(datetime.fromisoformat(proposed)) if proposed else row.start_time, now
        )
        record = approval_record(row, activate_at, actor.user_id)
        if not self.store.transition(
            row.id,
            from_statuses=[Status.CREATED],
            to_status=Status.SCHEDULED,
            approved_by=actor.user_id,
            activate_at=activate_at,
            last_sync={**(row.last_sync or {}), APPROVAL_KEY: record},
        ):
            raise InvalidTransitionError(self._state_text(row.id, "approved"))
        self.store.audit(
            actor=actor.user_id,
            action="approve",
            outcome="ok",
            campaign_id=row.id,
            detail=f"fingerprint {record['fingerprint']}",
        )
        self._schedule(row.id, self._activator.fire_time(activate_at))  # armed ahead
        return self.summary(row.id)

    def reject(self, campaign_id: int, actor: Actor) -> CampaignSummary:
        row = self._row(campaign_id)
        self._require_approver(row, actor, "reject")
        if not self.store.transition(
            row.id,
            from_statuses=[Status.CREATED, Status.SCHEDULED, Status.ARMED, Status.CANCELLED],
            to_status=Status.REJECTED,
        ):
            raise InvalidTransitionError(self._state_text(row.id, "rejected"))
        self._schedule(row.id, None)
        leftovers: list[str] = []
        if self._pipeline is not None:
            leftovers = self._pipeline().rollback(
                row.id, reason=f"rejected by {actor.user_id}", status=Status.REJECTED
            )
        detail = f"could not delete {', '.join(leftovers)}" if leftovers else None
        self.store.audit(
            actor=actor.user_id, action="reject", outcome="ok", campaign_id=row.id, detail=detail
        )
        return self.summary(row.id)

    def reject_ad(self, campaign_id: int, actor: Actor, ad: int) -> CampaignSummary:
        """Reject ad number ``ad`` (``AdPlan.index``) and keep the campaign's other ads.

        Who may: as for approving (the big-spend approvers, never the requester unless
        ``ALLOW_SELF_APPROVAL``). When: awaiting approval (no activation is scheduled, so none
        can be switching it on meanwhile). The last ad left is refused: rejecting
        the campaign says the same thing and deletes the campaign and ad set too. The deletion
        is ``meta.services.ad_rejection``'s persisted steps; a second click finishes one that
        stopped half-way (Meta did not answer) and says so when there is nothing left to do.
        """
        row = self._row(campaign_id)
        what = f"reject ad {ad} of"
        self._require_deciding_approver(row, actor, what)
        if not self._policy.allow_self_approval and row.requested_by == actor.user_id:
            self._refuse(row, actor, what, "requesters may not decide on their own campaign")
        plan = next((p for p in CampaignSpec.from_json(row.spec).ads() if p.index == ad), None)
        if plan is None:
            raise InvalidTransitionError(f"{row.name!r} has no ad {ad}.")
        rejected = {obj.key: obj for obj in row.rejected_ads}
        begun = plan.key in rejected  # out of the campaign already: finishing it is always fine
        if row.status != Status.CREATED and not begun:
            raise InvalidTransitionError(
                f"Ad {ad} of {row.name!r} cannot be rejected now: it is "
                f"{row.status.replace('_', ' ')}. Ads are rejected one by one while the campaign "
                "awaits approval."
            )
        if begun and row.object(ObjectRef(ObjectKind.AD, plan.key)) is None:
            by = rejected[plan.key].rejected_by
            raise InvalidTransitionError(
                f"Ad {ad} of {row.name!r} was already rejected by <@{by}> and deleted from Meta."
            )
        others = [obj for obj in row.remaining_ads if obj.key != plan.key]
        if not others and not begun:
            raise InvalidTransitionError(
                f"Ad {ad} is the last ad of {row.name!r}: a campaign needs at least one ad. "
                "Reject the campaign instead (that deletes it all from Meta)."
            )
        leftovers = AdRejection(store=self.store, graph=self._require_graph()).reject(
            row, plan.key, by=actor.user_id
        )
        detail = f"ad {ad} ({plan.video_path.name})"
        if leftovers:
            detail += f"; could not delete {', '.join(leftovers)}"
        self.store.audit(
            actor=actor.user_id,
            action="reject_ad",
            outcome="partial" if leftovers else "ok",
            campaign_id=row.id,
            detail=detail,
        )
        if leftovers:
            raise AdBeeError(
                f"Ad {ad} of {row.name!r} is out of the campaign (it will never be switched on), "
                f"but Meta did not delete {', '.join(leftovers)}; click Reject ad again, or "
                "delete it in Ads Manager."
            )
        return self.summary(row.id)

    def cancel(self, campaign_id: int, actor: Actor) -> CampaignSummary:
        """Unschedule: the campaign stays (or, armed, is again) PAUSED in Meta and can be
        rescheduled or activated."""
        row = self._row(campaign_id)
        self._require_approver(row, actor, "cancel")
        armed = row.status == Status.ARMED
        if not self.store.transition(
            row.id,
            from_statuses=[row.status if armed else Status.SCHEDULED],
            to_status=Status.CANCELLED,
            activate_at=None,
            **self._disarming(row),
        ):
            raise InvalidTransitionError(self._state_text(row.id, "cancelled"))
        self._schedule(row.id, None)
        self.store.audit(actor=actor.user_id, action="cancel", outcome="ok", campaign_id=row.id)
        self._disarm(row)
        return self.summary(row.id)

    def _disarming(self, row: CampaignRecord) -> dict[str, Any]:
        """For an armed campaign leaving ARMED: the pause it owes Meta, persisted with the move."""
        if row.status != Status.ARMED:
            return {}
        return {"last_sync": {**(row.last_sync or {}), DISARM_KEY: "pending"}}

    def _disarm(self, row: CampaignRecord) -> None:
        """Pause in Meta what was armed (the scan finishes it if Meta cannot be reached now)."""
        if row.status != Status.ARMED:
            return
        problem = self._activator.disarm(row.id)
        if problem:
            raise InvalidTransitionError(
                f"{row.name!r} no longer starts, but Meta has not paused it yet ({problem}); "
                "AdBee keeps trying every 30 seconds."
            )

    def reschedule(self, campaign_id: int, actor: Actor, when: str) -> CampaignSummary:
        row = self._row(campaign_id)
        self._require_approver(row, actor, "reschedule")
        account = self._accounts.get(row.account_key)
        tz = account.timezone if account else "UTC"
        try:
            at = parse_local_time(when, tz)
        except TimeParseError as exc:
            raise InvalidTransitionError(f"Cannot reschedule: {exc}") from None
        now = utc(self.clock())
        if at < now - timedelta(minutes=1):
            raise InvalidTransitionError(
                f"{format_local(at, tz)} is in the past; use `/campaign activate {row.id}` to go live now"
            )
        sync = dict(row.last_sync or {})
        approved = sync.get(APPROVAL_KEY)
        activate_at = max(at, now)
        # Scheduled again, or (moved beyond what the approval covers) back to awaiting approval.
        fields: dict[str, Any] = {"activate_at": activate_at}
        to, outcome, detail = Status.SCHEDULED, "ok", when
        if row.status == Status.ARMED:  # paused in Meta again; armed anew for the new start
            sync[DISARM_KEY] = "pending"
        if approved and account and _beyond_tolerance(approved, activate_at, account):
            sync[APPROVAL_KEY] = _asked_again(row, approved, activate_at)
            to, fields = Status.CREATED, {"activate_at": None, "approved_by": None}
            outcome = "needs_approval"
            detail = f"{when}: {'; '.join(sync[APPROVAL_KEY]['changed'])}"
        elif approved:  # within what the account allows: the approval follows the start
            sync[APPROVAL_KEY] = approval_record(row, activate_at, approved.get("by"))
        if not self.store.transition(
            row.id,
            from_statuses=[
                Status.SCHEDULED,
                Status.ARMED,
                Status.CANCELLED,
                Status.ACTIVATION_FAILED,
            ],
            to_status=to,
            error=None,
            last_sync=sync,
            **fields,
        ):
            raise InvalidTransitionError(self._state_text(row.id, "rescheduled"))
        self.store.audit(
            actor=actor.user_id,
            action="reschedule",
            outcome=outcome,
            campaign_id=row.id,
            detail=detail,
        )
        self._disarm(row)
        self._schedule(
            row.id, self._activator.fire_time(activate_at) if to == Status.SCHEDULED else None
        )
        return self.summary(row.id)

    def claim_resume(self, campaign_id: int, actor: Actor) -> CampaignSummary:
        """Let the requester or an approver carry on a creation a temporary problem stopped.

        The FAILED -> CREATING compare-and-set makes a double click (or two replicas) resume it
        once; the caller then runs the creation, which continues from its last committed step.
        """
        row = self._row(campaign_id)
        if row.requested_by != actor.user_id:
            self._require_approver(row, actor, "resume the creation of")
        if not self.store.transition(
            row.id, from_statuses=[Status.FAILED], to_status=Status.CREATING, error=None
        ):
            raise InvalidTransitionError(self._state_text(row.id, "resumed"))
        self.store.audit(
            actor=actor.user_id, action="resume_creation", outcome="ok", campaign_id=row.id
        )
        return self.summary(row.id)

    def activate_now(self, campaign_id: int, actor: Actor) -> CampaignSummary:
        row = self._row(campaign_id)
        if row.status == Status.CREATED:  # activating now approves it too
            self._require_deciding_approver(row, actor, "activate")
        else:
            self._require_approver(row, actor, "activate")
        own = row.status == Status.CREATED and row.requested_by == actor.user_id
        if own and not self._policy.allow_self_approval:
            self._refuse(row, actor, "activate", "requesters may not approve their own campaign")
        now = utc(self.clock())
        approving: dict[str, Any] = {}
        if row.status == Status.CREATED:
            record = approval_record(row, now, actor.user_id)
            approving["last_sync"] = {**(row.last_sync or {}), APPROVAL_KEY: record}
        if not self.store.transition(
            row.id,
            from_statuses=[
                Status.CREATED,
                Status.SCHEDULED,
                Status.ARMED,  # armed for later: its ad set starts now instead
                Status.CANCELLED,
                Status.ACTIVATION_FAILED,
            ],
            to_status=Status.SCHEDULED,
            activate_at=now,
            approved_by=row.approved_by or actor.user_id,
            error=None,
            **approving,
        ):
            raise InvalidTransitionError(self._state_text(row.id, "activated"))
        self.store.audit(actor=actor.user_id, action="activate", outcome="ok", campaign_id=row.id)
        self._schedule(row.id, None)  # a postponement schedules it again
        self.activate(row.id, now=now)
        return self.summary(row.id)

    def reapply(self, campaign_id: int, actor: Actor) -> CampaignSummary:
        """Send the approved settings again where Meta drifted from them (approvers only,
        audited); ``meta.services.reapply`` says how, and the read-back after it clears the
        drift once Meta shows the approved settings."""
        row = self._row(campaign_id)
        self._require_approver(row, actor, "re-apply the approved settings of")
        sync = row.last_sync or {}
        if not sync.get(DRIFT_KEY) and not sync.get(REAPPLY_KEY):
            raise InvalidTransitionError(
                f"{row.name!r} shows the approved settings in Meta: nothing to re-apply."
            )
        if not row.ad_id or row.status == Status.ACTIVATING:
            raise InvalidTransitionError(self._state_text(row.id, "changed now"))
        try:
            done = SettingsRestorer(store=self.store, graph=self._require_graph()).restore(row)
        except (ChangeRefusedError, MetaApiError) as exc:
            cause = exc.cause if isinstance(exc, ChangeRefusedError) else exc
            self.store.audit(
                actor=actor.user_id,
                action="reapply",
                outcome="failed",
                campaign_id=row.id,
                detail=cause.user_text(),
            )
            if isinstance(exc, ChangeRefusedError):
                raise
            raise InvalidTransitionError(
                f"Meta refused: {exc.user_text()}. {exc.fix_hint()}"
            ) from None
        self._remember_state(row.id)
        self.store.audit(
            actor=actor.user_id,
            action="reapply",
            outcome="ok",
            campaign_id=row.id,
            detail="; ".join(done),
        )
        return self.summary(row.id)

    def pause(self, campaign_id: int, actor: Actor) -> CampaignSummary:
        return self._set_delivery(campaign_id, actor, "PAUSED", Status.ACTIVE, Status.PAUSED)

    def resume(self, campaign_id: int, actor: Actor) -> CampaignSummary:
        return self._set_delivery(campaign_id, actor, "ACTIVE", Status.PAUSED, Status.ACTIVE)

    # ------------------------------------------------------------------ activation (jobs)
    def due(self, now: datetime | None = None) -> list[int]:
        """Ids of SCHEDULED campaigns due for arming (``ARM_AHEAD_MINUTES`` before their
        activation time, or later)."""
        return self._activator.due(utc(now or self.clock()))

    def scheduled(self) -> list[tuple[int, datetime]]:
        """(id, when its date job fires) of every SCHEDULED or ARMED campaign: what the job
        store must hold (arming ahead, and the check at the start)."""
        return [
            (
                row.id,
                row.activate_at
                if row.status == Status.ARMED
                else self._activator.fire_time(row.activate_at, row),
            )
            for row in self.store.list_campaigns(
                statuses=[Status.SCHEDULED, Status.ARMED], limit=100_000
            )
            if row.activate_at is not None
        ]

    def run_due(self, now: datetime | None = None) -> int:
        """Arm, activate and check everything due, in batches (``Activator.run_due``)."""
        return self._activator.run_due(now)

    def activate(self, campaign_id: int, *, now: datetime | None = None) -> bool:
        """Activate one due campaign if this process wins the claim; True when it went live."""
        return self._activator.activate(campaign_id, now=now)

    def abandoned_activations(self) -> list[int]:
        """Ids of ACTIVATING rows whose holder died (see ``Activator.abandoned``)."""
        return self._activator.abandoned()

    def take_over(self, campaign_id: int, *, now: datetime | None = None) -> bool:
        """Finish an activation whose holder died, from what Meta shows; True when it went live."""
        return self._activator.take_over(campaign_id, now=now)

    # ------------------------------------------------------------------ helpers
    def _set_delivery(
        self, campaign_id: int, actor: Actor, meta_status: str, from_status: Status, to: Status
    ) -> CampaignSummary:
        row = self._row(campaign_id)
        self._require_approver(row, actor, meta_status.lower())
        if row.status != from_status:
            raise InvalidTransitionError(self._state_text(row.id, to.value))
        change = Change(str(row.meta_campaign_id), {"status": meta_status}, "the campaign")
        try:
            apply_changes(self._require_graph(), [change])  # Meta validates it first
        except ChangeRefusedError as exc:
            raise InvalidTransitionError(exc.message) from None
        except MetaApiError as exc:
            raise InvalidTransitionError(
                f"Meta refused: {exc.user_text()}. {exc.fix_hint()}"
            ) from None
        self.store.transition(row.id, from_statuses=[from_status], to_status=to)
        self._remember_state(row.id)
        self.store.audit(actor=actor.user_id, action=to.value, outcome="ok", campaign_id=row.id)
        return self.summary(row.id)

    def _remember_state(self, campaign_id: int) -> None:
        """After our own change, store Meta's new state: the sync reports others' changes only."""
        row = self._row(campaign_id)
        try:
            state = read_state(self._require_graph(), row)
        except AdBeeError as exc:
            log.info("could not read back #%s: %s", campaign_id, exc)
            return
        self.store.set_last_sync(campaign_id, with_drift(merge_state(row.last_sync, state)))

    def _schedule(self, campaign_id: int, when: datetime | None) -> None:
        """Tell the job scheduler; a failure there is logged, as the scan job reads the rows."""
        try:
            self._on_schedule(campaign_id, when)
        except Exception:
            log.exception("could not (un)schedule the activation job of #%s", campaign_id)

    def _require_graph(self) -> GraphApi:
        if self._graph is None:
            raise AdBeeError("no Meta connection configured")
        return self._graph

    def _row(self, campaign_id: int) -> CampaignRecord:
        row = self.store.get(campaign_id)
        if row is None:
            raise CampaignNotFoundError(f"No campaign #{campaign_id}; `/campaign list` shows them.")
        return row

    def _require_approver(self, row: CampaignRecord, actor: Actor, action: str) -> None:
        if not self._policy.is_approver(actor):
            self._refuse(row, actor, action, "only approvers can do this")

    def _require_deciding_approver(self, row: CampaignRecord, actor: Actor, action: str) -> None:
        """Who may approve: an approver, or for a daily budget above the account's
        ``approval.budget_above`` one of the account's ``approval.approvers`` (and only them)."""
        account = self._accounts.get(row.account_key)
        budget = int(row.spec["daily_budget_minor"])
        needed = account.big_spend_approvers(budget) if account else ()
        if not needed:
            self._require_approver(row, actor, action)
            return
        if not self._policy.is_one_of(actor, needed):
            assert account is not None and account.approval.budget_above is not None
            above = to_minor(account.approval.budget_above, account.currency)
            self._refuse(
                row,
                actor,
                action,
                f"its daily budget of {format_minor(budget, account.currency)} is above "
                f"{format_minor(above, account.currency)} (approval.budget_above of "
                f"{row.account_key}), so it needs an approver from {', '.join(needed)}",
            )

    def _refuse(self, row: CampaignRecord, actor: Actor, action: str, why: str) -> None:
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

    def summary(self, campaign_id: int) -> CampaignSummary:
        """The campaign as users see it; ``CampaignNotFoundError`` names the missing id."""
        return summarize(self._row(campaign_id), self._accounts)
