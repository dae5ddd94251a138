"""The App Home tab, published per user (HomePort) and again whenever a campaign changes.

Slack keeps one Home view per user and shows it until the app publishes another, so a change
(a decision, an activation, a status Meta reports) republishes the tab of the people concerned:
the requester, whoever approved it, every approver (a campaign waiting concerns all of them),
and anyone who opened their Home tab in this process. Publishing is best effort: the data is
in the database, and opening the tab publishes it afresh.

Those refreshes are background work, so they yield to everything else: a round starts at most
every ``ROUND_SECONDS`` (the changes of a burst are coalesced into one round instead of one
round per change), and its ``views.publish`` calls wait in the Slack budget at progress
priority, behind cards and alerts; the tab a person just opened is published at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime

from slack_sdk import WebClient

from bot.slack.budget import Priority, sending_as
from handlers.blocks.home import TodayNumbers, build_home
from meta.domain.access import Actor
from meta.services.dashboard import Dashboard
from meta.services.summary import CampaignSummary

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
# Today's figures of the live campaigns, by AdBee id (the Insights reader fills it in).
TodayReader = Callable[[Sequence[CampaignSummary]], Mapping[int, TodayNumbers]]
# The shortest time between two rounds of background refreshes. 20 creations finishing within a
# few seconds made a round per change, each reading every campaign and publishing one view per
# approver and requester: about a sixth of the bot's CPU in that burst (py-spy, issue 18).
ROUND_SECONDS = 2.0


class HomeTabs:
    def __init__(
        self,
        client: WebClient,
        *,
        dashboard: Dashboard,
        is_approver: Callable[[Actor], bool],
        approvers: Callable[[], Iterable[str]],
        clock: Clock = lambda: datetime.now(UTC),
        today: TodayReader | None = None,
        round_seconds: float = ROUND_SECONDS,
    ) -> None:
        self._client = client
        self._dashboard = dashboard
        self._is_approver = is_approver
        self._approvers = approvers
        self._clock = clock
        self._today = today
        self._round_seconds = round_seconds
        self._viewers: set[str] = set()
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._worker: threading.Thread | None = None

    def publish_home(self, user_id: str) -> None:
        """HomePort: the user opened the tab; raises when Slack refuses (Bolt logs it)."""
        with self._lock:
            self._viewers.add(user_id)
        campaigns = self._dashboard.campaigns()
        self._publish(user_id, campaigns, self._numbers(campaigns))

    def campaign_changed(self, summary: CampaignSummary) -> None:
        """Republish the tabs that show ``summary``, on the tabs' own thread; never raises.

        The caller is on the path of a click or an alert (a chat.update just went out): it must
        not wait for one views.publish per approver. Changes that arrive while a round of
        publishing runs are coalesced into the next round.
        """
        try:
            users = self._concerned(summary)
        except Exception as exc:
            log.warning("could not tell whose Home tab shows #%s: %r", summary.id, exc)
            return
        with self._lock:
            self._pending |= users
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(
                    target=self._publish_pending, name="adbee-home-tabs", daemon=True
                )
                self._worker.start()
        self._wake.set()

    def close(self) -> None:
        """Stop the publishing thread (what is pending is published when a tab is next opened)."""
        self._closed.set()
        self._wake.set()

    def _publish_pending(self) -> None:
        while not self._closed.is_set():
            self._wake.wait()
            self._wake.clear()
            with self._lock:
                users, self._pending = sorted(self._pending), set()
            if not users or self._closed.is_set():
                continue
            try:
                campaigns = self._dashboard.campaigns()
            except Exception as exc:
                log.warning("could not read the campaigns for the Home tabs: %r", exc)
                continue
            numbers = self._numbers(campaigns)
            with sending_as(Priority.PROGRESS):
                for user in users:
                    try:
                        self._publish(user, campaigns, numbers)
                    except Exception as exc:  # one user's tab must not hold up the others
                        log.warning("could not refresh the Home tab of %s: %r", user, exc)
            self._closed.wait(self._round_seconds)  # what changes meanwhile waits for one round

    def _concerned(self, summary: CampaignSummary) -> set[str]:
        with self._lock:
            users = set(self._viewers)
        users |= {u for u in (summary.requested_by, summary.approved_by) if u and _is_user(u)}
        users |= {u for u in self._approvers() if _is_user(u)}
        return users

    def _numbers(self, campaigns: Sequence[CampaignSummary]) -> Mapping[int, TodayNumbers]:
        if self._today is None:
            return {}
        live = [c for c in campaigns if c.status in ("active", "paused")]
        try:
            return self._today(live) if live else {}
        except Exception as exc:  # the tab still shows the campaigns without today's figures
            log.warning("could not read today's figures for the Home tab: %r", exc)
            return {}

    def _publish(
        self,
        user_id: str,
        campaigns: Sequence[CampaignSummary],
        numbers: Mapping[int, TodayNumbers],
    ) -> None:
        view = build_home(
            user_id=user_id,
            is_approver=self._is_approver(Actor(user_id)),
            campaigns=campaigns,
            now=self._clock(),
            today=numbers,
        )
        self._client.views_publish(user_id=user_id, view=view)


def _is_user(value: str | None) -> bool:
    """A Slack person (U…/W…), not ``cli`` or a user group."""
    return bool(value) and str(value)[:1] in ("U", "W")
