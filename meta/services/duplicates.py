"""Duplicate a campaign: the same campaign again, as a new request, for this or another account.

"Launch the same campaign for Malaysia" is an agency's daily work. A duplicate is a new creation
request like any other: checked as one (``CampaignService.validate``), created PAUSED by the
pipeline's persisted, resumable steps, and approved in Slack before anything spends. What it
starts from is what Meta holds now (``EditService.read_state``: budget, end time, countries and
the ad's texts, link, call to action and URL tags, so an edit made since, in AdBee or in Ads
Manager, is carried over), and the source's videos:

- **Same ad account**: the videos Meta already holds are reused, never uploaded again. The
  duplicate carries the sha256 of each (``shared_videos``, one upload per content and account),
  so the pipeline joins the account's upload even when the file AdBee downloaded from Slack is
  gone from this server.
- **Another ad account**: a video belongs to the ad account it was uploaded to (a creative
  naming another account's video is refused: "The video … does not exist in this ad account"),
  so it is uploaded there again from the file AdBee kept. Meta's ``POST /<campaign>/copies``
  (``deep_copy``, ``status_option``, ``rename_options``; Marketing API reference
  ad-campaign-group/copies) is not used: it copies within the source's own ad account only (it
  takes no destination account), it cannot change the countries, budget or texts on the way, and
  a deep copy of more than three objects has to go through an asynchronous batch. The
  pipeline's own creation gives the same result with every step persisted and resumable, and
  the naming, creative policy and approval rules of the destination account.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from meta.domain.edits import MetaState
from meta.domain.errors import AdBeeError, MetaApiError
from meta.domain.money import offset
from meta.domain.ports import CampaignRepository
from meta.domain.records import CampaignRecord, ObjectKind, ObjectRef
from meta.domain.spec import CampaignSpec
from meta.services.campaigns import CampaignService
from meta.services.edits import EditError, EditService
from meta.services.summary import CampaignSummary

# A source whose start has passed: the duplicate starts at the next whole hour after this lead.
START_LEAD = timedelta(hours=1)


class DuplicateError(AdBeeError):
    """The campaign cannot be duplicated (not found, or not made in Meta yet)."""


@dataclass(frozen=True)
class DuplicateDraft:
    """The create request a duplicate starts from (the create modal's or a campaign file's
    fields), and where it comes from."""

    source: CampaignRecord
    request: dict[str, Any]
    notes: tuple[str, ...] = field(default=())


class DuplicateService:
    def __init__(
        self,
        campaigns: CampaignService,
        edits: EditService,
        store: CampaignRepository,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._campaigns = campaigns
        self._edits = edits
        self._store = store
        self._clock = clock

    def draft(
        self,
        ref: str | int,
        *,
        account: str | None = None,
        name: str | None = None,
        countries: Sequence[str] | None = None,
        daily_budget: str | None = None,
        start_time: str | None = None,
        end_time: str | None = None,
    ) -> DuplicateDraft:
        """The source's request with what Meta holds now, and the given fields changed."""
        source = self._edits.campaign(ref)
        if not source.meta_campaign_id:
            raise DuplicateError(
                f"{source.name!r} has no campaign in Meta yet ({source.status}); duplicate it "
                "once it is created."
            )
        spec = CampaignSpec.from_json(source.spec)
        notes: list[str] = []
        try:
            state = self._edits.read_state(source)
        except (EditError, MetaApiError):  # ended, deleted in Meta: what AdBee sent then
            state = _as_sent(spec)
            notes.append("Meta no longer shows this campaign's values: AdBee's record is used.")
        target = account or source.account_key
        budget = state.daily_budget or spec.daily_budget_minor
        target_account = self._campaigns.accounts.get(target)
        if daily_budget is None:
            daily_budget = str(Decimal(budget) / offset(spec.currency))
            if target_account is not None and target_account.currency != spec.currency:
                notes.append(
                    f"The daily budget is {daily_budget} in {target_account.currency}: "
                    f"{spec.currency} {daily_budget} at the source, not converted; check it."
                )
        start, end = state.start_time or spec.start_time, state.end_time or spec.end_time
        if start_time is None and start < self._clock() + START_LEAD / 2:
            moved = _next_hour(self._clock() + START_LEAD)
            end = end + (moved - start) if end else None
            start = moved
            notes.append("The source's start has passed: the duplicate starts in about an hour.")
        one_text = len(spec.primary_texts) == 1 and len(spec.headlines) == 1
        request: dict[str, Any] = {
            "account": target,
            "name": name or _copy_name(source.name, same=target == source.account_key),
            "daily_budget": daily_budget,
            "start_time": start_time or start.isoformat(),
            "end_time": end_time or (end.isoformat() if end else None),
            "countries": list(countries) if countries else list(state.countries or spec.countries),
            "description": (state.description if one_text else None) or spec.description,
            "link": (state.link if one_text else None) or spec.link,
            "call_to_action": state.call_to_action or spec.call_to_action,
            "creative_mode": spec.creative_mode,
        }
        if one_text:
            request["primary_text"] = state.primary_text or spec.primary_text
            request["headline"] = state.headline or spec.headline
        else:
            request["primary_texts"] = list(spec.primary_texts)
            request["headlines"] = list(spec.headlines)
        if state.url_tags and state.url_tags != spec.url_tags:
            request["url_tags"] = state.url_tags  # changed since: keep Meta's
        if spec.images:  # image ads: uploaded by content hash, so an upload again costs little
            request["images"] = [str(path) for path in spec.images]
        videos = [str(path) for path in spec.videos]
        if len(videos) == 1:
            request["video"] = videos[0]
        else:
            request["videos"] = videos
        return DuplicateDraft(source, request, tuple(notes))

    def reused(self, source: CampaignRecord, request: Mapping[str, Any]) -> dict[str, str]:
        """The source's videos the request may use without an upload (path -> sha256): all of
        them in the source's own ad account, none in another (Meta's videos are per account)."""
        target = self._campaigns.accounts.get(str(request.get("account") or ""))
        if target is None or target.ad_account_id != source.ad_account_id:
            return {}
        spec = CampaignSpec.from_json(source.spec)
        found: dict[str, str] = {}
        for upload in spec.uploads():
            meta_id = source.meta_id(ObjectRef(ObjectKind.VIDEO, upload.key))
            digest = meta_id and self._store.shared_video_sha256(
                ad_account_id=source.ad_account_id, meta_id=meta_id
            )
            if digest:
                found[str(upload.path)] = digest
        return found

    def check(
        self, draft: DuplicateDraft, request: Mapping[str, Any] | None = None
    ) -> CampaignSpec:
        """The duplicate's spec, checked like any creation (``ValidationError`` lists problems)."""
        request = request if request is not None else draft.request
        return self._campaigns.validate(request, reused=self.reused(draft.source, request))

    def source(self, campaign_id: int | str) -> CampaignRecord:
        """The campaign a duplicate copies (``DuplicateError`` when it is gone)."""
        row = self._store.get(int(campaign_id))
        if row is None:
            raise DuplicateError(f"The campaign #{campaign_id} this duplicates is gone.")
        return row

    @staticmethod
    def videos_of(source: CampaignRecord) -> list[str]:
        """The source's video files, in ad order (where AdBee kept them)."""
        return [str(path) for path in CampaignSpec.from_json(source.spec).videos]

    def start(
        self, source: CampaignRecord, spec: CampaignSpec, *, requested_by: str, origin: str
    ) -> CampaignSummary:
        """Record the new creation (PAUSED, awaiting approval once made), audited."""
        made = self._campaigns.start_creation(spec, requested_by=requested_by, source=origin)
        self.audit(source, made.id, spec, requested_by=requested_by)
        return made

    def audit(
        self, source: CampaignRecord, made_id: int, spec: CampaignSpec, *, requested_by: str
    ) -> None:
        """Who duplicated which campaign into which, on both campaigns' history (the audit
        row's time is when)."""
        where = f"{source.account_key} → {spec.account_key}"
        for campaign_id, action, detail in (
            (made_id, "duplicate", f"duplicate of #{source.id} {source.name!r} ({where})"),
            (source.id, "duplicated", f"duplicated as #{made_id} {spec.name!r} ({where})"),
        ):
            self._store.audit(
                actor=requested_by,
                action=action,
                outcome="requested",
                campaign_id=campaign_id,
                detail=detail,
            )


def _copy_name(name: str, *, same: bool) -> str:
    """In its own account a duplicate needs another name (one name per account); elsewhere the
    source's name is free."""
    return f"{name} (copy)" if same else name


def _next_hour(when: datetime) -> datetime:
    return (when + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)


def _as_sent(spec: CampaignSpec) -> MetaState:
    return MetaState(
        live=False,
        daily_budget=spec.daily_budget_minor,
        budget_object="campaign",
        start_time=spec.start_time,
        end_time=spec.end_time,
        countries=spec.countries,
        primary_text=spec.primary_text,
        headline=spec.headline,
        description=spec.description,
        link=spec.link,
        call_to_action=spec.call_to_action,
        url_tags=spec.url_tags,
    )
