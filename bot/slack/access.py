"""Approver and admin checks backed by settings and Slack user groups.

``APPROVER_IDS`` may list users (U...) and user groups (S...). Groups are expanded through
``usergroups.users.list`` and cached for a few minutes, so a membership change in Slack takes
effect without a restart and a Slack hiccup does not lock approvers out (the last good list stays).

A person's workspace is their own (``users.info`` ``team_id``), not the one a payload names: a
slash command typed in a shared channel carries *our* ``team_id`` whoever types it, so a member
of another workspace would otherwise pass as one of ours.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from meta.domain.access import Actor

log = logging.getLogger(__name__)


class SlackAccessPolicy:
    def __init__(
        self,
        *,
        client: WebClient | None,
        approver_ids: Iterable[str],
        admin_ids: Iterable[str],
        team_id: str | None,
        allow_self_approval: bool,
        ttl_seconds: float = 300,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._approvers = list(approver_ids)
        self._admins = list(admin_ids)
        self.team_id = team_id
        self._allow_self = allow_self_approval
        self._ttl = ttl_seconds
        self._clock = clock
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}
        self._home_teams: dict[str, tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    @property
    def allow_self_approval(self) -> bool:
        return self._allow_self

    def is_approver(self, actor: Actor) -> bool:
        return self._same_workspace(actor) and (
            actor.user_id in self._expand(self._approvers) or self.is_admin(actor)
        )

    def is_admin(self, actor: Actor) -> bool:
        return self._same_workspace(actor) and actor.user_id in self._expand(self._admins)

    def is_one_of(self, actor: Actor, ids: Iterable[str]) -> bool:
        """Per-account approvers (``approval.approvers``): user ids and user groups, expanded."""
        return self._same_workspace(actor) and actor.user_id in self._expand(list(ids))

    def approver_user_ids(self) -> frozenset[str]:
        """Every person who may approve: approvers and admins, user groups expanded."""
        return self._expand(self._approvers) | self._expand(self._admins)

    def _same_workspace(self, actor: Actor) -> bool:
        """A user from another workspace (shared channel) never gets a say over our campaigns."""
        if self.team_id is None:
            return True
        if actor.team_id is not None and actor.team_id != self.team_id:
            return False
        home = self._home_team(actor.user_id)
        return home is None or home == self.team_id

    def _home_team(self, user_id: str) -> str | None:
        """The workspace the user belongs to, per Slack; None when Slack cannot say right now."""
        now = self._clock()
        with self._lock:
            cached = self._home_teams.get(user_id)
            if cached and now - cached[0] < self._ttl:
                return cached[1]
        if self._client is None:
            return None
        try:
            user = self._client.users_info(user=user_id)["user"]
        except SlackApiError as exc:
            log.warning("could not look up user %s: %s", user_id, exc.response.get("error"))
            return cached[1] if cached else None
        team = user.get("team_id") if isinstance(user, dict) else None
        with self._lock:
            self._home_teams[user_id] = (now, team)
        return team

    def _expand(self, ids: list[str]) -> frozenset[str]:
        users = {i for i in ids if not i.startswith("S")}
        for group in (i for i in ids if i.startswith("S")):
            users |= self._group_members(group)
        return frozenset(users)

    def _group_members(self, group_id: str) -> frozenset[str]:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(group_id)
            if cached and now - cached[0] < self._ttl:
                return cached[1]
        if self._client is None:
            return frozenset()
        try:
            members = frozenset(self._client.usergroups_users_list(usergroup=group_id)["users"])
        except SlackApiError as exc:
            log.warning("could not read user group %s: %s", group_id, exc.response.get("error"))
            return cached[1] if cached else frozenset()
        with self._lock:
            self._cache[group_id] = (now, members)
        return members
