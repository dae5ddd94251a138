"""``CampaignSummary``: the read-only view of a campaign that handlers, jobs and the CLI render.

Handlers never see ORM rows; this DTO is the boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from meta.domain.accounts import AccountRegistry
from meta.domain.advantage import AdvantageState
from meta.domain.approval import PREVIEW_FORMATS, SHAREABLE, RequestFacts
from meta.domain.money import format_minor
from meta.domain.records import CampaignRecord, ObjectKind, ObjectRef
from meta.domain.spec import AdPlan, CampaignSpec
from meta.domain.times import format_local
from meta.services.previews import (
    AD_PREVIEWS_KEY,
    APPROVAL_KEY,
    DRIFT_KEY,
    PREVIEWS_KEY,
    REQUESTS_KEY,
)


@dataclass(frozen=True)
class CampaignSummary:
    id: int
    name: str
    account_key: str
    account_name: str
    ad_account_id: str
    status: str
    step: str | None
    budget_text: str
    currency: str
    timezone: str
    start_time: datetime
    start_text: str
    end_text: str | None
    countries: tuple[str, ...]
    video_id: str | None
    creative_id: str | None
    campaign_id: str | None
    adset_id: str | None
    ad_id: str | None
    requested_by: str | None
    approved_by: str | None
    activate_at: datetime | None
    activated_at: datetime | None
    error: str | None
    slack_channel: str | None
    slack_ts: str | None
    warnings: tuple[str, ...]
    # Meta's Advantage+ classification, read after creation and on each sync; None = not read yet.
    advantage: AdvantageState | None = None
    # The video's thumbnail (Meta's preferred frame), for the card's image block.
    thumbnail_url: str | None = None
    # (placement label, URL) of Meta's own previews of the ad, Feed / Reels / Stories first.
    previews: tuple[tuple[str, str], ...] = ()
    # Names, final URL, enhancement and multi-advertiser choices of the requests as sent.
    request: RequestFacts | None = None
    # Who must approve a daily budget above the account's approval.budget_above; () = anyone.
    big_spend_approvers: tuple[str, ...] = ()
    # What changed since the last approval, when a change asks for a new one.
    changed_since_approval: tuple[str, ...] = ()
    # The daily budget in minor units of ``currency`` (reports set spend against it).
    daily_budget_minor: int = 0
    # What Meta shows unlike the approved settings (``status_sync.with_drift``); () = nothing.
    drift: tuple[str, ...] = ()
    # Every ad of the campaign, in file order (one per video in creative_mode ads).
    ads: tuple[AdLine, ...] = ()

    @property
    def ads_manager_url(self) -> str:
        act = self.ad_account_id.removeprefix("act_")
        url = f"https://adsmanager.facebook.com/adsmanager/manage/campaigns?act={act}"
        return url + (f"&selected_campaign_ids={self.campaign_id}" if self.campaign_id else "")

    def local(self, value: datetime) -> str:
        return format_local(value, self.timezone)


@dataclass(frozen=True)
class AdLine:
    """One ad of a campaign as a card lists it: its video file, texts and Meta's ids so far."""

    index: int
    video_name: str
    primary_text: str
    headline: str
    video_id: str | None
    creative_id: str | None
    ad_id: str | None
    # Every video the ad shows (a placement pair's two cuts, a flexible ad's all), as uploaded.
    video_ids: tuple[str, ...] = ()
    # An image ad: its image's hash (``video_name`` names the image) and the picture itself.
    image_hash: str | None = None
    # The picture a card shows for it: the image itself, or its first video's thumbnail.
    thumbnail_url: str | None = None
    # (placement label, URL) of Meta's previews of this ad (``AD_PREVIEWS_KEY``).
    previews: tuple[tuple[str, str], ...] = ()
    # The approver who rejected this one ad (deleted from Meta, or being deleted); None = kept.
    rejected_by: str | None = None


def _ads(row: CampaignRecord) -> tuple[AdLine, ...]:
    try:
        plans = CampaignSpec.from_json(row.spec).ads()
    except (KeyError, TypeError, ValueError):  # a spec too broken to read lists no ads
        return ()
    rejected = {ad.key: ad.rejected_by for ad in row.rejected_ads}
    previews = (row.last_sync or {}).get(AD_PREVIEWS_KEY) or {}
    lines = []
    for plan in plans:
        lines.append(
            AdLine(
                index=plan.index,
                video_name=plan.media_name,
                primary_text=plan.primary_text,
                headline=plan.headline,
                video_id=(
                    row.meta_id(ObjectRef(ObjectKind.VIDEO, plan.videos[0].key))
                    if plan.videos
                    else None
                ),
                creative_id=row.creative_of(plan.key),
                ad_id=row.meta_id(ObjectRef(ObjectKind.AD, plan.key)),
                video_ids=tuple(
                    str(found)
                    for found in (
                        row.meta_id(ObjectRef(ObjectKind.VIDEO, v.key)) for v in plan.videos
                    )
                    if found
                ),
                image_hash=(
                    row.meta_id(ObjectRef(ObjectKind.IMAGE, plan.key)) if plan.image_path else None
                ),
                thumbnail_url=_thumbnail(row, plan),
                previews=_previews(previews.get(plan.key) if isinstance(previews, dict) else None),
                rejected_by=rejected.get(plan.key),
            )
        )
    return tuple(lines)


def _thumbnail(row: CampaignRecord, plan: AdPlan) -> str | None:
    """The picture a card shows for one ad: the image itself, or its first video's thumbnail."""
    ref = (
        ObjectRef(ObjectKind.IMAGE, plan.key)
        if plan.image_path or not plan.videos
        else ObjectRef(ObjectKind.VIDEO, plan.videos[0].key)
    )
    shown = row.object(ref)
    return shown.thumbnail_url if shown else None


def summarize(row: CampaignRecord, accounts: AccountRegistry) -> CampaignSummary:
    spec = row.spec
    account = accounts.get(row.account_key)
    tz = account.timezone if account else "UTC"
    start = row.start_time
    end = spec.get("end_time")
    sync = row.last_sync or {}
    requests = sync.get(REQUESTS_KEY)
    return CampaignSummary(
        id=row.id,
        name=row.name,
        account_key=row.account_key,
        account_name=account.name if account else row.account_key,
        ad_account_id=row.ad_account_id,
        status=row.status,
        step=row.step,
        budget_text=format_minor(int(spec["daily_budget_minor"]), spec["currency"]),
        currency=spec["currency"],
        timezone=tz,
        start_time=start,
        start_text=format_local(start, tz),
        end_text=format_local(datetime.fromisoformat(end), tz) if end else None,
        countries=tuple(spec.get("countries", ())),
        video_id=row.video_id,
        creative_id=row.creative_id,
        campaign_id=row.meta_campaign_id,
        adset_id=row.adset_id,
        ad_id=row.ad_id,
        requested_by=row.requested_by,
        approved_by=row.approved_by,
        activate_at=row.activate_at,
        activated_at=row.activated_at,
        error=row.error,
        slack_channel=row.slack_channel,
        slack_ts=row.slack_ts,
        warnings=tuple(spec.get("warnings", ())),
        advantage=AdvantageState.from_graph(sync.get("advantage")),
        thumbnail_url=row.thumbnail_url,
        previews=_previews(sync.get(PREVIEWS_KEY)),
        request=RequestFacts.from_requests(requests) if isinstance(requests, dict) else None,
        big_spend_approvers=(
            account.big_spend_approvers(int(spec["daily_budget_minor"])) if account else ()
        ),
        changed_since_approval=tuple(
            str(line) for line in (sync.get(APPROVAL_KEY) or {}).get("changed", ())
        ),
        daily_budget_minor=int(spec["daily_budget_minor"]),
        drift=tuple(str(line) for line in (sync.get(DRIFT_KEY) or {}).get("lines", ())),
        ads=_ads(row),
    )


def _previews(stored: object) -> tuple[tuple[str, str], ...]:
    """Feed, Reels and Stories in that order, then the shareable link."""
    if not isinstance(stored, dict):
        return ()
    order = [label for label, _format in PREVIEW_FORMATS] + [SHAREABLE]
    return tuple((label, str(stored[label])) for label in order if stored.get(label))
