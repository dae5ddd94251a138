"""The daily digest: at each account's local digest time, one message about yesterday.

``DIGEST_TIME`` (09:00) in the account's timezone, or the account's ``digest_time``. From that
time on, each run (``jobs.monitoring.digest_job``, with the scan) builds the account's digest
once per process and day and queues it in the alert outbox under ``digest:<account>:<day>``:
the outbox keeps one entry per key, so two replicas or a restart never post it twice, and a
Slack outage only delays it. A day nothing ran is queued as ``daily_digest_quiet``, which posts
nothing: the key is taken, so that day is not looked at again.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from meta.domain.accounts import AccountConfig, AccountRegistry
from meta.domain.digest import CampaignDay, Digest, add_days, attention
from meta.domain.errors import AdBeeError
from meta.domain.insights import DailyInsight, DateRange
from meta.domain.pacing import PacingRules
from meta.domain.ports import CampaignRepository
from meta.domain.records import CampaignRecord
from meta.domain.states import Status
from meta.services.pacing import DailyInsightsReader

log = logging.getLogger(__name__)
DAILY_DIGEST = "daily_digest"
DAILY_DIGEST_QUIET = "daily_digest_quiet"
HISTORY_DAYS = 7  # the chart: the digest's day and the six before it
# Campaigns that may have delivered on a past day (a rejected or rolled back one never did).
_MAY_HAVE_RUN = (Status.ACTIVE, Status.PAUSED, Status.CANCELLED, Status.ACTIVATION_FAILED)


def digest_key(account_key: str, day: date) -> str:
    return f"digest:{account_key}:{day.isoformat()}"


class DailyDigests:
    def __init__(
        self,
        *,
        store: CampaignRepository,
        insights: DailyInsightsReader,
        accounts: AccountRegistry,
        digest_time: Callable[[AccountConfig], time],
        rules: Callable[[AccountConfig], PacingRules],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._insights = insights
        self._accounts = accounts
        self._digest_time = digest_time
        self._rules = rules
        self._clock = clock
        self._done: set[str] = set()  # keys this process queued (or found taken) already

    def queue_due(self, now: datetime | None = None) -> int:
        """Queue the digests whose local time has come; returns how many were queued."""
        now = now or self._clock()
        rows: dict[str, list[CampaignRecord]] = defaultdict(list)
        for row in self._store.list_campaigns(statuses=_MAY_HAVE_RUN, limit=None):
            if row.meta_campaign_id and row.activated_at is not None:
                rows[row.account_key].append(row)
        queued = 0
        for key, account_rows in sorted(rows.items()):
            account = self._accounts.get(key)
            if account is None:
                continue
            local = now.astimezone(ZoneInfo(account.timezone))
            if local.time() < self._digest_time(account):
                continue
            day = local.date() - timedelta(days=1)
            dedupe = digest_key(key, day)
            if dedupe in self._done:
                continue
            try:
                digest = self.build(account, account_rows, day)
            except AdBeeError as exc:  # Meta unreachable: the next run tries again
                log.warning("digest of %s for %s not built yet: %s", key, day, exc)
                continue
            kind = DAILY_DIGEST if digest.ran else DAILY_DIGEST_QUIET
            queued += int(
                self._store.enqueue_alert(
                    kind=kind, dedupe_key=dedupe, payload={"detail": digest.to_json()}
                )
                and digest.ran
            )
            self._done.add(dedupe)
        return queued

    def build(self, account: AccountConfig, rows: list[CampaignRecord], day: date) -> Digest:
        tz = ZoneInfo(account.timezone)
        ran = [r for r in rows if r.activated_at and r.activated_at.astimezone(tz).date() <= day]
        span = DateRange(day - timedelta(days=HISTORY_DAYS - 1), day)
        insights = self._insights.campaigns_daily(
            account.ad_account_id,
            [str(r.meta_campaign_id) for r in ran],
            span,
            currency=account.currency,
            timezone=account.timezone,
        )
        campaigns: list[CampaignDay] = []
        history: dict[date, DailyInsight] = {d: DailyInsight(day=d) for d in span.days()}
        attribution = ""
        rules = self._rules(account)
        for row in ran:
            found = insights.get(str(row.meta_campaign_id))
            if found is None:
                continue
            attribution = found.attribution_label
            for d in found.days:
                history[d.day] = add_days(history[d.day], d)
            yesterday = next((d for d in found.days if d.day == day), DailyInsight(day=day))
            campaign = CampaignDay(
                adbee_id=row.id,
                name=row.name,
                daily_budget_minor=int(row.spec["daily_budget_minor"]),
                day=yesterday,
            )
            assert row.activated_at is not None
            if row.activated_at.astimezone(tz).date() < day:  # live all of that day
                why = attention(
                    campaign,
                    underspend_percent=rules.underspend_percent,
                    no_purchase_spend_minor=rules.no_purchase_spend_minor,
                )
                campaign = replace(campaign, attention=why)
            campaigns.append(campaign)
        return Digest(
            account_key=account.key,
            account_name=account.name,
            currency=account.currency,
            timezone=account.timezone,
            day=day,
            attribution=attribution,
            campaigns=tuple(campaigns),
            history=tuple(history[d] for d in sorted(history)),
        )
