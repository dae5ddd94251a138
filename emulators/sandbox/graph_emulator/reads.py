"""Rendering nodes for ``fields=`` reads and paging edges.

Graph returns only ``id`` unless fields are asked for, omits null fields, renders budgets as
numeric strings and datetimes with the account's UTC offset, and rejects unknown fields with
``(#100) Tried accessing nonexisting field``; clients that rely on anything else break live.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from . import schema
from .context import Ctx
from .errors import nonexisting_field, param_error
from .insights import account_spent_minor
from .params import parse_field, parse_field_spec
from .previews import shareable_link
from .status import (
    ad_review_feedback,
    advantage_state_info,
    effective_status,
    issues_info,
    video_ready,
    video_status,
)
from .store import Account, Node

READABLE: dict[str, frozenset[str]] = {
    "campaign": schema.CAMPAIGN_FIELDS,
    "adset": schema.ADSET_FIELDS,
    "ad": schema.AD_FIELDS,
    "adcreative": schema.ADCREATIVE_FIELDS,
    "advideo": schema.ADVIDEO_FIELDS,
}
# Edges that may also be expanded as fields (``fields=adsets{name}``).
EDGES: dict[str, dict[str, tuple[str, str]]] = {
    "campaign": {"adsets": ("adset", "campaign_id"), "ads": ("ad", "campaign_id")},
    "adset": {"ads": ("ad", "adset_id")},
}
_MONEY_FIELDS = (
    "daily_budget",
    "lifetime_budget",
    "spend_cap",
    "daily_min_spend_target",
    "daily_spend_cap",
)
_TIME_FIELDS = ("start_time", "stop_time", "end_time")
_DEFAULT_ATTRIBUTION = [
    {"event_type": "CLICK_THROUGH", "window_days": 7},
    {"event_type": "VIEW_THROUGH", "window_days": 1},
]


def _account_of(ctx: Ctx, node: Node) -> Account | None:
    return ctx.store.accounts.get(node.account_id)


def _subselect(value: Any, sub: list[str] | None) -> Any:
    """Apply ``{a,b}`` to a struct (or list of structs)."""
    if sub is None:
        return value
    names = [parse_field(s)[0] for s in sub]
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k in names}
    if isinstance(value, list):
        return [_subselect(v, sub) for v in value]
    return value


def _reference(ctx: Ctx, node_id: Any, sub: list[str] | None) -> dict[str, Any] | None:
    if not node_id:
        return None
    target = ctx.store.get(str(node_id))
    if target is None or not sub:
        return {"id": str(node_id)}
    return render_node(ctx, target, sub)


def _normalized_targeting(targeting: dict[str, Any]) -> dict[str, Any]:
    """Meta echoes targeting with defaults filled in (location_types, age range)."""
    out = json.loads(json.dumps(targeting))
    geo = out.get("geo_locations")
    if isinstance(geo, dict) and "location_types" not in geo:
        geo["location_types"] = ["home", "recent"]
    out.setdefault("age_min", 18)
    out.setdefault("age_max", 65)
    return out


def video_thumbnails(ctx: Ctx, video: Node) -> list[dict[str, Any]]:
    if not video_ready(video, ctx.now, ctx.settings):
        return []
    info = video.meta.get("info")
    width = getattr(info, "width", 0) or 720
    height = getattr(info, "height", 0) or 1280
    custom = video.meta.get("custom_thumbnails", [])
    items = []
    for i in range(3):
        items.append(
            {
                "id": f"{video.id}{i:02d}",
                "height": height,
                "is_preferred": i == 0 and not any(c["is_preferred"] for c in custom),
                "name": f"thumbnail_{i}",
                "scale": 1,
                "uri": f"{ctx.base_url}/emulator-media/thumbnails/{video.id}/{i}.jpg",
                "width": width,
            }
        )
    return custom + items


def _video_field(ctx: Ctx, node: Node, name: str) -> Any:
    ready = video_ready(node, ctx.now, ctx.settings)
    info = node.meta.get("info")
    if name == "status":
        return video_status(node, ctx.now, ctx.settings)
    if name == "length":
        return round(info.duration_seconds, 3) if ready and info else (0 if ready else None)
    if name == "picture":
        return f"{ctx.base_url}/emulator-media/thumbnails/{node.id}/0.jpg" if ready else None
    if name == "source":
        return f"{ctx.base_url}/emulator-media/videos/{node.id}.mp4" if ready else None
    if name == "permalink_url":
        return f"/{node.account_id.removeprefix('act_')}/videos/{node.id}/"
    if name == "published":
        return False
    if name == "embeddable":
        return True
    if name == "format" and ready:
        return [
            {
                "filter": "native",
                "height": getattr(info, "height", 0) or 1280,
                "width": getattr(info, "width", 0) or 720,
                "picture": f"{ctx.base_url}/emulator-media/thumbnails/{node.id}/0.jpg",
            }
        ]
    return node.data.get(name)


def _field(ctx: Ctx, node: Node, name: str, sub: list[str] | None, limit: int | None = None) -> Any:
    """Value of one readable field (None = omitted, as Graph omits nulls)."""
    account = _account_of(ctx, node)
    data = node.data
    if name == "id":
        return node.id
    if name == "account_id":
        return node.account_id.removeprefix("act_")
    if name in ("created_time", "updated_time"):
        return ctx.format_time(node.created if name == "created_time" else node.updated, account)
    if name in EDGES.get(node.kind, {}):
        kind, parent = EDGES[node.kind][name]
        children = [n for n in ctx.store.children(kind, parent, node.id) if not n.deleted]
        # An expanded edge is a nested, paged request of its own (Graph "Field Expansion":
        # ``.limit()`` sets its page size; the rest is behind its own ``paging.next``).
        query = {"fields": ",".join(sub or ["id"])}
        token = ctx.params.text("access_token")
        if token:
            query["access_token"] = token
        return page_of(
            ctx,
            children,
            sub or ["id"],
            limit=limit,
            after=None,
            before=None,
            path=f"/{ctx.version_str}/{node.id}/{name}",
            query=query,
        )
    if node.kind == "advideo":
        if name == "thumbnails":
            return {"data": _subselect(video_thumbnails(ctx, node), sub)}
        return _subselect(_video_field(ctx, node, name), sub)
    if name == "effective_status":
        return effective_status(node, ctx.store, ctx.now)
    if name == "configured_status":
        return data.get("status")
    if name == "issues_info":
        return _subselect(issues_info(node, ctx.now), sub)
    if name in _MONEY_FIELDS:
        return str(data[name]) if data.get(name) is not None else None
    if name in _TIME_FIELDS:
        return ctx.format_time(data.get(name), account)
    if name in ("campaign", "adset"):
        return _reference(ctx, data.get(f"{name}_id"), sub)
    if name == "creative":
        return _reference(ctx, data.get("creative_id"), sub)
    getter = _KIND_FIELDS.get(node.kind, {}).get(name)
    if getter is not None:
        return _subselect(getter(ctx, node), sub)
    return _subselect(data.get(name), sub)


def _campaign_budget_remaining(ctx: Ctx, node: Node) -> str:
    return str(node.data.get("daily_budget") or node.data.get("lifetime_budget") or 0)


def _campaign_smart_promotion(ctx: Ctx, node: Node) -> str | None:
    state = advantage_state_info(node, ctx.store)["advantage_state"]
    return "GUIDED_CREATION" if state != "DISABLED" else None


def _adset_bid_strategy(ctx: Ctx, node: Node) -> Any:
    campaign = ctx.store.get(str(node.data.get("campaign_id")))
    if campaign is not None and campaign.data.get("bid_strategy"):
        return campaign.data["bid_strategy"]
    return node.data.get("bid_strategy")


def _adset_targeting(ctx: Ctx, node: Node) -> Any:
    targeting = node.data.get("targeting")
    return _normalized_targeting(targeting) if isinstance(targeting, dict) else None


_KIND_FIELDS: dict[str, dict[str, Callable[[Ctx, Node], Any]]] = {
    "campaign": {
        "advantage_state_info": lambda ctx, n: advantage_state_info(n, ctx.store),
        "smart_promotion_type": _campaign_smart_promotion,
        "budget_remaining": _campaign_budget_remaining,
        "pacing_type": lambda ctx, n: ["standard"],
        "can_use_spend_cap": lambda ctx, n: True,
        "special_ad_category": lambda ctx, n: "NONE",
    },
    "adset": {
        "bid_strategy": _adset_bid_strategy,
        "targeting": _adset_targeting,
        "budget_remaining": _campaign_budget_remaining,
        "attribution_spec": lambda ctx, n: n.data.get("attribution_spec") or _DEFAULT_ATTRIBUTION,
        "pacing_type": lambda ctx, n: ["standard"],
        "is_dynamic_creative": lambda ctx, n: bool(n.data.get("is_dynamic_creative")),
    },
    "ad": {
        "ad_review_feedback": lambda ctx, n: ad_review_feedback(n, ctx.now),
        "preview_shareable_link": lambda ctx, n: shareable_link(n),
    },
}


def render_node(ctx: Ctx, node: Node, fields: list[str] | None) -> dict[str, Any]:
    """Render a node for ``fields``; ``id`` is always included."""
    specs = fields or ["id"]
    allowed = READABLE[node.kind] | set(EDGES.get(node.kind, {}))
    if node.kind == "advideo":
        allowed = allowed | {"thumbnails"}
    out: dict[str, Any] = {}
    for spec in specs:
        name, sub, limit = parse_field_spec(spec)
        if name not in allowed:
            raise nonexisting_field(name, node.node_type)
        value = _field(ctx, node, name, sub, limit)
        if value is not None:
            out[name] = value
    out.setdefault("id", node.id)
    return out


def render_account(ctx: Ctx, account: Account, fields: list[str] | None) -> dict[str, Any]:
    """GET /act_X?fields=..."""
    offset = datetime.fromtimestamp(ctx.now, ZoneInfo(account.timezone_name)).utcoffset()
    values: dict[str, Any] = {
        "id": account.id,
        "account_id": account.numeric_id,
        "name": account.name,
        "currency": account.currency,
        "timezone_name": account.timezone_name,
        "timezone_offset_hours_utc": (offset.total_seconds() / 3600) if offset else 0.0,
        "account_status": account.account_status,
        "disable_reason": account.disable_reason,
        # Minor units as strings, like budgets; amount_spent is what the Insights model spent.
        "amount_spent": str(
            account_spent_minor(ctx.store, account, ctx.now, ctx.settings.insights_seed)
        )
        if "amount_spent" in (fields or ())
        else "0",
        "balance": "0",
        "spend_cap": str(account.spend_cap),
        "min_daily_budget": ctx.settings.min_daily_budgets.get(
            account.currency, ctx.settings.fallback_min_daily_budget
        ),
        "is_personal": 0,
        "is_prepay_account": False,
        "default_dsa_beneficiary": account.default_dsa_beneficiary,
        "default_dsa_payor": account.default_dsa_payor,
        "created_time": ctx.format_time(account.created, account),
        "user_tasks": ["DRAFT", "ANALYZE", "ADVERTISE", "MANAGE"],
        "capabilities": [],
    }
    out: dict[str, Any] = {}
    for spec in fields or ["id"]:
        name, sub = parse_field(spec)
        if name not in schema.ADACCOUNT_FIELDS:
            raise nonexisting_field(name, "AdAccount")
        if values.get(name) is not None:
            out[name] = _subselect(values[name], sub)
    out.setdefault("id", account.id)
    return out


def _cursor(node_id: str) -> str:
    return base64.urlsafe_b64encode(f"emu:{node_id}".encode()).decode().rstrip("=")


def _decode_cursor(value: str) -> str:
    try:
        padded = value + "=" * (-len(value) % 4)
        text = base64.urlsafe_b64decode(padded.encode()).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise param_error("Invalid cursor") from exc
    if not text.startswith("emu:"):
        raise param_error("Invalid cursor")
    return text[4:]


# Meta's filtering operators (Marketing API filter objects: ``{field, operator, value}``; the
# SDK's AdRuleFilters.Operator and the Insights ``filtering`` parameter list the same names).
FILTER_OPERATORS = frozenset(
    {
        "EQUAL",
        "NOT_EQUAL",
        "GREATER_THAN",
        "GREATER_THAN_OR_EQUAL",
        "LESS_THAN",
        "LESS_THAN_OR_EQUAL",
        "IN_RANGE",
        "NOT_IN_RANGE",
        "CONTAIN",
        "NOT_CONTAIN",
        "IN",
        "NOT_IN",
        "STARTS_WITH",
        "ENDS_WITH",
        "ANY",
        "ALL",
        "AFTER",
        "BEFORE",
        "ON_OR_AFTER",
        "ON_OR_BEFORE",
        "NONE",
        "TOP",
    }
)
_LIST_OPERATORS = frozenset({"IN", "NOT_IN", "ANY", "ALL", "NONE"})
_RANGE_OPERATORS = frozenset({"IN_RANGE", "NOT_IN_RANGE"})


def checked_filtering(raw: Any) -> list[dict[str, Any]]:
    """The ``filtering`` param as Graph accepts it, or its code-100 refusal before any read:
    a JSON array of objects each with ``field``, ``operator`` (one of Meta's) and ``value`` (a
    list for the set operators, a pair for the ranges)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise param_error("param filtering must be an array.")
    out = []
    for rule in raw:
        if not isinstance(rule, dict) or not {"field", "operator", "value"} <= set(rule):
            raise param_error(
                "Each filtering entry must be an object with field, operator and value: "
                f"{json.dumps(rule)}"
            )
        operator = str(rule["operator"]).upper()
        if operator not in FILTER_OPERATORS:
            raise param_error(
                f"filtering operator {rule['operator']} must be one of "
                + ", ".join(sorted(FILTER_OPERATORS))
            )
        value = rule["value"]
        if operator in _LIST_OPERATORS and not isinstance(value, list):
            raise param_error(f"filtering operator {operator} takes a list value")
        if operator in _RANGE_OPERATORS and not (isinstance(value, list) and len(value) == 2):
            raise param_error(f"filtering operator {operator} takes a [low, high] value")
        out.append({**rule, "operator": operator})
    return out


def _matches_filter(ctx: Ctx, node: Node, rule: dict[str, Any]) -> bool:
    field = str(rule.get("field", ""))
    operator = str(rule.get("operator", "EQUAL")).upper()
    expected = rule.get("value")
    base = field.split(".")[0]
    if field.endswith(".id") and base in ("campaign", "adset", "creative"):
        actual: Any = node.data.get(f"{base}_id")
    elif base in ("effective_status", "configured_status", "status", "name", "id"):
        actual = _field(ctx, node, base, None)
    else:
        actual = node.data.get(base)
    values = expected if isinstance(expected, list) else [expected]
    text = str(actual) if actual is not None else ""
    checks: dict[str, Callable[[], bool]] = {
        "EQUAL": lambda: text == str(expected),
        "NOT_EQUAL": lambda: text != str(expected),
        "IN": lambda: text in [str(v) for v in values],
        "NOT_IN": lambda: text not in [str(v) for v in values],
        "CONTAIN": lambda: str(expected).lower() in text.lower(),
        "NOT_CONTAIN": lambda: str(expected).lower() not in text.lower(),
    }
    if operator not in checks:
        raise param_error(f"Filtering operator {operator} is not supported by the emulator")
    return checks[operator]()


def page_limit(ctx: Ctx, requested: int | None) -> int:
    """``limit`` as Graph applies it: the edge's default without one, and never above the edge's
    maximum. Graph's "Paginated Results": "Some edges may also have a maximum on the limit value
    for performance reasons. In all cases, the API returns the correct pagination links." The
    maximum is not published per edge; ``max_page_size`` stands for it, so a client that asks
    for more than it gets and stops early misses objects here as it would at Meta."""
    if not requested:
        return ctx.settings.page_size
    return min(requested, ctx.settings.max_page_size)


def page_of(
    ctx: Ctx,
    nodes: list[Node],
    fields: list[str] | None,
    *,
    limit: int | None,
    after: str | None,
    before: str | None,
    path: str,
    query: dict[str, str],
) -> dict[str, Any]:
    """One page of ``nodes`` with Graph's ``paging``: both cursors, ``next`` while more follow,
    ``previous`` once the page is not the first (the links repeat the request's own query)."""
    size = page_limit(ctx, limit)
    ids = [n.id for n in nodes]

    def position(cursor: str) -> int | None:
        node_id = _decode_cursor(cursor)
        return ids.index(node_id) if node_id in ids else None

    if after:
        at = position(after)
        start = len(ids) if at is None else at + 1
        end = start + size
    elif before:
        at = position(before)
        end = 0 if at is None else at
        start = max(0, end - size)
    else:
        start, end = 0, size
    page = nodes[start:end]
    out: dict[str, Any] = {"data": [render_node(ctx, n, fields) for n in page]}
    if page:
        base = {k: v for k, v in query.items() if k not in ("after", "before")}
        base["limit"] = str(size)
        paging: dict[str, Any] = {
            "cursors": {"before": _cursor(page[0].id), "after": _cursor(page[-1].id)}
        }
        if end < len(nodes):
            after_last = {**base, "after": _cursor(page[-1].id)}
            paging["next"] = f"{ctx.base_url}{path}?{urlencode(after_last)}"
        if start > 0:
            before_first = {**base, "before": _cursor(page[0].id)}
            paging["previous"] = f"{ctx.base_url}{path}?{urlencode(before_first)}"
        out["paging"] = paging
    return out


def list_edge(ctx: Ctx, nodes: list[Node]) -> dict[str, Any]:
    """Filter, page and render an edge; deleted objects only when explicitly filtered."""
    p = ctx.params
    statuses = p.array("effective_status")
    filtering = checked_filtering(p.json("filtering"))
    fields = p.fields()
    filters_status = statuses is not None or any(
        f["field"] in ("effective_status", "status", "configured_status") for f in filtering
    )
    selected = []
    for node in nodes:
        status = effective_status(node, ctx.store, ctx.now) if node.kind != "advideo" else ""
        if node.deleted and not filters_status:
            continue
        if statuses is not None and status not in [str(s) for s in statuses]:
            continue
        if not all(_matches_filter(ctx, node, f) for f in filtering):
            continue
        selected.append(node)
    out = page_of(
        ctx,
        selected,
        fields,
        limit=p.integer("limit"),
        after=p.text("after"),
        before=p.text("before"),
        path=ctx.path,
        query=dict(p.raw),
    )
    if (p.text("summary") or "").lower() in ("true", "1", "total_count"):
        out["summary"] = {"total_count": len(selected)}
    return out
