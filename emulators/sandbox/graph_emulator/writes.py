"""Generic create / update / delete for campaigns, ad sets, creatives and ads.

The per-kind modules only validate; this module applies the shared Graph semantics:
``execution_options=["validate_only"]`` mutates nothing, creates answer ``{"id": ...}`` plus
any read-after-write ``fields``, updates/deletes answer ``{"success": true}``, deletes
cascade to children, and ads (re-)enter review.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import schema
from .ads import ad_create, ad_update
from .adsets import adset_create, adset_update
from .campaigns import campaign_create, campaign_update
from .context import Ctx
from .creatives import creative_create, creative_update
from .errors import must_be_one_of, param_error
from .insights import log_status
from .reads import render_node
from .store import Node
from .validation import (
    META_PARAMS,
    check_budget_change_rate,
    check_editable,
    record_budget_change,
)

CREATE_RULES: dict[str, Callable[[Ctx], dict[str, Any]]] = {
    "campaign": campaign_create,
    "adset": adset_create,
    "adcreative": creative_create,
    "ad": ad_create,
}
UPDATE_RULES: dict[str, Callable[[Ctx, Node], dict[str, Any]]] = {
    "campaign": campaign_update,
    "adset": adset_update,
    "adcreative": creative_update,
    "ad": ad_update,
}
# Kinds whose status history drives delivery in the Insights model.
STATUS_LOGGED = frozenset({"campaign", "adset", "ad"})
_CHILDREN = {
    "campaign": (("adset", "campaign_id"), ("ad", "campaign_id")),
    "adset": (("ad", "adset_id"),),
}


def _validate_only(ctx: Ctx, kind: str) -> bool:
    """True when the request asks Meta to validate and change nothing; every option must be one
    the node type knows (the SDK's ``ExecutionOptions`` enum of that type)."""
    options = ctx.params.execution_options()
    allowed = schema.EXECUTION_OPTIONS.get(kind, frozenset({"validate_only"}))
    for index, option in enumerate(sorted(options)):
        if option not in allowed:
            raise must_be_one_of(f"execution_options[{index}]", allowed)
    return "validate_only" in options


def start_review(ctx: Ctx, ad: Node) -> None:
    """Put an ad into review; a queued disapproval (disapprove_next_ad) decides the outcome."""
    ad.meta["review_until"] = ctx.now + ctx.settings.ad_review_seconds
    queue: list[dict[str, str]] = ctx.store.pending_disapprovals
    ad.meta["disapproval"] = queue.pop(0) if queue else None


def create(ctx: Ctx, kind: str) -> dict[str, Any]:
    """POST /act_X/<edge> for the four ad objects."""
    account = ctx.require_account()
    data = CREATE_RULES[kind](ctx)
    if _validate_only(ctx, kind):
        return {"success": True}
    node = Node(
        id=ctx.store.new_id(),
        kind=kind,
        account_id=account.id,
        data=data,
        created=ctx.now,
        updated=ctx.now,
        meta={"in_process_until": ctx.now + ctx.settings.in_process_seconds},
    )
    if kind == "adcreative" and "actor_id" in data:
        data["effective_object_story_id"] = f"{data['actor_id']}_{node.id}"
    if kind == "ad":
        start_review(ctx, node)
    if kind in STATUS_LOGGED:
        log_status(node, ctx.now)
    ctx.store.add(node)
    response: dict[str, Any] = {"id": node.id}
    fields = ctx.params.fields()
    if fields:
        response.update(render_node(ctx, node, fields))
    return response


def _cascade_delete(ctx: Ctx, node: Node) -> None:
    for kind, parent_field in _CHILDREN.get(node.kind, ()):
        for child in ctx.store.children(kind, parent_field, node.id):
            child.data["status"] = "DELETED"
            child.updated = ctx.now
            log_status(child, ctx.now)


def update(ctx: Ctx, node: Node) -> dict[str, Any]:
    """POST /<id>."""
    keys = {k for k in ctx.params.raw if k not in META_PARAMS}
    check_editable(node, keys)
    if node.kind == "advideo":
        changes = {k: ctx.params.text(k) for k in ("name", "title", "description") if k in keys}
    else:
        changes = UPDATE_RULES[node.kind](ctx, node)
    check_budget_change_rate(ctx, node, changes)
    if _validate_only(ctx, node.kind):
        return {"success": True}
    record_budget_change(ctx, node, changes)
    for key, value in changes.items():
        if value is None:
            node.data.pop(key, None)
        else:
            node.data[key] = value
    node.updated = ctx.now
    if node.kind in STATUS_LOGGED and "status" in changes:
        log_status(node, ctx.now)
    if node.kind != "advideo":
        node.meta["in_process_until"] = ctx.now + ctx.settings.in_process_seconds
    if node.kind == "ad" and "creative_id" in changes:
        start_review(ctx, node)
    if changes.get("status") == "DELETED":
        _cascade_delete(ctx, node)
    return {"success": True}


def delete(ctx: Ctx, node: Node) -> dict[str, Any]:
    """DELETE /<id> == status=DELETED (children too)."""
    if _validate_only(ctx, node.kind):
        return {"success": True}
    if node.kind == "adcreative" and any(
        not ad.deleted for ad in ctx.store.children("ad", "creative_id", node.id)
    ):
        # Meta's words as a public report quotes them (facebook-php-business-sdk#385).
        raise param_error(
            "You cannot delete this creative because it is currently in use for existing adgroups."
        )
    node.data["status"] = "DELETED"
    node.updated = ctx.now
    if node.kind in STATUS_LOGGED:
        log_status(node, ctx.now)
    _cascade_delete(ctx, node)
    return {"success": True}
