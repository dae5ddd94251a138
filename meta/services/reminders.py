"""Remind the approvers, once, of a campaign that has waited too long for approval.

A campaign waiting (``created``) for more than ``APPROVAL_REMINDER_HOURS`` gets one reminder in
its thread that mentions whoever may approve it: the account's big-spend approvers when its
budget needs them (``approval`` in the accounts file), else ``APPROVER_IDS``. The alert
outbox's dedupe key ``approval-reminder:<id>`` makes it once, whatever the number of replicas
or restarts; a Slack outage only delays it.

The wait is counted from the row's creation (the request), which is when the requester began
to wait.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from meta.domain.accounts import AccountRegistry
from meta.domain.ports import CampaignRepository
from meta.domain.states import Status

APPROVAL_REMINDER = "approval_reminder"


def reminder_key(campaign_id: int) -> str:
    return f"approval-reminder:{campaign_id}"


class ApprovalReminders:
    def __init__(
        self,
        *,
        store: CampaignRepository,
        accounts: AccountRegistry,
        approvers: Sequence[str],
        after: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._accounts = accounts
        self._approvers = tuple(approvers)
        self._after = after
        self._clock = clock

    def approvers_of(self, campaign_id: int) -> tuple[str, ...]:
        """Who may approve this campaign: user ids (U…) and user groups (S…)."""
        row = self._store.get(campaign_id)
        account = self._accounts.get(row.account_key) if row else None
        if row is None or account is None:
            return self._approvers
        return account.big_spend_approvers(int(row.spec["daily_budget_minor"])) or self._approvers

    def queue_due(self, now: datetime | None = None) -> int:
        """Queue a reminder for each campaign waiting longer than allowed; returns how many new."""
        now = now or self._clock()
        queued = 0
        for row in self._store.list_campaigns(statuses=[Status.CREATED], limit=None):
            waited = now - row.created_at
            if waited <= self._after:
                continue
            hours = waited.total_seconds() / 3600
            queued += int(
                self._store.enqueue_alert(
                    kind=APPROVAL_REMINDER,
                    dedupe_key=reminder_key(row.id),
                    payload={"detail": f"waiting for approval for {hours:.0f} h"},
                    campaign_id=row.id,
                )
            )
        return queued
