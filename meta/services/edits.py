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
from meta.domain.edit_creative import (
    CREATIVE_READ_FIELDS,
    creative_format,
    edited_creative,
    edited_groups,
    texts_of,
)
from meta.domain.edits import (
    ADD_MEDIA,
    CREATIVE_FIELDS,
    LABELS,
    REPLACE_MEDIA,
    VIDEO_FIELDS,
    Approval,
    EditField,
    EditPlan,
    MediaCheck,
    MediaFile,
    MetaState,
    Proposal,
    parse_wanted,
    propose,
    step_label,
)
from meta.domain.errors import AdBeeError, MetaApiError
from meta.domain.minimum_budgets import FloorSource, offline_floors
from meta.domain.money import format_minor, to_minor
from meta.domain.ports import CampaignRepository, EditRepository, GraphApi
from meta.domain.records import (
    MAIN,
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
from meta.services.edit_media import EditMedia, EditMediaError, ReadyMedia, media_key
from meta.services.previews import APPROVAL_KEY, REQUESTS_KEY, request_name

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


# The fields the campaign's spec keeps (a new video or image lives in its objects instead).
_SPEC_FIELDS = frozenset(EditField) - REPLACE_MEDIA - ADD_MEDIA


def _ads(row: CampaignRecord) -> list[Any]:
    """The campaign's ads that run (made in Meta, not rejected), in ad order."""
    return [ad for ad in row.remaining_ads if ad.meta_id]


def _creative_level(key: str) -> str:
    """The name of an ad's creative among the requests as sent (``requests_of``)."""
    return request_name("creative", key)


def _sent(row: CampaignRecord, level: str, key: str) -> dict[str, Any]:
    """Ad ``key``'s request of ``level`` (``creative``, ``ad``) as last sent, or {}."""
    requests = (row.last_sync or {}).get(REQUESTS_KEY) or {}
    return dict(requests.get(request_name(level, key)) or {})


def _ad_label(key: str) -> str:
    return "the ad" if key == MAIN else f"ad {key}"


def _sent_creative(row: CampaignRecord, key: str) -> dict[str, Any]:
    """The creative of ad ``key`` as the creation (or the last edit) sent it."""
    requests = (row.last_sync or {}).get(REQUESTS_KEY) or {}
    return dict(requests.get(_creative_level(key)) or requests.get("creative") or {})


def _current_progress(progress: Mapping[str, Any], row: CampaignRecord) -> dict[str, Any]:
    """An edit's progress in today's per-ad form: one stored before edits covered every ad
    (``creative``/``switched`` of the one ad, ``old_creative_id``) is read as its first ad's."""
    out = dict(progress)
    if "ads" in out or not (out.get("creative_posted") or out.get("creative_id")):
        return out
    key = row.first_ad_key
    out["ads"] = {key: out.get("old_creative_id") or row.creative_of(key)}
    names = {"creative": f"creative:{key}", "switched": f"switched:{key}"}
    out["done"] = [names.get(step, step) for step in out.get("done") or []]
    out["creative_posted"] = [key] if out.get("creative_posted") else []
    if out.get("creative_id"):
        out["creative_ids"] = {key: out["creative_id"]}
    return out


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
        media: EditMedia | None = None,
        check_media: MediaCheck | None = None,
    ) -> None:
        self.store = store
        self._media = media
        self._check_media = check_media
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
        """The editable fields as Meta holds them now (three reads: campaign, ad set, and the
        creative of the first ad, whose texts every ad's new creative takes)."""
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
            creative = self._graph.get(str(row.creative_id), {"fields": CREATIVE_READ_FIELDS})
        texts = texts_of(creative)
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
            primary_text=texts.get("primary_text"),
            headline=texts.get("headline"),
            description=texts.get("description"),
            link=texts.get("link"),
            call_to_action=texts.get("call_to_action"),
            url_tags=creative.get("url_tags"),
            # A flexible ad carries its assets on the ad (creative_asset_groups_spec): its
            # videos are not replaced by an edit, like a placement pair's.
            creative_format="flexible"
            if _sent(row, "ad", row.first_ad_key).get("creative_asset_groups_spec")
            else creative_format(creative),
            video=texts.get("video"),
            image=texts.get("image"),
            ads=len(_ads(row)),
        )

    def propose(
        self, campaign: CampaignRecord, wanted: Mapping[str, Any]
    ) -> tuple[MetaState, Proposal]:
        """The diff of ``wanted`` against Meta, split by the account's rules; nothing stored."""
        account = self.account_of(campaign)
        state = self.read_state(campaign)
        values = parse_wanted(
            wanted,
            account=account,
            state=state,
            now=self._clock(),
            floors=self._floors,
            check_media=self._check_media,
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
        progress = _current_progress(edit.progress, row)
        if progress != edit.progress:
            progress = self._save(edit, {}, **progress)
        done: list[str] = list(progress.get("done") or [])
        step = "validated"
        sent: dict[str, dict[str, Any]] = {}  # request level -> the new creative or ad as sent
        try:
            if "ads" not in progress:  # which ads get a new creative, and what each shows now
                progress = self._save(edit, progress, **self._targets(row, plan))
            targets: dict[str, str] = dict(progress["ads"])
            media_key_of = self._media_target(row, plan)
            updates = self._updates(row, plan, account)
            if "validated" not in done:
                texts = {
                    key: self._creative_request(row, plan, edit, key, old)
                    for key, old in targets.items()
                    if key != media_key_of
                }
                self._validate(row, updates, list(texts.values()))
                done.append("validated")
                progress = self._save(edit, progress, done=done)
            for name, change in updates:
                step = name
                if name not in done:
                    apply_changes(self._graph, [change])
                    done.append(name)
                    progress = self._save(edit, progress, done=done)
            ready: ReadyMedia | None = None
            media = plan.media
            if media is not None:
                step = "media"
                if "media" not in done:
                    ready = self._prepare_media(row, account, edit, media.field, media.after)
                    done.append("media")
                    progress = self._save(edit, progress, done=done, media=ready.to_json())
                ready = ReadyMedia.from_json(progress["media"])
            for key, old in targets.items():
                with_media = ready if key == media_key_of else None
                request = self._creative_request(row, plan, edit, key, old, with_media)
                sent[_creative_level(key)] = request
                step = f"creative:{key}"
                if step not in done:
                    if with_media is not None:  # made after the upload: checked by Meta now
                        self._validate(row, [], [request])
                    new_id, progress = self._new_creative(edit, row, key, request, progress)
                    progress = self._save_creative(edit, progress, done, step, key, new_id)
                step = f"switched:{key}"
                if step not in done:
                    self._switch(row, key, str(progress["creative_ids"][key]), with_media, edit)
                    done.append(step)
                    progress = self._save(edit, progress, done=done)
            if media is not None and media.field in ADD_MEDIA:
                assert ready is not None
                step = "creative:new"
                progress = self._added_ad(edit, row, plan, ready, progress, done, sent)
        except (ChangeRefusedError, MetaApiError) as exc:
            if (
                isinstance(exc, MetaApiError)
                and (exc.is_retryable or exc.is_auth)
                and not (exc.is_throttle and (exc.retry_after_seconds or 0) > 300)
            ):
                raise  # temporary: stays APPLYING, the resume job carries it on
            return self._stopped(edit, row, account, plan, done, step, exc, actor)
        except EditMediaError as exc:  # the file is gone or changed: nothing can bring it back
            return self._stopped(edit, row, account, plan, done, step, exc, actor)
        self._remember(row, plan, account, sent)
        self.edits.update_edit(
            edit.id, from_statuses=[EditStatus.APPLYING], status=EditStatus.APPLIED, error=None
        )
        self._audit(row, actor, "edit_applied", "ok", self._edit(edit.id), account)
        return self._edit(edit.id)

    def _targets(self, row: CampaignRecord, plan: EditPlan) -> dict[str, Any]:
        """The ads that get a new creative, each with the creative it shows now (committed
        before anything is sent, so a resume swaps the same ads from the same creatives), and
        the key an added ad will have."""
        keys: list[str] = []
        if plan.fields & CREATIVE_FIELDS:  # every ad shows the campaign's texts and link
            keys = [ad.key for ad in _ads(row)]
        elif plan.fields & REPLACE_MEDIA:
            keys = [row.first_ad_key]
        out: dict[str, Any] = {"ads": {key: row.creative_of(key) for key in keys}}
        if plan.fields & ADD_MEDIA:
            numbers = [1] + [
                int(o.key) for o in row.objects if o.kind is ObjectKind.AD and o.key.isdigit()
            ]
            out["new_ad_key"] = str(max(numbers) + 1)
        return out

    @staticmethod
    def _media_target(row: CampaignRecord, plan: EditPlan) -> str | None:
        """The ad whose video or image the edit replaces (the first ad), if it replaces one."""
        return row.first_ad_key if plan.fields & REPLACE_MEDIA else None

    def _prepare_media(
        self,
        row: CampaignRecord,
        account: AccountConfig,
        edit: EditRecord,
        name: EditField,
        file: Any,
    ) -> ReadyMedia:
        if self._media is None:
            raise EditError("This AdBee cannot upload a new video or image (no Meta uploader).")
        media = file if isinstance(file, MediaFile) else MediaFile.from_json(file)
        return self._media.prepare(row, account, edit.id, media, video=name in VIDEO_FIELDS)

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
        applied = [step_label(d) for d in done if d != "validated"]
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
        self,
        row: CampaignRecord,
        plan: EditPlan,
        edit: EditRecord,
        key: str,
        old_id: str | None,
        media: ReadyMedia | None = None,
    ) -> dict[str, Any]:
        """The new creative of the ad ``key``: the one it showed before the edit (read from
        Meta; the request as sent when Meta answers less), with the changes and new media."""
        approved = _sent_creative(row, key)
        current = self._graph.get(
            str(old_id or row.creative_of(key)), {"fields": CREATIVE_READ_FIELDS}
        )
        if not (current.get("object_story_spec") or current.get("asset_feed_spec")):
            current = {**approved, **{k: v for k, v in current.items() if v}}
        base = str(current.get("name") or approved.get("name") or row.name).split(" · edit ")[0]
        return edited_creative(
            current,
            [c for c in plan.changes if c.field in CREATIVE_FIELDS],
            name=f"{base} · edit {edit.id}",
            controls=approved,
            video=(str(media.video_id), str(media.thumbnail)) if media and media.video_id else None,
            image_hash=media.image_hash if media else None,
        )

    def _validate(
        self, row: CampaignRecord, updates: list[tuple[str, Change]], creatives: list[dict]
    ) -> None:
        """Meta checks every change without making it; a refusal raises ``ChangeRefusedError``."""
        validate_changes(self._graph, [change for _name, change in updates])
        for creative in creatives:
            validate_create(
                self._graph, f"{row.ad_account_id}/adcreatives", creative, "the new creative"
            )

    def _new_creative(
        self,
        edit: EditRecord,
        row: CampaignRecord,
        key: str,
        request: dict[str, Any],
        progress: dict[str, Any],
    ) -> tuple[str, dict[str, Any]]:
        """Post the ad's new creative once: a create whose answer was lost is found by its name."""
        made = dict(progress.get("creative_ids") or {})
        if made.get(key):
            return str(made[key]), progress
        posted = list(progress.get("creative_posted") or [])
        if key in posted:
            found = self._find_named(f"{row.ad_account_id}/adcreatives", str(request["name"]))
            if found:
                return found, progress
        else:
            progress = self._save(edit, progress, creative_posted=[*posted, key])
        answer = self._graph.post(f"{row.ad_account_id}/adcreatives", dict(request))
        return str(answer["id"]), progress

    def _find_named(self, path: str, name: str) -> str | None:
        """The id of the object named ``name`` on the edge ``path`` (a lost create's answer)."""
        params: dict[str, Any] = {"fields": "id,name", "limit": 100}
        for _page in range(_PAGES):
            body = self._graph.get(path, params)
            for item in body.get("data", []):
                if item.get("name") == name:
                    return str(item["id"])
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not after or not paging.get("next"):
                return None
            params = {**params, "after": after}
        return None

    def _switch(
        self,
        row: CampaignRecord,
        key: str,
        creative_id: str,
        media: ReadyMedia | None,
        edit: EditRecord,
    ) -> None:
        """Point the ad ``key`` at its new creative (validated first; idempotent), then record
        the swap: the old creative stays in Meta, ``replaced``."""
        ad_id = row.meta_id(ObjectRef(ObjectKind.AD, key))
        switch: dict[str, Any] = {"creative": {"creative_id": creative_id}}
        groups = _sent(row, "ad", key).get("creative_asset_groups_spec")
        if groups:  # a flexible ad: its groups carry the texts too, edited with the creative
            texts = [c for c in plan_of(edit).changes if c.field in CREATIVE_FIELDS]
            switch["creative_asset_groups_spec"] = edited_groups(groups, texts)
        apply_changes(self._graph, [Change(str(ad_id), switch, _ad_label(key))])
        new = ObjectRef(ObjectKind.CREATIVE, f"edit-{creative_id}")
        if media is not None:  # the new creative shows the edit's video or image
            shows = ObjectKind.VIDEO if media.video_id else ObjectKind.IMAGE
            self.store.record_meta_object(
                row.id,
                new,
                creative_id,
                step=Step.CREATIVE,
                uses=ObjectRef(shows, media_key(edit.id)),
            )
        self.store.swap_in(
            row.id, ObjectRef(ObjectKind.AD, key), new, creative_id, step=Step.CREATIVE
        )

    def _added_ad(
        self,
        edit: EditRecord,
        row: CampaignRecord,
        plan: EditPlan,
        ready: ReadyMedia,
        progress: dict[str, Any],
        done: list[str],
        sent: dict[str, dict[str, Any]],
    ) -> dict[str, Any]:
        """One more ad in the ad set showing the edit's video or image, with the campaign's texts
        (the first ad's creative, edited): its creative, then the ad, each posted once and
        recorded as the campaign's ad ``new_ad_key`` (the activation switches it on with the
        others; a live campaign's new ad starts as its first ad is)."""
        key = str(progress["new_ad_key"])
        first = row.first_ad_key
        request = self._creative_request(
            row,
            plan,
            edit,
            first,
            dict(progress["ads"]).get(first) or row.creative_of(first),
            ready,
        )
        request["name"] = f"{request['name']} · ad {key}"
        sent[_creative_level(key)] = request
        shows = ObjectKind.VIDEO if ready.video_id else ObjectKind.IMAGE
        if "creative:new" not in done:
            self._validate(row, [], [request])
            new_id, progress = self._new_creative(edit, row, "new", request, progress)
            self.store.record_meta_object(
                row.id,
                ObjectRef(ObjectKind.CREATIVE, key),
                new_id,
                step=Step.CREATIVE,
                name=str(request["name"]),
                uses=ObjectRef(shows, media_key(edit.id)),
            )
            progress = self._save_creative(edit, progress, done, "creative:new", "new", new_id)
        if "ad:new" in done:
            return progress
        creative_id = str(progress["creative_ids"]["new"])
        model = self._graph.get(str(row.ad_id), {"fields": "name,status"})
        params: dict[str, Any] = {
            "name": f"{str(model.get('name') or row.name).split(' · edit ')[0]} · edit {edit.id}",
            "adset_id": str(row.adset_id),
            "creative": {"creative_id": creative_id},
            "status": "ACTIVE" if model.get("status") == "ACTIVE" else "PAUSED",
        }
        path = f"{row.ad_account_id}/ads"
        found = None
        if progress.get("ad_posted"):
            found = self._find_named(f"{row.adset_id}/ads", params["name"])
        else:
            validate_create(self._graph, path, params, "the new ad")
            progress = self._save(edit, progress, ad_posted=True)
        ad_id = found or str(self._graph.post(path, dict(params))["id"])
        self.store.record_meta_object(
            row.id,
            ObjectRef(ObjectKind.AD, key),
            ad_id,
            step=Step.AD,
            name=params["name"],
            parent=ObjectRef(ObjectKind.ADSET),
            uses=ObjectRef(ObjectKind.CREATIVE, key),
        )
        done.append("ad:new")
        sent[f"ad {key}"] = params
        return self._save(edit, progress, done=done, new_ad_id=ad_id)

    def _save(self, edit: EditRecord, progress: dict[str, Any], **fields: Any) -> dict[str, Any]:
        """Commit the progress before the next call to Meta."""
        merged = {**progress, **fields}
        if not self.edits.update_edit(
            edit.id, from_statuses=[EditStatus.APPLYING], progress=merged
        ):
            raise EditError(self._state_text(edit.id, "applied"))
        return merged

    def _save_creative(
        self,
        edit: EditRecord,
        progress: dict[str, Any],
        done: list[str],
        step: str,
        key: str,
        new_id: str,
    ) -> dict[str, Any]:
        """Step ``step`` made creative ``new_id`` for ``key``: committed with the others made so
        far (``creative_id`` stays the first one, what an older one-ad edit recorded)."""
        done.append(step)
        made = {**dict(progress.get("creative_ids") or {}), key: new_id}
        return self._save(
            edit,
            progress,
            done=done,
            creative_ids=made,
            creative_id=progress.get("creative_id") or new_id,
        )

    def _remember(
        self,
        row: CampaignRecord,
        plan: EditPlan,
        account: AccountConfig,
        sent: Mapping[str, dict[str, Any]],
    ) -> None:
        """The local row follows what Meta now runs: the spec, the requests as sent (what the
        drift watch compares with: ``creative`` for the first ad, ``creative N``/``ad N``
        after) and an approval's fingerprint over them."""
        fresh = self.campaign(row.id)
        spec = dict(fresh.spec)
        for change in plan.changes:
            if change.field not in _SPEC_FIELDS:
                continue  # a new video or image is recorded as the ad's objects, not the spec's
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
            # Every ad shows the edited text now (each got a new creative).
            if change.field is EditField.PRIMARY_TEXT:
                spec["primary_texts"] = [value for _ in spec.get("primary_texts") or [0]]
            if change.field is EditField.HEADLINE:
                spec["headlines"] = [value for _ in spec.get("headlines") or [0]]
        self.store.set_spec(row.id, spec)
        sync = dict(fresh.last_sync or {})
        requests = {k: dict(v) for k, v in (sync.get(REQUESTS_KEY) or {}).items()}
        if requests:
            for name, update in self._updates(fresh, plan, account):
                level = (
                    "campaign" if name == "budget" and plan.budget_object == "campaign" else "adset"
                )
                requests.setdefault(level, {}).update(update.params)
            for level, request in sent.items():
                requests[level] = dict(request)
            texts = [c for c in plan.changes if c.field in CREATIVE_FIELDS]
            for ad in _ads(fresh):
                ad_request = requests.get(request_name("ad", ad.key)) or {}
                if texts and ad_request.get("creative_asset_groups_spec"):
                    requests[request_name("ad", ad.key)] = {
                        **ad_request,
                        "creative_asset_groups_spec": edited_groups(
                            ad_request["creative_asset_groups_spec"], texts
                        ),
                    }
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
        progress = _current_progress(edit.progress, row)
        done = set(progress.get("done") or [])
        with Lease(self.store, row, busy=self._busy(row)):
            back = [change for name, change in self._updates(row, reverse, account) if name in done]
            apply_changes(self._graph, back)
            old = dict(progress.get("ads") or {})
            for key, new_id in dict(progress.get("creative_ids") or {}).items():
                if f"switched:{key}" in done and old.get(key):
                    self._switch_back(row, key, str(old[key]))
                try:  # unused now: deleted (Meta refuses while an ad shows it)
                    self._graph.delete(str(new_id))
                except MetaApiError as exc:
                    log.info("could not delete the unused creative %s: %s", new_id, exc)
                    continue
                if key == "new" and progress.get("new_ad_key"):  # recorded for the added ad
                    self.store.mark_deleted(
                        row.id, ObjectRef(ObjectKind.CREATIVE, str(progress["new_ad_key"]))
                    )
        self.edits.update_edit(
            edit.id, from_statuses=[EditStatus.INCOMPLETE], status=EditStatus.UNDONE
        )
        self._audit(row, actor.user_id, "edit_undone", "ok", self._edit(edit.id), account)
        return self._edit(edit.id)

    def _switch_back(self, row: CampaignRecord, key: str, old_id: str) -> None:
        """Undo of one ad's swap: the ad shows the creative it showed before the edit again."""
        ad_id = row.meta_id(ObjectRef(ObjectKind.AD, key))
        apply_changes(
            self._graph,
            [Change(str(ad_id), {"creative": {"creative_id": old_id}}, _ad_label(key))],
        )
        before = next(
            (o for o in row.objects if o.kind is ObjectKind.CREATIVE and o.meta_id == old_id),
            None,
        )
        ref = before.ref if before else ObjectRef(ObjectKind.CREATIVE, f"edit-{old_id}")
        self.store.swap_in(row.id, ObjectRef(ObjectKind.AD, key), ref, old_id, step=Step.CREATIVE)

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
