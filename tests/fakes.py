"""Fakes behind the domain's ports, for tests that must not talk to Slack."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from meta.services.alerts import BurstAlert
from meta.services.summary import CampaignSummary


class SlackOutageError(Exception):
    """What the fake notifier raises while told to fail (as SlackApiError would)."""


@dataclass(frozen=True)
class SentAlert:
    kind: str
    summary: CampaignSummary | None
    detail: str | None
    key: str = ""
    sent_before: datetime | None = None  # set when an earlier try failed


class RecordingNotifier:
    """A ``meta.services.alerts.Notifier`` that records each delivered alert and can simulate outages."""

    def __init__(self) -> None:
        self.sent: list[SentAlert] = []
        self.bursts: list[list[str]] = []  # the keys of each burst summary
        self.attempts = 0
        self._failures_left = 0
        self._lock = threading.Lock()

    def fail_next(self, times: int = 1) -> None:
        """The next ``times`` sends raise ``SlackOutageError`` (Slack is down)."""
        with self._lock:
            self._failures_left = times

    def send(
        self,
        *,
        kind: str,
        summary: CampaignSummary | None,
        detail: str | None,
        key: str,
        sent_before: datetime | None = None,
    ) -> None:
        with self._lock:
            self.attempts += 1
            if self._failures_left > 0:
                self._failures_left -= 1
                raise SlackOutageError("slack is down (simulated)")
            self.sent.append(SentAlert(kind, summary, detail, key, sent_before))

    def send_burst(
        self, alerts: list[BurstAlert], *, key: str, sent_before: datetime | None = None
    ) -> None:
        """A burst is recorded as one summary (``bursts``) and its alerts as sent."""
        with self._lock:
            self.attempts += 1
            if self._failures_left > 0:
                self._failures_left -= 1
                raise SlackOutageError("slack is down (simulated)")
            self.bursts.append([a.key for a in alerts])
            for a in alerts:
                self.sent.append(SentAlert(a.kind, a.summary, a.detail, a.key, sent_before))

    def kinds(self) -> list[str]:
        with self._lock:
            return [alert.kind for alert in self.sent]

    def of_kind(self, kind: str) -> list[SentAlert]:
        with self._lock:
            return [alert for alert in self.sent if alert.kind == kind]
