"""A burst of changes refreshes the Home tabs in a few paced rounds, behind cards and alerts.

Twenty creations finishing within seconds used to republish every concerned tab once per
change; each round reads every campaign and publishes a view per person.
"""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

from bot.slack.budget import Priority, current_priority
from bot.slack.home_tab import HomeTabs

APPROVER = "U_APPROVER"


class RecordingSlack:
    """Keeps each views.publish: who, when, and at which budget priority."""

    def __init__(self) -> None:
        self.published: list[tuple[str, float, Priority]] = []
        self.lock = threading.Lock()

    def views_publish(self, *, user_id: str, view: dict[str, Any]) -> None:
        with self.lock:
            self.published.append((user_id, time.monotonic(), current_priority()))


class CountingDashboard:
    def __init__(self) -> None:
        self.reads = 0

    def campaigns(self) -> list[Any]:
        self.reads += 1
        return []


def _changed(requester: str) -> Any:
    return SimpleNamespace(id=1, requested_by=requester, approved_by=None)


def _home_tabs(round_seconds: float) -> tuple[HomeTabs, RecordingSlack, CountingDashboard]:
    slack, dashboard = RecordingSlack(), CountingDashboard()
    tabs = HomeTabs(
        slack,  # type: ignore[arg-type]
        dashboard=dashboard,  # type: ignore[arg-type]
        is_approver=lambda actor: actor.user_id == APPROVER,
        approvers=lambda: [APPROVER],
        round_seconds=round_seconds,
    )
    return tabs, slack, dashboard


def _wait_for(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_twenty_changes_in_a_burst_are_published_in_at_most_two_rounds() -> None:
    tabs, slack, dashboard = _home_tabs(round_seconds=0.5)
    requesters = [f"U_SUB{n:02d}" for n in range(20)]
    try:
        for requester in requesters:
            tabs.campaign_changed(_changed(requester))
            time.sleep(0.01)
        _wait_for(lambda: {user for user, _, _ in slack.published} >= {APPROVER, *requesters})
        time.sleep(0.7)  # a round the burst did not need would have run by now
    finally:
        tabs.close()
    assert dashboard.reads <= 2  # one round for the first change, one for all the rest
    approver_times = [at for user, at, _ in slack.published if user == APPROVER]
    assert len(approver_times) == dashboard.reads
    if len(approver_times) == 2:
        assert approver_times[1] - approver_times[0] >= 0.45  # paced, not back to back


def test_background_refreshes_wait_behind_cards_and_alerts() -> None:
    tabs, slack, _dashboard = _home_tabs(round_seconds=0.0)
    try:
        tabs.campaign_changed(_changed("U_SUB01"))
        _wait_for(lambda: len(slack.published) >= 2)
    finally:
        tabs.close()
    assert {priority for _, _, priority in slack.published} == {Priority.PROGRESS}


def test_a_tab_someone_opens_is_published_at_once_as_an_answer_to_a_person() -> None:
    tabs, slack, _dashboard = _home_tabs(round_seconds=60.0)
    try:
        tabs.publish_home("U_SUB01")
    finally:
        tabs.close()
    assert [(user, priority) for user, _, priority in slack.published] == [
        ("U_SUB01", Priority.URGENT)
    ]
