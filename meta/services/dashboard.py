"""What the App Home dashboard lists: the team's campaigns that wait, are scheduled or run.

A read model only: summaries of the rows in the three groups the Home tab shows, newest first.
"""

from __future__ import annotations

from meta.domain.accounts import AccountRegistry
from meta.domain.ports import CampaignRepository
from meta.domain.states import Status
from meta.services.summary import CampaignSummary, summarize

# Waiting for approval, scheduled, live (a paused campaign is still one of the live ones: it
# can be resumed from its buttons).
DASHBOARD_STATUSES = (Status.CREATED, Status.SCHEDULED, Status.ACTIVE, Status.PAUSED)
# More than a Home tab can show (it cuts each group); enough to count them right.
LIMIT = 500


class Dashboard:
    def __init__(self, *, store: CampaignRepository, accounts: AccountRegistry) -> None:
        self._store = store
        self._accounts = accounts

    def campaigns(self) -> list[CampaignSummary]:
        rows = self._store.list_campaigns(statuses=DASHBOARD_STATUSES, limit=LIMIT)
        return [summarize(row, self._accounts) for row in rows]
