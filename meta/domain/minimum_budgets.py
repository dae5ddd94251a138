"""Meta's own minimum daily budget per ad account, read once a day.

Meta answers ``GET act_<id>/minimum_budgets`` with one row per currency (SDK
``adobjects/minimumbudget.py``: ``currency``, ``min_daily_budget_imp``,
``min_daily_budget_high_freq``, ``min_daily_budget_low_freq``, ``min_daily_budget_video_views``,
integers in the currency's minor unit). AdBee's ad sets are billed on IMPRESSIONS, so the floor
that applies is ``min_daily_budget_imp`` (the field for impression-billed ads). A budget below it
is refused by Meta with 100/1885272 "Budget Too Low" — after the video upload; reading the figure
first lets AdBee refuse before anything is sent, with Meta's number in the message.

When the figure cannot be read (offline ``validate``, Meta unreachable) AdBee falls back to its
offline estimate (``meta.domain.money.minimum_daily_minor``) and says so in every message built on it.

The bot checks the create form before it answers Slack, inside Slack's 3-second window, so it
reads every account's figure at start-up and again before it expires (``MinimumBudgets.warm``):
the first submission of an account then costs no Graph call (about 300 ms each, one account
after another, when 20 people submitted at once; issue 18).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from meta.domain.accounts import AccountConfig
from meta.domain.errors import AdBeeError
from meta.domain.money import format_minor, minimum_daily_minor
from meta.domain.ports import GraphApi

log = logging.getLogger(__name__)

FLOOR_FIELD = "min_daily_budget_imp"
REFRESH_SECONDS = 24 * 3600  # Meta's figure is cached per account for a day
RETRY_FAILED_SECONDS = 60  # after a failed read, the estimate is used for a minute, then retry
WARM_EVERY_SECONDS = 3600  # how often the bot refreshes the figures ahead of their expiry
WARM_READS_AT_ONCE = 8  # an agency with 40 accounts warms up in 5 rounds of Graph latency


@dataclass(frozen=True)
class BudgetFloor:
    """The smallest daily budget an ad set of this account may have, and where it comes from."""

    minor: int
    currency: str
    from_meta: bool
    why_not_meta: str | None = None  # set when this is AdBee's offline estimate

    def refusal(self, budget_minor: int) -> str:
        """The sentence that refuses ``budget_minor``, naming whose figure it is."""
        text = (
            f"{format_minor(budget_minor, self.currency)} is below Meta's minimum of "
            f"{format_minor(self.minor, self.currency)} per day"
        )
        if self.from_meta:
            return f"{text} for this ad account"
        return (
            f"{text} (AdBee's offline estimate; Meta's own figure could not be read: "
            f"{self.why_not_meta})"
        )


FloorSource = Callable[[AccountConfig], BudgetFloor]


def offline_floor(account: AccountConfig, why: str) -> BudgetFloor:
    return BudgetFloor(minimum_daily_minor(account.currency), account.currency, False, why)


def offline_floors(why: str) -> FloorSource:
    """A floor source that never asks Meta (``validate`` works offline)."""
    return lambda account: offline_floor(account, why)


class MinimumBudgets:
    """Meta's per-account floors, each read at most once a day (thread-safe)."""

    def __init__(
        self,
        graph: GraphApi,
        *,
        refresh_seconds: float = REFRESH_SECONDS,
        retry_failed_seconds: float = RETRY_FAILED_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._graph = graph
        self._refresh = refresh_seconds
        self._retry_failed = retry_failed_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._known: dict[str, tuple[float, BudgetFloor]] = {}

    def __call__(self, account: AccountConfig) -> BudgetFloor:
        return self.floor(account)

    def floor(self, account: AccountConfig) -> BudgetFloor:
        now = self._clock()
        with self._lock:
            cached = self._known.get(account.ad_account_id)
        if cached is not None:
            at, floor = cached
            age = now - at
            if age < (self._refresh if floor.from_meta else self._retry_failed):
                return floor
        floor = self._read(account)
        with self._lock:
            self._known[account.ad_account_id] = (now, floor)
        return floor

    def warm(self, accounts: Iterable[AccountConfig], *, ahead: float = WARM_EVERY_SECONDS) -> int:
        """Read, several at once, the figures that are missing, failed, or expire within
        ``ahead`` seconds; returns how many were read. Never raises: a failed read leaves the
        labelled estimate, and the form's own check tries again a minute later."""
        now = self._clock()
        with self._lock:
            known = dict(self._known)
        stale = []
        for account in accounts:
            cached = known.get(account.ad_account_id)
            if (
                cached is None
                or not cached[1].from_meta
                or now - cached[0] >= self._refresh - ahead
            ):
                stale.append(account)
        if not stale:
            return 0
        with ThreadPoolExecutor(
            max_workers=min(WARM_READS_AT_ONCE, len(stale)), thread_name_prefix="adbee-floors"
        ) as pool:
            floors = list(pool.map(self._read, stale))
        with self._lock:
            for account, floor in zip(stale, floors, strict=True):
                self._known[account.ad_account_id] = (self._clock(), floor)
        return len(stale)

    def _read(self, account: AccountConfig) -> BudgetFloor:
        try:
            body = self._graph.get(f"{account.ad_account_id}/minimum_budgets")
        except AdBeeError as exc:
            log.warning("could not read Meta's minimum budgets of %s: %s", account.key, exc.message)
            return offline_floor(account, exc.message)
        rows = body.get("data") if isinstance(body, dict) else None
        for row in rows if isinstance(rows, list) else []:
            if not isinstance(row, dict) or row.get("currency") != account.currency:
                continue
            try:
                minor = int(row[FLOOR_FIELD])
            except (KeyError, TypeError, ValueError):
                break
            return BudgetFloor(minor, account.currency, True)
        why = f"Meta's answer has no {FLOOR_FIELD} for {account.currency}"
        log.warning("minimum budgets of %s: %s", account.key, why)
        return offline_floor(account, why)
