"""Campaign create/update rules (platform-facts.md §1.3, §2).

Returns the field dict to store; the generic write path in ``writes.py`` handles ids,
validate_only, read-after-write and timestamps.
"""

from __future__ import annotations

from typing import Any

from . import schema
from .context import Ctx
from .errors import invalid, must_be_one_of, param_error
from .store import Node
from .validation import (
    UPDATE_STATUSES,
    check_both_budgets,
    check_create_status,
    check_end_in_future,
    check_enum,
    check_min_budget,
    check_time_window,
    parse_time_param,
    reject_ecbp,
    require_text,
)

OUTCOME_OBJECTIVES = frozenset(o for o in schema.ALL_OBJECTIVES if o.startswith("OUTCOME_"))
SMART_PROMOTION_TYPES = frozenset({"GUIDED_CREATION", "SMART_APP_PROMOTION"})


def _check_objective(objective: str) -> str:
    if objective in OUTCOME_OBJECTIVES:
        return objective
    if objective in schema.ALL_OBJECTIVES:
        raise invalid(
            None,
            "Objective Unavailable",
            f"The {objective} objective can no longer be used to create campaigns. "
            "Use one of the outcome-based objectives, e.g. OUTCOME_SALES.",
            "objective",
        )
    raise must_be_one_of("objective", OUTCOME_OBJECTIVES)


def _check_smart_promotion(ctx: Ctx) -> None:
    value = ctx.params.text("smart_promotion_type")
    if value is None:
        return
    if value == "AUTOMATED_SHOPPING_ADS":
        raise invalid(
            None,
            "Advantage+ Shopping Campaigns Can't Be Created",
            "Advantage+ shopping campaigns (smart_promotion_type=AUTOMATED_SHOPPING_ADS) can no "
            "longer be created or edited. Create an Advantage+ sales campaign instead: campaign "
            "budget, Advantage+ audience and Advantage+ placements.",
            "smart_promotion_type",
        )
    check_enum("smart_promotion_type", value, SMART_PROMOTION_TYPES)


def _special_ad_categories(ctx: Ctx) -> list[str]:
    categories = ctx.params.array("special_ad_categories")
    if categories is None:
        raise param_error("The parameter special_ad_categories is required")
    for i, cat in enumerate(categories):
        check_enum(f"special_ad_categories[{i}]", str(cat), schema.SPECIAL_AD_CATEGORIES)
    return [str(c) for c in categories]


def _bid_strategy(ctx: Ctx) -> str | None:
    value = ctx.params.text("bid_strategy")
    return None if value is None else check_enum("bid_strategy", value, schema.BID_STRATEGIES)


def campaign_create(ctx: Ctx) -> dict[str, Any]:
    """Validate POST /act_X/campaigns and return the stored fields."""
    account = ctx.require_account()
    p = ctx.params
    reject_ecbp(ctx)
    name = require_text(ctx, "name")
    objective = _check_objective(require_text(ctx, "objective"))
    categories = _special_ad_categories(ctx)
    status = check_create_status(ctx)
    _check_smart_promotion(ctx)
    buying_type = check_enum(
        "buying_type", p.text("buying_type", "AUCTION") or "", ("AUCTION", "RESERVED")
    )
    daily = p.integer("daily_budget")
    lifetime = p.integer("lifetime_budget")
    check_both_budgets(daily, lifetime)
    bid_strategy = _bid_strategy(ctx)
    cbo = bool(daily or lifetime)
    if cbo:
        check_min_budget(
            ctx,
            account,
            int(daily or lifetime or 0),
            "daily_budget" if daily else "lifetime_budget",
            "campaign",
        )
        # Documented trap: omitted bid_strategy defaults to BID_CAP (ad sets then need bid_amount).
        bid_strategy = bid_strategy or "LOWEST_COST_WITH_BID_CAP"
    else:
        if bid_strategy is not None:
            raise invalid(
                None,
                "Bid Strategy Needs Campaign Budget",
                "A campaign bid strategy can only be set together with a campaign budget "
                "(daily_budget or lifetime_budget). Set the bid strategy on the ad sets instead.",
                "bid_strategy",
            )
        sharing = p.boolean("is_adset_budget_sharing_enabled")
        if sharing is None and ctx.version >= 24:
            raise invalid(
                4834011,
                "Budget Sharing Setting Required",
                "When the budget is set on ad sets you must specify "
                "is_adset_budget_sharing_enabled (true or false).",
                "is_adset_budget_sharing_enabled",
            )
    start = parse_time_param(ctx, "start_time")
    stop = parse_time_param(ctx, "stop_time")
    check_time_window(start, stop, "stop_time")
    check_end_in_future(ctx, stop, "stop_time")
    data: dict[str, Any] = {
        "name": name,
        "objective": objective,
        "status": status,
        "special_ad_categories": categories,
        "buying_type": buying_type,
        "daily_budget": daily or None,
        "lifetime_budget": lifetime or None,
        "bid_strategy": bid_strategy,
        "spend_cap": p.integer("spend_cap"),
        "is_adset_budget_sharing_enabled": p.boolean("is_adset_budget_sharing_enabled"),
        "start_time": start,
        "stop_time": stop,
        "promoted_object": p.obj("promoted_object"),
        "adlabels": p.array("adlabels"),
        "special_ad_category_country": p.array("special_ad_category_country"),
    }
    return {k: v for k, v in data.items() if v is not None}


def campaign_update(ctx: Ctx, node: Node) -> dict[str, Any]:
    """Validate POST /<campaign_id> and return the changed fields."""
    account = ctx.require_account()
    p = ctx.params
    reject_ecbp(ctx)
    _check_smart_promotion(ctx)
    changes: dict[str, Any] = {}
    if p.has("objective") and p.text("objective") != node.data.get("objective"):
        raise invalid(
            None,
            "Objective Can't Be Changed",
            "A campaign's objective can't be changed after it is created.",
            "objective",
        )
    if p.has("name"):
        changes["name"] = p.text("name")
    if p.has("status"):
        changes["status"] = check_enum("status", p.text("status") or "", UPDATE_STATUSES)
    if "special_ad_categories" in p:
        changes["special_ad_categories"] = _special_ad_categories(ctx)
    daily = p.integer("daily_budget")
    lifetime = p.integer("lifetime_budget")
    check_both_budgets(daily, lifetime)
    for field, amount in (("daily_budget", daily), ("lifetime_budget", lifetime)):
        if amount is not None:
            check_min_budget(ctx, account, amount, field, "campaign")
            changes[field] = amount
    bid_strategy = _bid_strategy(ctx)
    if bid_strategy is not None:
        changes["bid_strategy"] = bid_strategy
    if p.has("spend_cap"):
        changes["spend_cap"] = p.integer("spend_cap")
    for key in ("start_time", "stop_time"):
        if p.has(key):
            changes[key] = parse_time_param(ctx, key)
    check_end_in_future(ctx, changes.get("stop_time"), "stop_time")
    check_time_window(
        changes.get("start_time", node.data.get("start_time")),
        changes.get("stop_time", node.data.get("stop_time")),
        "stop_time",
    )
    if "adlabels" in p:
        changes["adlabels"] = p.array("adlabels")
    if p.has("migrate_to_advantage_plus"):
        p.boolean("migrate_to_advantage_plus")  # accepted; A+ state is derived on read
    return changes
