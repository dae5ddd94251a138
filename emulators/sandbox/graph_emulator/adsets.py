"""Ad set create/update rules (platform-facts.md §1.4, §2, §3), in the checklist's order:
required -> campaign exists -> CBO conflict -> bid amount -> promoted object -> Advantage+
audience flag -> SG/TW/EU declarations -> times -> minimum budget.
"""

from __future__ import annotations

import math
import re
from typing import Any

from . import schema
from .context import Ctx
from .errors import GraphError, invalid, param_error
from .store import Account, Node
from .validation import (
    UPDATE_STATUSES,
    check_both_budgets,
    check_create_status,
    check_end_in_future,
    check_enum,
    check_min_budget,
    check_time_window,
    dsa_checks,
    owned_node,
    parse_time_param,
    regional_checks,
    reject_ecbp,
    require_text,
)

_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
_LOCATION_KEYS = ("countries", "regions", "cities", "zips", "custom_locations", "geo_markets")
_BID_AMOUNT_STRATEGIES = ("LOWEST_COST_WITH_BID_CAP", "COST_CAP")
_CONVERSION_GOALS = ("OFFSITE_CONVERSIONS", "VALUE")
_LEAD_EVENTS = frozenset({"LEAD", "COMPLETE_REGISTRATION", "SUBMIT_APPLICATION", "CONTACT"})


def _countries(targeting: dict[str, Any]) -> list[str]:
    geo = targeting.get("geo_locations")
    if not isinstance(geo, dict) or not any(geo.get(k) for k in _LOCATION_KEYS):
        raise invalid(
            None,
            "Location Missing",
            "Your audience is missing a location. Add targeting.geo_locations.countries.",
            "targeting",
        )
    countries = geo.get("countries") or []
    if not isinstance(countries, list):
        raise param_error("param targeting[geo_locations][countries] must be an array.")
    for code in countries:
        if not isinstance(code, str) or not _COUNTRY_RE.match(code):
            raise param_error(f"Invalid country code: {code}")
    return list(countries)


def _check_targeting(targeting: dict[str, Any], *, creating: bool) -> None:
    """Advantage+ audience flag must be explicit on create (v23+, platform-facts.md §2)."""
    automation = targeting.get("targeting_automation")
    flag = automation.get("advantage_audience") if isinstance(automation, dict) else None
    if flag is None:
        if not creating:
            return
        raise invalid(
            1870227,
            "Advantage Audience Flag Required",
            "To create your ad set, you need to enable or disable the Advantage+ audience "
            "feature: set targeting.targeting_automation.advantage_audience to 1 (on) or 0 (off).",
            "targeting",
        )
    if str(flag) not in ("0", "1"):
        raise param_error(
            "Param targeting[targeting_automation][advantage_audience] must be 0 or 1"
        )
    if str(flag) == "1":
        age_max = targeting.get("age_max")
        if age_max is not None and int(age_max) != 65:
            raise invalid(
                None,
                "Maximum Age Can't Be Set",
                "With Advantage+ audience on, age_max can't be set (it is fixed at 65); use "
                "age_range as a suggestion instead.",
                "targeting",
            )
        age_min = targeting.get("age_min")
        if age_min is not None and not 18 <= int(age_min) <= 25:
            raise invalid(
                None,
                "Minimum Age Too High",
                "With Advantage+ audience on, age_min must be between 18 and 25.",
                "targeting",
            )


def _check_bid(ctx: Ctx, strategy: str, bid_amount: int | None) -> None:
    if strategy in _BID_AMOUNT_STRATEGIES and not bid_amount:
        raise invalid(
            1815857,
            "Bid Amount Required",
            f"The bid strategy {strategy} requires a bid_amount on every ad set. Set bid_amount, "
            "or use LOWEST_COST_WITHOUT_CAP on the campaign.",
            "bid_amount",
        )
    if strategy == "LOWEST_COST_WITH_MIN_ROAS":
        constraints = ctx.params.obj("bid_constraints") or {}
        floor = constraints.get("roas_average_floor")
        if floor is None or not 100 <= int(floor) <= 10_000_000:
            raise invalid(
                None,
                "ROAS Floor Required",
                "LOWEST_COST_WITH_MIN_ROAS needs bid_constraints.roas_average_floor between "
                "100 and 10000000.",
                "bid_constraints",
            )


def _check_promoted_object(
    ctx: Ctx, account: Account, campaign: Node, goal: str
) -> dict[str, Any] | None:
    promoted = ctx.params.obj("promoted_object")
    if goal not in _CONVERSION_GOALS:
        return promoted
    if not promoted or not promoted.get("pixel_id"):
        raise invalid(
            None,
            "Promoted Object Required",
            f"Ad sets optimised for {goal} need promoted_object with pixel_id and "
            "custom_event_type.",
            "promoted_object",
        )
    pixel = str(promoted["pixel_id"])
    if pixel not in account.pixel_ids:
        raise invalid(
            None,
            "Invalid Pixel",
            f"Pixel {pixel} is not shared with this ad account or does not exist.",
            "promoted_object",
        )
    event = promoted.get("custom_event_type")
    if event is None:
        raise param_error("The parameter promoted_object[custom_event_type] is required")
    check_enum("promoted_object[custom_event_type]", str(event), schema.CUSTOM_EVENT_TYPES)
    needs_purchase = goal == "VALUE" or ctx.settings.require_purchase_event
    if needs_purchase and event != "PURCHASE":
        raise invalid(
            None,
            "Conversion Event Unavailable",
            f"Ad sets optimised for {goal} in this campaign must use custom_event_type PURCHASE.",
            "promoted_object",
        )
    if campaign.data.get("objective") == "OUTCOME_SALES" and event in _LEAD_EVENTS:
        raise invalid(
            2446814,
            "Conversion Event Unavailable",
            f"{event} can't be used with the Sales objective.",
            "promoted_object",
        )
    return promoted


def _lifetime_days(start: float | None, end: float | None, now: float) -> int:
    if end is None:
        return 1
    return max(1, math.ceil((end - (start or now)) / 86400))


def _check_budget(
    ctx: Ctx,
    account: Account,
    campaign: Node,
    daily: int | None,
    lifetime: int | None,
    start: float | None,
    end: float | None,
) -> None:
    cbo = bool(campaign.data.get("daily_budget") or campaign.data.get("lifetime_budget"))
    if cbo and (daily or lifetime):
        raise invalid(
            1885621,
            "Can't Set Ad Set Budget",
            "This campaign uses Advantage+ campaign budget, so its ad sets can't have their own "
            "budget. Remove daily_budget/lifetime_budget from the ad set.",
            "daily_budget" if daily else "lifetime_budget",
        )
    if cbo:
        return
    check_both_budgets(daily, lifetime)
    if not (daily or lifetime):
        raise invalid(
            None,
            "Budget Required",
            "The campaign has no budget, so the ad set needs a daily_budget or lifetime_budget.",
            "daily_budget",
        )
    if lifetime and end is None:
        raise invalid(
            None,
            "End Time Required",
            "An ad set with a lifetime budget needs an end_time.",
            "end_time",
        )


def _min_budget(
    ctx: Ctx,
    account: Account,
    daily: int | None,
    lifetime: int | None,
    start: float | None,
    end: float | None,
    campaign: Node | None = None,
) -> None:
    """100/1885272 below the account's ``minimum_budgets`` floor (platform-facts.md §7).

    Under a campaign budget the floor applies per ad set: the campaign's daily budget must cover
    the floor of every ad set it funds, this new one included ([COMM] smartly.io: "for CBO, the
    campaign minimum is effectively the sum of its ad sets' minimums").
    """
    campaign_daily = campaign.data.get("daily_budget") if campaign is not None else None
    if campaign is not None and campaign_daily:
        siblings = [
            n for n in ctx.store.children("adset", "campaign_id", campaign.id) if not n.deleted
        ]
        check_min_budget(
            ctx, account, int(campaign_daily), "daily_budget", "adset", 1, len(siblings) + 1
        )
        return
    if daily:
        check_min_budget(ctx, account, daily, "daily_budget", "adset")
    elif lifetime:
        days = _lifetime_days(start, end, ctx.now)
        check_min_budget(ctx, account, lifetime, "lifetime_budget", "adset", days)


def _regional(ctx: Ctx, account: Account, countries: list[str], existing: Node | None) -> dict:
    p = ctx.params
    categories = p.array("regional_regulated_categories")
    identities = p.obj("regional_regulation_identities")
    if existing is not None:
        categories = (
            categories
            if categories is not None
            else existing.data.get("regional_regulated_categories", [])
        )
        identities = (
            identities
            if identities is not None
            else existing.data.get("regional_regulation_identities", {})
        )
    categories = categories or []
    identities = identities or {}
    regional_checks(ctx, account, countries, categories, identities)
    beneficiary = p.text("dsa_beneficiary") or (
        existing.data.get("dsa_beneficiary") if existing else None
    )
    payor = p.text("dsa_payor") or (existing.data.get("dsa_payor") if existing else None)
    beneficiary, payor = dsa_checks(account, countries, beneficiary, payor)
    out: dict[str, Any] = {
        "regional_regulated_categories": categories or None,
        "regional_regulation_identities": identities or None,
        "dsa_beneficiary": beneficiary,
        "dsa_payor": payor,
    }
    return out


def adset_create(ctx: Ctx) -> dict[str, Any]:
    """Validate POST /act_X/adsets and return the stored fields."""
    account = ctx.require_account()
    p = ctx.params
    reject_ecbp(ctx)
    name = require_text(ctx, "name")
    campaign_id = require_text(ctx, "campaign_id")
    billing_event = require_text(ctx, "billing_event")
    goal = require_text(ctx, "optimization_goal")
    if p.text("targeting") is None:
        raise param_error("The parameter targeting is required")
    targeting = p.obj("targeting") or {}
    campaign = owned_node(ctx, campaign_id, "campaign", "campaign_id")
    status = check_create_status(ctx)
    check_enum("billing_event", billing_event, schema.BILLING_EVENTS)
    check_enum("optimization_goal", goal, schema.OPTIMIZATION_GOALS)
    countries = _countries(targeting)
    daily = p.integer("daily_budget")
    lifetime = p.integer("lifetime_budget")
    start = parse_time_param(ctx, "start_time")
    end = parse_time_param(ctx, "end_time")
    _check_budget(ctx, account, campaign, daily, lifetime, start, end)
    cbo = bool(campaign.data.get("daily_budget") or campaign.data.get("lifetime_budget"))
    own_strategy = p.text("bid_strategy")
    if own_strategy is not None:
        check_enum("bid_strategy", own_strategy, schema.BID_STRATEGIES)
    strategy = (
        str(campaign.data.get("bid_strategy"))
        if cbo
        else (own_strategy or "LOWEST_COST_WITHOUT_CAP")
    )
    bid_amount = p.integer("bid_amount")
    _check_bid(ctx, strategy, bid_amount)
    promoted = _check_promoted_object(ctx, account, campaign, goal)
    _check_targeting(targeting, creating=True)
    regional = _regional(ctx, account, countries, None)
    check_time_window(start, end, "end_time")
    check_end_in_future(ctx, end, "end_time")
    _min_budget(ctx, account, daily, lifetime, start, end, campaign)
    data: dict[str, Any] = {
        "name": name,
        "campaign_id": campaign.id,
        "status": status,
        "billing_event": billing_event,
        "optimization_goal": goal,
        "targeting": targeting,
        "promoted_object": promoted,
        "daily_budget": daily or None,
        "lifetime_budget": lifetime or None,
        "bid_strategy": None if cbo else strategy,
        "bid_amount": bid_amount,
        "bid_constraints": p.obj("bid_constraints"),
        "start_time": start if start is not None else ctx.now,
        "end_time": end,
        "destination_type": p.text("destination_type"),
        "attribution_spec": p.array("attribution_spec"),
        "placement_soft_opt_out": p.boolean("placement_soft_opt_out"),
        "daily_min_spend_target": p.integer("daily_min_spend_target"),
        "daily_spend_cap": p.integer("daily_spend_cap"),
        "is_dynamic_creative": p.boolean("is_dynamic_creative"),
        **regional,
    }
    return {k: v for k, v in data.items() if v is not None}


def adset_update(ctx: Ctx, node: Node) -> dict[str, Any]:
    """Validate POST /<adset_id> and return the changed fields."""
    account = ctx.require_account()
    p = ctx.params
    reject_ecbp(ctx)
    if p.has("campaign_id") and p.text("campaign_id") != node.data.get("campaign_id"):
        raise invalid(None, "Can't Move Ad Set", "campaign_id can't be changed.", "campaign_id")
    campaign = ctx.store.get(str(node.data["campaign_id"]))
    if campaign is None:
        raise GraphError(message="An unknown error occurred", code=1)
    if p.has("is_dynamic_creative") and bool(p.boolean("is_dynamic_creative")) != bool(
        node.data.get("is_dynamic_creative")
    ):
        # Dynamic creative is chosen when the ad set is made (round2-facts.md, "several
        # creatives": immutable after creation).
        raise invalid(
            None,
            "Dynamic Creative Can't Be Changed",
            "is_dynamic_creative can't be changed after the ad set is created; create a new ad "
            "set instead.",
            "is_dynamic_creative",
        )
    changes: dict[str, Any] = {}
    if p.has("name"):
        changes["name"] = p.text("name")
    if p.has("status"):
        changes["status"] = check_enum("status", p.text("status") or "", UPDATE_STATUSES)
    targeting = node.data.get("targeting") or {}
    if p.text("targeting") is not None:
        targeting = p.obj("targeting") or {}
        _check_targeting(targeting, creating=False)
        changes["targeting"] = targeting  # targeting updates replace the whole object
    countries = _countries(targeting)
    daily, lifetime = p.integer("daily_budget"), p.integer("lifetime_budget")
    cbo = bool(campaign.data.get("daily_budget") or campaign.data.get("lifetime_budget"))
    if daily or lifetime:
        start = parse_time_param(ctx, "start_time") or node.data.get("start_time")
        end = parse_time_param(ctx, "end_time") or node.data.get("end_time")
        _check_budget(ctx, account, campaign, daily, lifetime, start, end)
        _min_budget(ctx, account, daily, lifetime, start, end)
        changes.update(
            {k: v for k, v in (("daily_budget", daily), ("lifetime_budget", lifetime)) if v}
        )
    if p.has("bid_amount"):
        changes["bid_amount"] = p.integer("bid_amount")
    if p.has("bid_strategy") and not cbo:
        changes["bid_strategy"] = check_enum(
            "bid_strategy", p.text("bid_strategy") or "", schema.BID_STRATEGIES
        )
    for key in ("start_time", "end_time"):
        if key in p:
            changes[key] = parse_time_param(ctx, key)
    check_end_in_future(ctx, changes.get("end_time"), "end_time")
    check_time_window(
        changes.get("start_time", node.data.get("start_time")),
        changes.get("end_time", node.data.get("end_time")),
        "end_time",
    )
    touches_regulation = any(
        k in p
        for k in (
            "targeting",
            "regional_regulated_categories",
            "regional_regulation_identities",
            "dsa_beneficiary",
            "dsa_payor",
        )
    )
    if touches_regulation:
        changes.update(_regional(ctx, account, countries, node))
    if "promoted_object" in p:
        changes["promoted_object"] = _check_promoted_object(
            ctx, account, campaign, str(node.data.get("optimization_goal"))
        )
    return changes
