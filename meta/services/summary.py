"""``CampaignSummary``: the read-only view of a campaign that handlers, jobs and the CLI render.

Handlers never see ORM rows; this DTO is the boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from meta.domain.accounts import AccountRegistry
from meta.domain.advantage import AdvantageState
from meta.domain.money import format_minor
from meta.domain.times import format_local
from storage.models import CampaignRow


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

    @property
    def ads_manager_url(self) -> str:
        act = self.ad_account_id.removeprefix("act_")
        url = f"https://adsmanager.facebook.com/adsmanager/manage/campaigns?act={act}"
        return url + (f"&selected_campaign_ids={self.campaign_id}" if self.campaign_id else "")

    def local(self, value: datetime) -> str:
        return format_local(value, self.timezone)


def summarize(row: CampaignRow, accounts: AccountRegistry) -> CampaignSummary:
    spec = row.spec
    account = accounts.get(row.account_key)
    tz = account.timezone if account else "UTC"
    start = _aware(row.start_time)
    end = spec.get("end_time")
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
        activate_at=_aware(row.activate_at) if row.activate_at else None,
        activated_at=_aware(row.activated_at) if row.activated_at else None,
        error=row.error,
        slack_channel=row.slack_channel,
        slack_ts=row.slack_ts,
        warnings=tuple(spec.get("warnings", ())),
        advantage=AdvantageState.from_graph((row.last_sync or {}).get("advantage")),
    )


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes even for timezone=True columns; they are UTC."""
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)
