"""Path routing: ``/<vN>/act_X[/edge]`` and ``/<vN>/<id>[/edge]`` to handlers.

Routing errors use Graph's own wording: unknown objects are 100/33 "Unsupported <method>
request", unknown edges on a node read as nonexisting fields, deeper paths as 2500.
"""

from __future__ import annotations

from typing import Any

from .context import Ctx
from .errors import nonexisting_field, param_error, unknown_path, unsupported_request
from .images import adimages_delete, adimages_list, adimages_post
from .insights import insights_get, insights_post, run_insights, run_status, state
from .previews import previews
from .reads import list_edge, render_account, render_node, video_thumbnails
from .store import Account, Node, Store
from .tokens import debug_token, me
from .validation import min_daily_budget
from .video import advideos_delete, advideos_post, thumbnails_post
from .writes import create, delete, update

ACCOUNT_LIST_EDGES = {
    "campaigns": "campaign",
    "adsets": "adset",
    "ads": "ad",
    "adcreatives": "adcreative",
    "advideos": "advideo",
}
NODE_LIST_EDGES = {
    ("campaign", "adsets"): ("adset", "campaign_id"),
    ("campaign", "ads"): ("ad", "campaign_id"),
    ("adset", "ads"): ("ad", "adset_id"),
}
# Account edges that change objects (score cost 3, mutation QPS).
MUTATING_EDGES = frozenset({"campaigns", "adsets", "ads", "adcreatives"})


def resolve_account(store: Store, segments: list[str]) -> Account | None:
    """The ad account a path belongs to (for usage headers and the score limiter)."""
    if not segments:
        return None
    head = segments[0]
    if head.startswith("act_"):
        return store.accounts.get(head)
    run = state(store).runs.get(head)
    if run is not None:
        return store.accounts.get(run.account_id)
    node = store.get(head)
    return store.accounts.get(node.account_id) if node is not None else None


def is_mutation(method: str, segments: list[str], store: Store) -> bool:
    """Create/edit/delete of campaigns, ad sets, ads or creatives."""
    if method == "GET" or not segments:
        return False
    if segments[0].startswith("act_"):
        return len(segments) == 2 and segments[1] in MUTATING_EDGES
    node = store.get(segments[0])
    return node is not None and len(segments) == 1 and node.kind != "advideo"


def _minimum_budgets(ctx: Ctx, account: Account) -> dict[str, Any]:
    """GET /act_X/minimum_budgets: the emulator's enforced floor is ``min_daily_budget_imp``."""
    rows = []
    currencies = [account.currency] + [
        c for c in ctx.settings.min_daily_budgets if c != account.currency
    ]
    for currency in currencies:
        base = (
            min_daily_budget(ctx, account)
            if currency == account.currency
            else ctx.settings.min_daily_budgets[currency]
        )
        rows.append(
            {
                "currency": currency,
                "min_daily_budget_imp": base,
                "min_daily_budget_video_views": base * 5,
                "min_daily_budget_high_freq": base * 5,
                "min_daily_budget_low_freq": base * 40,
            }
        )
    return {"data": rows}


def _account_route(ctx: Ctx, account: Account, rest: list[str]) -> Any:
    method = ctx.method
    if not rest:
        if method == "GET":
            return render_account(ctx, account, ctx.params.fields())
        raise unsupported_request(method, account.id)
    edge = rest[0]
    if method == "GET":
        if edge in ACCOUNT_LIST_EDGES:
            return list_edge(ctx, ctx.store.of_kind(ACCOUNT_LIST_EDGES[edge], account.id))
        if edge == "adimages":
            return adimages_list(ctx)
        if edge == "minimum_budgets":
            return _minimum_budgets(ctx, account)
        if edge == "insights":
            return insights_get(ctx, account, None)
        raise nonexisting_field(edge, "AdAccount")
    if method == "POST":
        if edge in MUTATING_EDGES:
            return create(ctx, ACCOUNT_LIST_EDGES[edge])
        if edge == "advideos":
            return advideos_post(ctx)
        if edge == "adimages":
            return adimages_post(ctx)
        if edge == "insights":
            return insights_post(ctx, account)
    if method == "DELETE" and edge == "advideos":
        return advideos_delete(ctx)
    if method == "DELETE" and edge == "adimages":
        return adimages_delete(ctx)
    raise unsupported_request(method, f"{account.id}/{edge}")


def _node_route(ctx: Ctx, node: Node, rest: list[str]) -> Any:
    method = ctx.method
    if not rest:
        if method == "GET":
            return render_node(ctx, node, ctx.params.fields())
        if method == "POST":
            return update(ctx, node)
        return delete(ctx, node)
    edge = rest[0]
    key = (node.kind, edge)
    if key in NODE_LIST_EDGES and method == "GET":
        kind, parent = NODE_LIST_EDGES[key]
        return list_edge(ctx, ctx.store.children(kind, parent, node.id))
    if edge == "insights" and method == "GET" and node.kind in ("campaign", "adset", "ad"):
        return insights_get(ctx, ctx.require_account(), node)
    if node.kind in ("ad", "adcreative") and edge == "previews" and method == "GET":
        return previews(ctx, node)
    if node.kind == "advideo" and edge == "thumbnails":
        if method == "GET":
            return {"data": video_thumbnails(ctx, node)}
        if method == "POST":
            return thumbnails_post(ctx, node)
    if method == "GET":
        raise nonexisting_field(edge, node.node_type)
    raise unsupported_request(method, node.id)


# A multi-ID read answers at most 50 ids (Graph v2.2 upgrade guide, as restfb#157 quotes it:
# "max. 50 ids per request" for the ``?ids=`` syntax).
MAX_IDS = 50
# From v26.0 a root ``GET /?ids=`` answers an error ("Graph API 26.0: ids query parameter in
# root deprecated", restfb#1692: "Root requests using GET /?ids=... return an error"); Meta's
# v27.0 announcement (2026-11-04) bars multi-ID requests for new apps and new use cases on
# every version. AdBee reads many campaigns through the ad account's edges instead.
LAST_MULTI_ID_VERSION = 25


def multi_id_read(ctx: Ctx) -> dict[str, Any]:
    """``GET /vNN.0/?ids=a,b&fields=...``: each object under its id, as one request."""
    if ctx.version > LAST_MULTI_ID_VERSION:
        raise param_error(
            f"The ids parameter on the root node is not supported in v{ctx.version}.0: "
            "read the objects through an edge or one by one"
        )
    ids = [i.strip() for i in (ctx.params.text("ids") or "").split(",") if i.strip()]
    if len(ids) > MAX_IDS:
        raise param_error(f"Too many IDs. Maximum: {MAX_IDS}. Got: {len(ids)}")
    out: dict[str, Any] = {}
    for object_id in ids:
        node = ctx.store.get(object_id)
        if node is None:
            raise unsupported_request("GET", object_id)
        out[object_id] = render_node(ctx, node, ctx.params.fields())
    return out


def dispatch(ctx: Ctx, segments: list[str]) -> Any:
    """Route a versioned path (segments after the version) and run its handler."""
    if len(segments) > 2:
        raise unknown_path("/" + "/".join(segments[2:]))
    head, rest = segments[0], segments[1:]
    if head == "debug_token" and not rest and ctx.method == "GET":
        return debug_token(ctx)
    if head == "me" and ctx.method == "GET":
        return me(ctx, rest)
    if head.startswith("act_"):
        account = ctx.store.accounts.get(head)
        if account is None:
            raise unsupported_request(ctx.method, head)
        ctx.account = account
        return _account_route(ctx, account, rest)
    run = state(ctx.store).runs.get(head)
    if run is not None and ctx.method == "GET":
        ctx.account = ctx.store.accounts.get(run.account_id)
        if not rest:
            return run_status(ctx, run)
        if rest == ["insights"]:
            return run_insights(ctx, run)
        raise nonexisting_field(rest[0], "AdReportRun")
    node = ctx.store.get(head)
    if node is None:
        raise unsupported_request(ctx.method, head)
    ctx.account = ctx.store.accounts.get(node.account_id)
    return _node_route(ctx, node, rest)
