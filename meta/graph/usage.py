"""How much of each ad account's rate limit AdBee has used, as Meta reports it on every answer.

Meta puts the usage of the limits a call counts against in the answer's headers (Graph API "Rate
Limiting", developers.facebook.com/docs/graph-api/overview/rate-limiting, "Headers"):

* ``X-Business-Use-Case-Usage``: ``{"<ad account id>": [{"type": "ads_management", "call_count",
  "total_cputime", "total_time", "estimated_time_to_regain_access"}]}``, the first three
  percentages of the business use case's limit for that account;
* ``X-Ad-Account-Usage``: ``{"acc_id_util_pct", "reset_time_duration"}``, the percentage of the
  account's score used and the seconds until the score window is back to 0. It does not name
  its account; the business header on the same answer does.

Creations read this before starting (``meta.services.work_pool``): the work of an account whose
usage is at half its limit waits, so a burst slows itself down before Meta throttles it, instead
of running into a score block (Meta's "standard access" block is 60 s, development 300 s).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from meta.graph.headers import json_header, positive

# How long a reading stands at most (less when Meta's window ends sooner): the score decays over
# a few minutes, and an account nobody calls any more sends no new reading, so an old one must not
# hold new work for long; the first creation let through brings a fresh reading.
MAX_VALID_SECONDS = 60.0
_PERCENT_KEYS = ("call_count", "total_cputime", "total_time")


@dataclass(frozen=True)
class Reading:
    percent: float  # the highest of the account's usage figures, 0-100
    until: float  # monotonic time after which it no longer says anything


def _account_key(account_id: str) -> str:
    return account_id if account_id.startswith("act_") else f"act_{account_id}"


class AccountUsage:
    """The latest usage percentage per ad account, and the highest seen (for the benchmark)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._readings: dict[str, Reading] = {}
        self.peak: dict[str, float] = {}

    def record(self, headers: Mapping[str, str] | None) -> None:
        """Take the usage figures of one answer's headers (absent or malformed ones are ignored)."""
        buc = json_header(headers, "X-Business-Use-Case-Usage")
        per_account: dict[str, float] = {}
        if isinstance(buc, dict):
            for account, entries in buc.items():
                for entry in entries if isinstance(entries, list) else []:
                    if not isinstance(entry, dict):
                        continue
                    if entry.get("type") not in (None, "ads_management"):
                        continue  # insights has its own limit; creations spend ads_management
                    figures = [positive(entry.get(k)) or 0.0 for k in _PERCENT_KEYS]
                    key = _account_key(str(account))
                    per_account[key] = max(per_account.get(key, 0.0), *figures)
        window = None
        usage = json_header(headers, "X-Ad-Account-Usage")
        if isinstance(usage, dict):
            window = positive(usage.get("reset_time_duration"))
            pct = positive(usage.get("acc_id_util_pct")) or 0.0
            if len(per_account) == 1:  # the business header names the account
                [key] = per_account
                per_account[key] = max(per_account[key], pct)
        if not per_account:
            return
        until = self._clock() + min(window or MAX_VALID_SECONDS, MAX_VALID_SECONDS)
        with self._lock:
            for key, percent in per_account.items():
                self._readings[key] = Reading(min(percent, 100.0), until)
                self.peak[key] = max(self.peak.get(key, 0.0), percent)

    def percent(self, account_id: str) -> float:
        """The account's latest usage (0 when Meta said nothing lately)."""
        with self._lock:
            reading = self._readings.get(_account_key(account_id))
        if reading is None or reading.until <= self._clock():
            return 0.0
        return reading.percent

    def hold_seconds(self, account_id: str, *, ceiling: float) -> float:
        """0 when new work may start in this account, else how long to wait before asking again.

        ``ceiling`` is a percentage: at or above it the account is left to cool down. The wait
        is short (a second at most) because any answer of Meta's may bring a lower figure.
        """
        if self.percent(account_id) < ceiling:
            return 0.0
        with self._lock:
            reading = self._readings.get(_account_key(account_id))
        left = (reading.until - self._clock()) if reading else 0.0
        return max(0.05, min(1.0, left))
