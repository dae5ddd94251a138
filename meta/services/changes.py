"""Changes to live Meta objects: Meta validates them first, and they are applied only if it accepts.

``execution_options=["validate_only"]`` makes Meta run every validation rule of a create or update
and change nothing, answering ``{"success": true}`` (Marketing API Campaign, Ad Set and Ad
references: "the API call will not perform the mutation but will run through the validation
rules against values of each field"; SDK ``Campaign.ExecutionOptions.validate_only``). So a change
of several objects is validated whole before the first one is written: Meta's refusal of the
third never leaves the first two changed, and the user reads Meta's own words.

Every later change AdBee makes to a live campaign (pause, resume, an edit, a budget change,
re-applying approved settings) goes through ``apply_changes``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from meta.domain.errors import AdBeeError, MetaApiError
from meta.domain.ports import GraphApi

VALIDATE_ONLY = ["validate_only"]


@dataclass(frozen=True)
class Change:
    """One update: ``POST /<object_id>`` with ``params``; ``label`` names it for people."""

    object_id: str
    params: Mapping[str, Any] = field(default_factory=dict)
    label: str = "the object"


class ChangeRefusedError(AdBeeError):
    """Meta refused a change when validating it; nothing of the batch was applied."""

    def __init__(self, message: str, *, change: Change, cause: MetaApiError) -> None:
        super().__init__(message)
        self.change = change
        self.cause = cause


def validate_changes(graph: GraphApi, changes: Sequence[Change]) -> None:
    """Ask Meta to validate each change; ``ChangeRefusedError`` with Meta's words on a refusal.

    Transport errors and retryable answers propagate as they are (the retry policy of the
    client has run): nothing was applied either way.
    """
    for change in changes:
        try:
            graph.post(
                change.object_id,
                {**change.params, "execution_options": VALIDATE_ONLY},
                idempotent=True,  # changes nothing: safe to send again
            )
        except MetaApiError as exc:
            if exc.is_retryable or exc.is_auth:
                raise
            raise ChangeRefusedError(
                f"Meta refused the change to {change.label}: {exc.user_text()}. "
                f"{exc.fix_hint()} Nothing was changed.",
                change=change,
                cause=exc,
            ) from exc


def validate_create(graph: GraphApi, path: str, params: Mapping[str, Any], label: str) -> None:
    """Ask Meta to validate a create (``POST <path>`` with ``validate_only``): it makes nothing.

    ``ChangeRefusedError`` with Meta's words on a refusal; retryable and auth errors propagate.
    """
    try:
        graph.post(path, {**params, "execution_options": VALIDATE_ONLY}, idempotent=True)
    except MetaApiError as exc:
        if exc.is_retryable or exc.is_auth:
            raise
        raise ChangeRefusedError(
            f"Meta refused {label}: {exc.user_text()}. {exc.fix_hint()} Nothing was changed.",
            change=Change(path, params, label),
            cause=exc,
        ) from exc


def apply_changes(graph: GraphApi, changes: Sequence[Change]) -> list[dict]:
    """Validate every change with Meta, then apply them in order; returns Meta's answers."""
    wanted = [c for c in changes if c.params]
    validate_changes(graph, wanted)
    return [graph.post(c.object_id, dict(c.params), idempotent=True) for c in wanted]
