"""Watch live campaigns' spend and delivery, and their ad accounts' health; alert once a day.

Every run reads, per ad account, its health (``account_status``, ``disable_reason``,
``spend_cap``, ``amount_spent``) and its live campaigns' daily insights since activation, asks
the pure rules in ``meta.domain.pacing``, and queues each finding in the alert outbox under the
key ``pacing:<campaign>:<condition>:<local day>``. The outbox keeps one alert per key, so a
condition seen on every poll (and by every replica) alerts once per campaign and local day.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from meta.domain.accounts import AccountConfig, AccountRegistry
from meta.domain.errors import AdBeeError
from meta.domain.insights import MAX_RANGE_DAYS, CampaignInsights, DateRange
from meta.domain.money import format_minor
from meta.domain.pacing import (
    AccountHealth,
    Finding,
    LiveCampaign,
    PacingRules,
    check_account,
    check_campaign,
)
from meta.domain.ports import CampaignRepository, GraphApi
from meta.domain.records import CampaignRecord
from meta.domain.states import Status

log = logging.getLogger(__name__)
ACCOUNT_FIELDS = "account_status,disable_reason,spend_cap,amount_spent"
KIND_PREFIX = "pacing_"


def alert_kind(finding: Finding) -> str:
    """The outbox kind of a finding: ``pacing_no_delivery``, ``pacing_account_blocked``, …"""
    return f"{KIND_PREFIX}{finding.condition}"


class DailyInsightsReader(Protocol):
    """``meta.graph.insights.InsightsReader`` as far as the watch uses it."""

    def campaigns_daily(
        self,
        account_id: str,
        campaign_ids: Iterable[str],
        span: DateRange,
        *,
        currency: str,
        timezone: str,
    ) -> dict[str, CampaignInsights]: ...


class PacingWatch:
    def __init__(
        self,
        *,
        store: CampaignRepository,
        graph: GraphApi,
        insights: DailyInsightsReader,
        accounts: AccountRegistry,
        rules: Callable[[AccountConfig], PacingRules],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._graph = graph
        self._insights = insights
        self._accounts = accounts
        self._rules = rules
        self._clock = clock

    def check_all(self, now: datetime | None = None) -> int:
        """Check every live campaign; returns the number of alerts queued (new ones only)."""
        now = now or self._clock()
        by_account: dict[str, list[CampaignRecord]] = defaultdict(list)
        for row in self._store.list_campaigns(statuses=[Status.ACTIVE], limit=None):
            if row.meta_campaign_id and row.activated_at is not None:
                by_account[row.account_key].append(row)
        queued = 0
        for key, rows in sorted(by_account.items()):
            account = self._accounts.get(key)
            if account is None:
                continue
            try:
                queued += self._check_account(account, rows, now)
            except AdBeeError as exc:  # Meta unreachable or refusing: the next run looks again
                log.warning("pacing check of %s failed: %s", key, exc)
        return queued

    def _check_account(
        self, account: AccountConfig, rows: list[CampaignRecord], now: datetime
    ) -> int:
        tz = ZoneInfo(account.timezone)
        local_now = now.astimezone(tz)
        today = local_now.date()

        def money(minor: int) -> str:
            return format_minor(minor, account.currency)

        health = _health(self._graph.get(account.ad_account_id, {"fields": ACCOUNT_FIELDS}))
        blocked = check_account(health, money)
        first = min(_local_day(row.activated_at, tz) for row in rows if row.activated_at)
        span = DateRange(max(first, today - timedelta(days=MAX_RANGE_DAYS - 1)), today)
        insights = self._insights.campaigns_daily(
            account.ad_account_id,
            [str(row.meta_campaign_id) for row in rows],
            span,
            currency=account.currency,
            timezone=account.timezone,
        )
        rules = self._rules(account)
        queued = 0
        for row in rows:
            found = check_campaign(
                _live(row, insights.get(str(row.meta_campaign_id)), local_now), rules, money
            )
            if blocked is not None:
                found.append(blocked)
            for finding in found:
                queued += int(
                    self._store.enqueue_alert(
                        kind=alert_kind(finding),
                        dedupe_key=f"pacing:{row.id}:{finding.condition}:{today.isoformat()}",
                        payload={"detail": finding.detail},
                        campaign_id=row.id,
                    )
                )
        return queued


def _live(row: CampaignRecord, insights: CampaignInsights | None, now: datetime) -> LiveCampaign:
    assert row.activated_at is not None
    activated = row.activated_at
    since = _local_day(activated, now.tzinfo)
    days = [d for d in (insights.days if insights else ()) if d.day >= since]
    today = [d for d in days if d.day == now.date()]
    return LiveCampaign(
        daily_budget_minor=int(row.spec["daily_budget_minor"]),
        activated_at=activated,
        now=now,
        spend_today_minor=sum(d.spend_minor for d in today),
        impressions_since_activation=sum(d.impressions for d in days),
        spend_since_activation_minor=sum(d.spend_minor for d in days),
        purchases_since_activation=sum(d.purchases for d in days),
    )


def _local_day(moment: datetime, tz: Any) -> date:
    return moment.astimezone(tz).date()


def _health(body: dict[str, Any]) -> AccountHealth:
    """Graph answers ``spend_cap`` and ``amount_spent`` as strings of minor units."""

    def number(name: str, default: int = 0) -> int:
        try:
            return int(str(body.get(name, default)) or default)
        except ValueError:
            return default

    return AccountHealth(
        account_status=number("account_status", 1),
        disable_reason=number("disable_reason"),
        spend_cap_minor=number("spend_cap"),
        amount_spent_minor=number("amount_spent"),
    )
