"""Who may do what. The domain asks; the bot layer answers from settings and Slack user groups."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from meta.domain.errors import AdBeeError


class NotAllowedError(AdBeeError):
    """The user may not do this; the message says why, and the attempt is audited."""


@dataclass(frozen=True)
class Actor:
    """A person acting through Slack (or ``cli``), with the workspace they act from."""

    user_id: str
    team_id: str | None = None


class AccessPolicy(Protocol):
    def is_approver(self, actor: Actor) -> bool: ...
    def is_admin(self, actor: Actor) -> bool: ...
    def is_one_of(self, actor: Actor, ids: Iterable[str]) -> bool:
        """Whether the actor is one of these users or in one of these user groups (S...)."""
        ...

    def approver_user_ids(self) -> frozenset[str]:
        """Every person who may approve (groups expanded): whose Home tab lists the queue."""
        ...

    @property
    def allow_self_approval(self) -> bool: ...


@dataclass(frozen=True)
class StaticAccessPolicy:
    """Approvers and admins as fixed user-id sets; the bot expands user groups into them."""

    approvers: frozenset[str]
    admins: frozenset[str] = frozenset()
    team_id: str | None = None
    allow_self_approval: bool = False
    groups: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def _same_workspace(self, actor: Actor) -> bool:
        return self.team_id is None or actor.team_id in (None, self.team_id)

    def is_approver(self, actor: Actor) -> bool:
        return self._same_workspace(actor) and (
            actor.user_id in self.approvers or actor.user_id in self.admins
        )

    def is_admin(self, actor: Actor) -> bool:
        return self._same_workspace(actor) and actor.user_id in self.admins

    def approver_user_ids(self) -> frozenset[str]:
        return self.approvers | self.admins

    def is_one_of(self, actor: Actor, ids: Iterable[str]) -> bool:
        """User ids only: this policy knows no user groups (``groups`` stands in for them)."""
        members = {i for i in ids if not i.startswith("S")}
        for group in (i for i in ids if i.startswith("S")):
            members |= self.groups.get(group, frozenset())
        return self._same_workspace(actor) and actor.user_id in members
