"""Edit a campaign that exists in Meta: read what Meta holds, show the diff, apply it safely.

Two entry points other features build on (``propose`` and ``apply``):

- ``propose(campaign, wanted)`` reads the campaign from Meta (never the local row: Ads Manager
  edits count), checks the wanted fields as a new campaign's are, and answers a ``Proposal``:
  the changes that apply at once and those that wait for an approver, by the account's
  ``edits.auto_apply`` rules (``meta.domain.edits``).
- ``apply(edit)`` runs one stored edit as a state machine under the campaign's lease (which
  serialises it with activation and with other edits). Each step is committed in
  ``campaign_edits.progress`` before the next call to Meta:

  1. ``validated``: every change is sent with ``execution_options=["validate_only"]`` first (the
     budget and ad-set updates, and the new creative's create); a refusal changes nothing
     (status ``refused``, Meta's words kept).
  2. ``budget``: the daily budget on the campaign (Advantage+ campaign budget) or, for a
     campaign without one, on the ad set (Meta refuses an ad-set budget under a campaign
     budget, 100/1885621, and more than 4 budget changes an hour, 613/1487632).
  3. ``adset``: end time and countries (the regulated-market declarations follow the countries).
  4. ``creative``: Meta's creatives are immutable (SDK ``AdCreative.api_update`` takes only
     name/status), so texts, link, call to action or URL tags make a **new creative** named
     ``<old name> · edit <id>``. Its id is committed at once; a create whose answer was lost is
     found by that name before posting again (never two).
  5. ``switched``: the ad is pointed at the new creative (it goes back into review) and the new
     creative is swapped in among the campaign's Meta objects; the old creative is kept in Meta
     (``replaced``) until the new one is accepted, and AdBee never deletes it.

  A crash anywhere leaves the edit ``applying``; ``resume_stopped`` (at start-up and every few
  seconds) carries it on from the last committed step, once. A permanent refusal after some
  steps were applied leaves it ``incomplete``: the card says what was done and offers
  **Finish** (``apply`` again) or **Undo** (``undo``: the applied changes set back to their
  "before" values, an unused new creative deleted).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from meta.domain.access import AccessPolicy, Actor, NotAllowedError
from meta.domain.accounts import AccountConfig, AccountRegistry
from meta.domain.approval import approval_material, fingerprint
from meta.domain.edits import (
    LABELS,
    Approval,
    EditField,
    EditPlan,
    MetaState,
    Proposal,
    parse_wanted,
    propose,
)
from meta.domain.errors import AdBeeError, MetaApiError
from meta.domain.minimum_budgets import FloorSource, offline_floors
from meta.domain.money import format_minor, to_minor
from meta.domain.ports import CampaignRepository, EditRepository, GraphApi
from meta.domain.records import (
    OPEN_EDIT_STATUSES,
    CampaignRecord,
    EditRecord,
    EditStatus,
    ObjectKind,
    ObjectRef,
)
from meta.domain.regulation import adset_declarations
from meta.domain.states import Status, Step
from meta.domain.times import to_meta
from meta.services.changes import (
    Change,
    ChangeRefusedError,
    apply_changes,
    validate_changes,
    validate_create,
)
from meta.services.creation_lease import CreationBusyError, Lease, lease_is_free
from meta.services.previews import APPROVAL_KEY, REQUESTS_KEY

log = logging.getLogger(__name__)

# Campaign statuses an edit may change: it exists in Meta and is not mid-activation.
EDITABLE = frozenset(
    {
        Status.ARMED,  # ACTIVE in Meta before its start, delivery held by the start time
        Status.CREATED,
        Status.SCHEDULED,
        Status.CANCELLED,
        Status.ACTIVATION_FAILED,
        Status.ACTIVE,
        Status.PAUSED,
    }
)
LIVE_STATUSES = frozenset({Status.ACTIVE, Status.PAUSED, Status.ACTIVATING})
_PAGES = 10


class EditError(AdBeeError):
    """An edit cannot be made or decided now; the message says why, for the user."""


class EditBusyError(EditError):
    """Someone else is changing this campaign right now (an activation or another edit)."""


@dataclass(frozen=True)
class Submitted:
    """What became of a submitted edit: the part applied at once and the part awaiting approval."""

    campaign: CampaignRecord
    applied: EditRecord | None
    awaiting: EditRecord | None


def _meta_time(value: Any) -> datetime | None:
    if not value or value in ("0", 0):
        return None
    if isinstance(value, int | float) or str(value).isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S%z").astimezone(UTC)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "", "0", 0) else None
    except (TypeError, ValueError):
        return None


def plan_of(edit: EditRecord) -> EditPlan:
    return EditPlan.from_json(edit.plan)


class EditService:
    """Propose, decide, apply, finish, undo and resume edits (see the module docstring)."""

    def __init__(
        self,
        *,
        store: CampaignRepository,
        edits: EditRepository,
        graph: GraphApi,
        accounts: AccountRegistry,
        policy: AccessPolicy,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        floors: FloorSource | None = None,
    ) -> None:
        self.store = store
        self.edits = edits
        self._graph = graph
        self._accounts = accounts
        self._policy = policy
        self._clock = clock
        self._floors = floors or offline_floors("Meta's minimum was not read for this edit")

    @staticmethod
    def plan(edit: EditRecord) -> EditPlan:
        """What the edit changes (before -> after) and who must approve it."""
        return plan_of(edit)

    # ------------------------------------------------------------------ reading
    def campaign(self, ref: str | int) -> CampaignRecord:
        row = self.store.get(ref) if isinstance(ref, int) else self.store.find(str(ref).strip())
        if row is None:
            raise EditError(f"No campaign {ref!r}; `/campaign list` shows them.")
        return row

    def account_of(self, row: CampaignRecord) -> AccountConfig:
        account = self._accounts.get(row.account_key)
        if account is None:
            raise EditError(f"Account {row.account_key!r} is no longer in the accounts file.")
        return account

    def read_state(self, row: CampaignRecord) -> MetaState:
        """The editable fields as Meta holds them now (three reads: campaign, ad set, creative)."""
        if row.status not in EDITABLE or not (row.meta_campaign_id and row.adset_id and row.ad_id):
            raise EditError(f"{row.name!r} cannot be edited: it is {row.status.replace('_', ' ')}.")
        campaign = self._graph.get(
            str(row.meta_campaign_id), {"fields": "status,effective_status,daily_budget"}
        )
        adset = self._graph.get(
            str(row.adset_id), {"fields": "daily_budget,start_time,end_time,targeting"}
        )
        creative: dict[str, Any] = {}
        if row.creative_id:
            creative = self._graph.get(
                str(row.creative_id), {"fields": "name,object_story_spec,url_tags"}
            )
        video = (creative.get("object_story_spec") or {}).get("video_data") or {}
        cta = video.get("call_to_action") or {}
        campaign_budget = _int(campaign.get("daily_budget"))
        countries = ((adset.get("targeting") or {}).get("geo_locations") or {}).get("countries")
        return MetaState(
            live=row.status in LIVE_STATUSES
            or (campaign.get("status") == "ACTIVE" and row.status != Status.ARMED),
            daily_budget=campaign_budget or _int(adset.get("daily_budget")),
            budget_object="campaign" if campaign_budget else "adset",
            start_time=_meta_time(adset.get("start_time")),
            end_time=_meta_time(adset.get("end_time")),
            countries=tuple(countries or ()),
            primary_text=video.get("message"),
            headline=video.get("title"),
            description=video.get("link_description"),
            link=(cta.get("value") or {}).get("link"),
            call_to_action=cta.get("type"),
            url_tags=creative.get("url_tags"),
        )

    def propose(
        self, campaign: CampaignRecord, wanted: Mapping[str, Any]
    ) -> tuple[MetaState, Proposal]:
        """The diff of ``wanted`` against Meta, split by the account's rules; nothing stored."""
        account = self.account_of(campaign)
        state = self.read_state(campaign)
        values = parse_wanted(
            wanted, account=account, state=state, now=self._clock(), floors=self._floors
        )
        return state, propose(state, values, account)

    # ------------------------------------------------------------------ submitting
    def submit(
        self,
        campaign_id: int,
        wanted: Mapping[str, Any],
        actor: Actor,
        *,
        source: str,
        ask_approval: bool = True,
    ) -> Submitted:
        """Record the edit; apply at once what needs no approval, queue the rest for approval
        (``ask_approval=False``, the CLI: the rest is left for Slack, neither stored nor sent)."""
        row = self.campaign(campaign_id)
        _state, proposal = self.propose(row, wanted)
        if proposal.empty:
            raise EditError(f"Nothing to change: Meta already shows these values for {row.name!r}.")
        applied = awaiting = None
        account = self.account_of(row)
        if proposal.later is not None and ask_approval:
            awaiting = self.edits.add_edit(
                campaign_id=row.id,
                plan=proposal.later.to_json(),
                status=EditStatus.AWAITING_APPROVAL,
                requested_by=actor.user_id,
                source=source,
            )
            self._audit(row, actor.user_id, "edit_requested", "needs_approval", awaiting, account)
        if proposal.now is not None:
            edit = self.edits.add_edit(
                campaign_id=row.id,
                plan=proposal.now.to_json(),
                status=EditStatus.APPLYING,
                requested_by=actor.user_id,
                source=source,
            )
            self._audit(row, actor.user_id, "edit_requested", "auto_apply", edit, account)
            applied = self.apply(edit.id, actor=actor.user_id)
        return Submitted(self.campaign(row.id), applied, awaiting)

    # ------------------------------------------------------------------ deciding
    def approve(self, edit_id: int, actor: Actor) -> EditRecord:
        """An approver agrees: the edit is applied now (``apply``)."""
        edit = self._decide(edit_id, actor, ("approve", "approved"), EditStatus.APPLYING)
        return self.apply(edit.id, actor=actor.user_id)

    def reject(self, edit_id: int, actor: Actor) -> EditRecord:
        """An approver refuses: nothing is sent to Meta."""
        return self._decide(edit_id, actor, ("reject", "rejected"), EditStatus.REJECTED)

    def _decide(
        self, edit_id: int, actor: Actor, verbs: tuple[str, str], to: EditStatus
    ) -> EditRecord:
        """Role check, then the compare-and-set: of two clicks (or replicas) one decides."""
        verb, past = verbs
        edit = self._edit(edit_id)
        row = self.campaign(edit.campaign_id)
        self._require_decider(edit, row, actor, verb)
        if not self.edits.update_edit(
            edit.id,
            from_statuses=[EditStatus.AWAITING_APPROVAL],
            status=to,
            approved_by=actor.user_id,
        ):
            raise EditError(self._state_text(edit.id, past))
        self.store.audit(
            actor=actor.user_id,
            action=f"edit_{past}",
            outcome="ok",
            campaign_id=row.id,
            detail=f"edit {edit.id}",
        )
        return self._edit(edit.id)

    def _require_decider(
        self, edit: EditRecord, row: CampaignRecord, actor: Actor, verb: str
    ) -> None:
        plan = plan_of(edit)
        if plan.approval is Approval.BIG_SPEND and not self._policy.is_one_of(
            actor, plan.approvers
        ):
            self._refuse(
                row,
                actor,
                f"{verb} edit {edit.id} of",
                "the new daily budget is above the account's approval.budget_above, so it "
                f"needs an approver from {', '.join(plan.approvers)}",
            )
        elif not self._policy.is_approver(actor):
            self._refuse(row, actor, f"{verb} edit {edit.id} of", "only approvers can do this")
        if (
            verb == "approve"
            and edit.requested_by == actor.user_id
            and not self._policy.allow_self_approval
        ):
            self._refuse(
                row,
                actor,
                f"approve edit {edit.id} of",
                "requesters may not approve their own edit",
            )

    def _refuse(self, row: CampaignRecord, actor: Actor, action: str, why: str) -> None:
        self.store.audit(
            actor=actor.user_id,
            action="edit_decision",
            outcome="refused",
            campaign_id=row.id,
            detail=f"{action}: {why}",
        )
        raise NotAllowedError(f"You cannot {action} {row.name!r}: {why}.")

    # ------------------------------------------------------------------ applying
    def apply(self, edit_id: int, *, actor: str) -> EditRecord:
        """Run (or carry on) one edit under the campaign's lease; returns it as it ended.

        ``EditBusyError`` when an activation or another edit holds the campaign right now: the
        edit stays as it was and can be run again (the resume job does).
        """
        edit = self._edit(edit_id)
        if edit.status is EditStatus.INCOMPLETE:  # Finish
            if not self.edits.update_edit(
                edit.id,
                from_statuses=[EditStatus.INCOMPLETE],
                status=EditStatus.APPLYING,
                error=None,
            ):
                raise EditError(self._state_text(edit.id, "finished"))
            edit = self._edit(edit_id)
        if edit.status is not EditStatus.APPLYING:
            raise EditError(self._state_text(edit.id, "applied"))
        row = self.campaign(edit.campaign_id)
        if row.status == Status.ACTIVATING:
            raise EditBusyError(self._busy(row))
        try:
            with Lease(self.store, row, busy=self._busy(row)):
                return self._run(edit.id, actor)
        except CreationBusyError as exc:
            raise EditBusyError(str(exc)) from None

    def _busy(self, row: CampaignRecord) -> str:
        return (
            f"{row.name!r} (AdBee #{row.id}) is being activated or edited right now; your edit is "
            "kept and runs as soon as that is done. Try again in a minute."
        )

    def _run(self, edit_id: int, actor: str) -> EditRecord:
        edit = self._edit(edit_id)
        row = self.campaign(edit.campaign_id)
        account = self.account_of(row)
        plan = plan_of(edit)
        progress = dict(edit.progress)
        done: list[str] = list(progress.get("done") or [])
        step = "validated"
        try:
            updates = self._updates(row, plan, account)
            creative = self._creative_request(row, plan, edit) if plan.makes_creative else None
            if "validated" not in done:
                self._validate(row, updates, creative)
                done.append("validated")
                progress = self._save(edit, progress, done=done)
            for name, change in updates:
                step = name
                if name not in done:
                    apply_changes(self._graph, [change])
                    done.append(name)
                    progress = self._save(edit, progress, done=done)
            if creative is not None:
                step = "creative"
                if "creative" not in done:
                    new_id, progress = self._new_creative(edit, row, creative, progress)
                    done.append("creative")
                    progress = self._save(edit, progress, done=done, creative_id=new_id)
                step = "switched"
                if "switched" not in done:
                    self._switch(row, str(progress["creative_id"]), progress)
                    done.append("switched")
                    progress = self._save(edit, progress, done=done)
        except (ChangeRefusedError, MetaApiError) as exc:
            if (
                isinstance(exc, MetaApiError)
                and (exc.is_retryable or exc.is_auth)
                and not (exc.is_throttle and (exc.retry_after_seconds or 0) > 300)
            ):
                raise  # temporary: stays APPLYING, the resume job carries it on
            return self._stopped(edit, row, account, plan, done, step, exc, actor)
        self._remember(row, plan, account, creative if "switched" in done else None)
        self.edits.update_edit(
            edit.id, from_statuses=[EditStatus.APPLYING], status=EditStatus.APPLIED, error=None
        )
        self._audit(row, actor, "edit_applied", "ok", self._edit(edit.id), account)
        return self._edit(edit.id)

    def _stopped(
        self,
        edit: EditRecord,
        row: CampaignRecord,
        account: AccountConfig,
        plan: EditPlan,
        done: list[str],
        step: str,
        exc: AdBeeError,
        actor: str,
    ) -> EditRecord:
        """Meta refused: nothing changed (``refused``), or part changed (``incomplete``)."""
        cause = exc.cause if isinstance(exc, ChangeRefusedError) else exc
        words = cause.user_text() if isinstance(cause, MetaApiError) else str(exc)
        hint = cause.fix_hint() if isinstance(cause, MetaApiError) else ""
        applied = [d for d in done if d != "validated"]
        if not applied:
            message = f"Meta refused the edit: {words}. {hint} Nothing was changed.".strip()
            status = EditStatus.REFUSED
        else:
            message = (
                f"Meta refused step {step!r} of the edit: {words}. {hint} Already applied: "
                f"{', '.join(applied)}. Finish it (after fixing the cause) or undo it."
            )
            status = EditStatus.INCOMPLETE
        self.edits.update_edit(
            edit.id, from_statuses=[EditStatus.APPLYING], status=status, error=message
        )
        self._audit(row, actor, "edit_applied", status.value, self._edit(edit.id), account, message)
        return self._edit(edit.id)

    def _updates(
        self, row: CampaignRecord, plan: EditPlan, account: AccountConfig
    ) -> list[tuple[str, Change]]:
        """The budget and ad-set updates of ``plan`` (in step order)."""
        out: list[tuple[str, Change]] = []
        budget = plan.change(EditField.DAILY_BUDGET)
        if budget is not None:
            target = row.meta_campaign_id if plan.budget_object == "campaign" else row.adset_id
            label = "the campaign budget" if plan.budget_object == "campaign" else "the ad set"
            out.append(("budget", Change(str(target), {"daily_budget": int(budget.after)}, label)))
        params: dict[str, Any] = {}
        end = plan.change(EditField.END_TIME)
        if end is not None:
            params["end_time"] = to_meta(end.after, account.timezone) if end.after else 0
        countries = plan.change(EditField.COUNTRIES)
        if countries is not None:
            params["targeting"] = {
                "geo_locations": {"countries": list(countries.after)},
                "targeting_automation": {"advantage_audience": 1},
            }
            params.update(adset_declarations(account.regulation, countries.after))
        if params:
            out.append(("adset", Change(str(row.adset_id), params, "the ad set")))
        return out

    def _creative_request(
        self, row: CampaignRecord, plan: EditPlan, edit: EditRecord
    ) -> dict[str, Any]:
        """The new creative: the one the ad shows now (read from Meta), with the changes."""
        current = self._graph.get(
            str(edit.progress.get("old_creative_id") or row.creative_id),
            {"fields": "name,object_story_spec,url_tags"},
        )
        approved = dict(((row.last_sync or {}).get(REQUESTS_KEY) or {}).get("creative") or {})
        story = dict(current.get("object_story_spec") or approved.get("object_story_spec") or {})
        video = dict(story.get("video_data") or {})
        cta = dict(video.get("call_to_action") or {})
        value = dict(cta.get("value") or {})
        for change in plan.changes:
            after = change.after
            if change.field is EditField.PRIMARY_TEXT:
                video["message"] = after
            elif change.field is EditField.HEADLINE:
                video["title"] = after
            elif change.field is EditField.DESCRIPTION:
                if after:
                    video["link_description"] = after
                else:
                    video.pop("link_description", None)
            elif change.field is EditField.LINK:
                value["link"] = after
            elif change.field is EditField.CALL_TO_ACTION:
                cta["type"] = after
        cta["value"] = value
        video["call_to_action"] = cta
        story["video_data"] = video
        params = {
            k: v for k, v in approved.items() if k not in ("name", "object_story_spec", "url_tags")
        }
        base_name = str(current.get("name") or approved.get("name") or row.name).split(" · edit ")[
            0
        ]
        params["name"] = f"{base_name} · edit {edit.id}"
        params["object_story_spec"] = story
        tags = plan.change(EditField.URL_TAGS)
        url_tags = tags.after if tags is not None else current.get("url_tags")
        if url_tags:
            params["url_tags"] = url_tags
        return params

    def _validate(
        self, row: CampaignRecord, updates: list[tuple[str, Change]], creative: dict | None
    ) -> None:
        """Meta checks every change without making it; a refusal raises ``ChangeRefusedError``."""
        validate_changes(self._graph, [change for _name, change in updates])
        if creative is not None:
            validate_create(
                self._graph, f"{row.ad_account_id}/adcreatives", creative, "the new creative"
            )

    def _new_creative(
        self, edit: EditRecord, row: CampaignRecord, request: dict[str, Any], progress: dict
    ) -> tuple[str, dict[str, Any]]:
        """Post the new creative once: a create whose answer was lost is found by its name."""
        if progress.get("creative_id"):
            return str(progress["creative_id"]), progress
        if progress.get("creative_posted"):
            found = self._find_creative(row, str(request["name"]))
            if found:
                return found, progress
        progress = self._save(edit, progress, creative_posted=True, old_creative_id=row.creative_id)
        answer = self._graph.post(f"{row.ad_account_id}/adcreatives", dict(request))
        return str(answer["id"]), progress

    def _find_creative(self, row: CampaignRecord, name: str) -> str | None:
        params: dict[str, Any] = {"fields": "id,name", "limit": 100}
        for _page in range(_PAGES):
            body = self._graph.get(f"{row.ad_account_id}/adcreatives", params)
            for item in body.get("data", []):
                if item.get("name") == name:
                    return str(item["id"])
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not after or not paging.get("next"):
                return None
            params = {**params, "after": after}
        return None

    def _switch(self, row: CampaignRecord, creative_id: str, progress: dict[str, Any]) -> None:
        """Point the ad at the new creative (validated first; idempotent), then record the swap."""
        apply_changes(
            self._graph,
            [Change(str(row.ad_id), {"creative": {"creative_id": creative_id}}, "the ad")],
        )
        self.store.swap_in(
            row.id,
            ObjectRef(ObjectKind.AD),
            ObjectRef(ObjectKind.CREATIVE, f"edit-{creative_id}"),
            creative_id,
            step=Step.CREATIVE,
        )

    def _save(self, edit: EditRecord, progress: dict[str, Any], **fields: Any) -> dict[str, Any]:
        """Commit the progress before the next call to Meta."""
        merged = {**progress, **fields}
        if not self.edits.update_edit(
            edit.id, from_statuses=[EditStatus.APPLYING], progress=merged
        ):
            raise EditError(self._state_text(edit.id, "applied"))
        return merged

    def _remember(
        self,
        row: CampaignRecord,
        plan: EditPlan,
        account: AccountConfig,
        creative: dict[str, Any] | None,
    ) -> None:
        """The local row follows what Meta now runs: the spec, the requests as sent (what the
        drift watch compares with) and an approval's fingerprint over them."""
        fresh = self.campaign(row.id)
        spec = dict(fresh.spec)
        for change in plan.changes:
            key = (
                "daily_budget_minor"
                if change.field is EditField.DAILY_BUDGET
                else change.field.value
            )
            value = change.after
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            spec[key] = value
            if change.field is EditField.PRIMARY_TEXT:
                spec["primary_texts"] = [value, *list(spec.get("primary_texts") or [])[1:]]
            if change.field is EditField.HEADLINE:
                spec["headlines"] = [value, *list(spec.get("headlines") or [])[1:]]
        self.store.set_spec(row.id, spec)
        sync = dict(fresh.last_sync or {})
        requests = {k: dict(v) for k, v in (sync.get(REQUESTS_KEY) or {}).items()}
        if requests:
            for name, update in self._updates(fresh, plan, account):
                level = (
                    "campaign" if name == "budget" and plan.budget_object == "campaign" else "adset"
                )
                requests.setdefault(level, {}).update(update.params)
            if creative is not None:
                requests["creative"] = dict(creative)
            sync[REQUESTS_KEY] = requests
            approved = sync.get(APPROVAL_KEY)
            if approved and approved.get("material"):
                material = approval_material(requests, approved["material"].get("activate_at"))
                sync[APPROVAL_KEY] = {
                    **approved,
                    "fingerprint": fingerprint(material),
                    "material": material,
                }
            self.store.set_last_sync(row.id, sync)

    # ------------------------------------------------------------------ finish, undo, resume
    def undo(self, edit_id: int, actor: Actor) -> EditRecord:
        """Set an incomplete edit's applied changes back to their "before" values."""
        edit = self._edit(edit_id)
        row = self.campaign(edit.campaign_id)
        if not self._policy.is_approver(actor) and actor.user_id != edit.requested_by:
            self._refuse(row, actor, f"undo edit {edit.id} of", "only approvers or its requester")
        if edit.status is not EditStatus.INCOMPLETE:
            raise EditError(self._state_text(edit.id, "undone"))
        plan = plan_of(edit)
        account = self.account_of(row)
        done = set(edit.progress.get("done") or [])
        reverse = EditPlan(
            tuple(
                type(c)(c.field, c.after, c.before, c.kind)
                for c in plan.changes
                if c.before is not None
            ),
            plan.approval,
            plan.approvers,
            plan.budget_object,
        )
        with Lease(self.store, row, busy=self._busy(row)):
            back = [change for name, change in self._updates(row, reverse, account) if name in done]
            apply_changes(self._graph, back)
            new_id = edit.progress.get("creative_id")
            if new_id and "switched" not in done:
                try:
                    self._graph.delete(str(new_id))
                except MetaApiError as exc:
                    log.info("could not delete the unused creative %s: %s", new_id, exc)
        self.edits.update_edit(
            edit.id, from_statuses=[EditStatus.INCOMPLETE], status=EditStatus.UNDONE
        )
        self._audit(row, actor.user_id, "edit_undone", "ok", self._edit(edit.id), account)
        return self._edit(edit.id)

    def stopped(self) -> list[int]:
        """Edits left ``applying`` whose campaign nobody holds (a crash, a lost replica)."""
        ids = []
        for edit in self.edits.list_edits(statuses=[EditStatus.APPLYING]):
            row = self.store.get(edit.campaign_id)
            if row is not None and row.status != Status.ACTIVATING and lease_is_free(row):
                ids.append(edit.id)
        return ids

    def resume_stopped(self) -> list[EditRecord]:
        """Carry on every stopped edit once (at start-up, and from the scheduler's scan)."""
        finished = []
        for edit_id in self.stopped():
            try:
                finished.append(self.apply(edit_id, actor="adbee"))
            except EditBusyError:
                continue
            except AdBeeError as exc:
                log.warning("edit %s could not be carried on yet: %s", edit_id, exc)
        return finished

    # ------------------------------------------------------------------ reading edits
    def open_edits(self, campaign_id: int) -> list[EditRecord]:
        return self.edits.list_edits(campaign_id=campaign_id, statuses=OPEN_EDIT_STATUSES)

    def get(self, edit_id: int) -> EditRecord:
        return self._edit(edit_id)

    def lines(self, edit: EditRecord) -> list[str]:
        row = self.campaign(edit.campaign_id)
        account = self.account_of(row)
        return plan_of(edit).lines(account.currency, account.timezone)

    def history(self, campaign_id: int) -> list[str]:
        """Every edit and decision on the campaign, oldest first (the audit trail's words)."""
        row = self.campaign(campaign_id)
        account = self._accounts.get(row.account_key)
        tz = account.timezone if account else "UTC"
        from meta.domain.times import format_local

        return [
            f"{format_local(event.at, tz)} · {event.actor} · {event.action.replace('_', ' ')}"
            f" ({event.outcome.replace('_', ' ')})" + (f": {event.detail}" if event.detail else "")
            for event in self.store.audit_events(campaign_id=campaign_id)
        ]

    def _audit(
        self,
        row: CampaignRecord,
        actor: str,
        action: str,
        outcome: str,
        edit: EditRecord,
        account: AccountConfig,
        extra: str | None = None,
    ) -> None:
        lines = plan_of(edit).lines(account.currency, account.timezone)
        who = f"; approved by {edit.approved_by}" if edit.approved_by else ""
        detail = f"edit {edit.id}: {'; '.join(lines)}{who}" + (f" — {extra}" if extra else "")
        self.store.audit(
            actor=actor, action=action, outcome=outcome, campaign_id=row.id, detail=detail
        )

    def _edit(self, edit_id: int) -> EditRecord:
        edit = self.edits.get_edit(edit_id)
        if edit is None:
            raise EditError(f"No edit #{edit_id}.")
        return edit

    def _state_text(self, edit_id: int, verb: str) -> str:
        edit = self._edit(edit_id)
        return f"Edit {edit.id} cannot be {verb}: it is {edit.status.value.replace('_', ' ')}."


def budget_note(account: AccountConfig, plan: EditPlan) -> str | None:
    """Why a budget change waits for the big-spend approvers, in the account's currency."""
    if plan.approval is not Approval.BIG_SPEND or account.approval.budget_above is None:
        return None
    above = to_minor(account.approval.budget_above, account.currency)
    return (
        f"{LABELS[EditField.DAILY_BUDGET]} above {format_minor(above, account.currency)} "
        f"needs one of {', '.join(plan.approvers)}"
    )
