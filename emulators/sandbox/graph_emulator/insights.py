"""The Insights edge: ``/<campaign|adset|ad>/insights``, ``/act_X/insights`` and async report runs.

What a client meets here is what it meets at Meta (developers.facebook.com/docs/marketing-api/
insights and /reference/ads-insights, the SDK's ``AdsInsights`` enums in ``insights_fields``):

* numbers are **derived**, never stored: from the status history of campaign, ad set and ad
  (``status_log``), the ad's review, the ad set's schedule, the account's health, and the budget.
  Spend follows the daily budget times the share of the local day the campaign delivered, with
  seeded noise, so the same request answers the same rows;
* money is a decimal string in the account currency's **major** units (``"12.34"``; JPY ``"1234"``),
  counts are integer strings, ``ctr`` a percentage string; days without delivery have **no row**
  (a campaign that never ran answers ``{"data": []}``);
* ``actions`` / ``action_values`` carry ``purchase``, ``omni_purchase`` and
  ``offsite_conversion.fb_pixel_purchase``; with ``action_attribution_windows`` each entry also
  has one key per window, ``value`` staying the default (``7d_click`` + ``1d_view``). The 7-day and
  28-day view windows are gone since 2026-01-12 (Meta's "Ads Insights API Metric Availability
  Updates", 2025-10-16); asking for them gets the enum error Graph gives for any value outside
  the accepted list (wording as in selesnow/rfacebookstat#28) [INFER: the blog says "no longer
  returned"; refusing is the strict reading, so a client cannot silently report nothing];
* ``time_increment``, ``time_range`` / ``date_preset`` (account time zone), ``level``, ``limit`` /
  ``after`` cursors with a ``next`` link, and ``x-fb-ads-insights-throttle`` on every answer;
  past the account's insights budget, 80000/2446079 with an ``ads_insights`` usage entry;
* ``POST /act_X/insights`` starts a report run: ``{"report_run_id"}``; ``GET /<run>`` shows
  ``async_status`` / ``async_percent_completion`` moving with the clock
  (``insights_async_seconds``); ``GET /<run>/insights`` pages its rows once completed.

Scripted scenarios (``GraphEmulator.set_insights_scenario`` and the account health knobs) bend
the numbers for pacing tests.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import itertools
import json
import random
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from .context import Ctx
from .errors import GraphError, nonexisting_field, param_error
from .insights_fields import (
    ATTRIBUTION_WINDOWS,
    DATE_PRESETS,
    INSIGHTS_FIELDS,
    LEVELS,
    REPORT_RUN_FIELDS,
)
from .params import Params
from .settings import OFFSET_ONE_CURRENCIES
from .store import Account, Node, Store

# Windows Graph still accepts after 2026-01-12 (SDK enum minus the removed view windows).
REMOVED_WINDOWS = frozenset({"7d_view", "28d_view"})
ACCEPTED_WINDOWS = ATTRIBUTION_WINDOWS - REMOVED_WINDOWS
DEFAULT_WINDOWS = ("7d_click", "1d_view")
# Fields Graph returns when ``fields`` is absent (plus date_start/date_stop).
DEFAULT_FIELDS = ("impressions", "spend")
PURCHASE_TYPES = ("purchase", "omni_purchase", "offsite_conversion.fb_pixel_purchase")
_LEVEL_DEPTH = {"account": 0, "campaign": 1, "adset": 2, "ad": 3}
_NODE_LEVEL = {"campaign": "campaign", "adset": "adset", "ad": "ad"}
_DAY = 86400.0


class InsightsScenario(StrEnum):
    """How a campaign delivers in the emulator (``GraphEmulator.set_insights_scenario``)."""

    NORMAL = "normal"  # 85-110 % of the daily budget, purchases at ROAS about 1.5-3
    NO_DELIVERY = "no_delivery"  # live, but no impressions at all (no rows)
    UNDERSPEND = "underspend"  # 25-35 % of the budget
    OVERSPEND = "overspend"  # 185-195 % of the budget: beyond Meta's 75 % daily flexibility
    SPEND_WITHOUT_PURCHASE = "spend_without_purchase"  # normal spend, clicks, zero purchases


_SPEND_FACTOR = {
    InsightsScenario.NORMAL: (0.85, 1.10),
    InsightsScenario.NO_DELIVERY: (0.0, 0.0),
    InsightsScenario.UNDERSPEND: (0.25, 0.35),
    InsightsScenario.OVERSPEND: (1.85, 1.95),
    InsightsScenario.SPEND_WITHOUT_PURCHASE: (0.85, 1.10),
}


@dataclass
class ReportRun:
    """An async report: the request as it was posted, and when."""

    id: str
    account_id: str
    params: dict[str, str]
    created: float
    fail: bool = False


@dataclass
class InsightsState:
    """Emulator-side insights state, kept on the store."""

    scenarios: dict[str, InsightsScenario] = field(default_factory=dict)
    runs: dict[str, ReportRun] = field(default_factory=dict)
    calls: dict[str, deque[float]] = field(default_factory=dict)
    fail_next_run: bool = False


def state(store: Store) -> InsightsState:
    """The insights state of ``store`` (created on first use)."""
    if store.insights is None:
        store.insights = InsightsState()
    found: InsightsState = store.insights
    return found


# -- delivery model ------------------------------------------------------------------------


def log_status(node: Node, when: float) -> None:
    """Remember a status change; delivery is computed from this history."""
    node.meta.setdefault("status_log", []).append((when, str(node.data.get("status", "ACTIVE"))))


def status_at(node: Node, when: float) -> str | None:
    """The configured status ``node`` had at ``when`` (None before it existed)."""
    log: list[tuple[float, str]] = node.meta.get("status_log") or [
        (node.created, str(node.data.get("status", "ACTIVE")))
    ]
    current = None
    for moment, status in log:
        if moment <= when:
            current = status
    return current


def _delivering(store: Store, account: Account, ad: Node, when: float) -> bool:
    if status_at(ad, when) != "ACTIVE" or ad.meta.get("disapproval"):
        return False
    if when < float(ad.meta.get("review_until", 0.0)):
        return False
    adset = store.get(str(ad.data.get("adset_id", "")))
    campaign = store.get(str(ad.data.get("campaign_id", "")))
    if adset is None or campaign is None:
        return False
    if status_at(adset, when) != "ACTIVE" or status_at(campaign, when) != "ACTIVE":
        return False
    start, end = adset.data.get("start_time"), adset.data.get("end_time")
    if start is not None and when < float(start):
        return False
    if end is not None and when >= float(end):
        return False
    stopped = account_stopped_at(account)
    return stopped is None or when < stopped


def account_stopped_at(account: Account) -> float | None:
    """When the account stopped delivering (disabled, or its spend cap reached)."""
    moments = [m for m in (account.disabled_at, account.capped_at) if m is not None]
    return min(moments) if moments else None


def _breakpoints(store: Store, account: Account, ad: Node) -> list[float]:
    points: list[float] = [float(ad.meta.get("review_until", 0.0))]
    for node in (
        ad,
        store.get(str(ad.data.get("adset_id", ""))),
        store.get(str(ad.data.get("campaign_id", ""))),
    ):
        if node is None:
            continue
        points += [m for m, _ in node.meta.get("status_log") or [(node.created, "")]]
        for key in ("start_time", "end_time"):
            if node.data.get(key) is not None:
                points.append(float(node.data[key]))
    stopped = account_stopped_at(account)
    if stopped is not None:
        points.append(stopped)
    return points


def delivered_seconds(
    store: Store, account: Account, ad: Node, since: float, until: float
) -> float:
    """Seconds of [since, until) during which ``ad`` could deliver."""
    if until <= since:
        return 0.0
    cuts = sorted(
        {since, until, *(p for p in _breakpoints(store, account, ad) if since < p < until)}
    )
    total = 0.0
    for left, right in itertools.pairwise(cuts):
        if _delivering(store, account, ad, (left + right) / 2):
            total += right - left
    return total


@dataclass
class DayStats:
    """One entity's numbers for one local day (money in minor units)."""

    spend: int = 0
    impressions: int = 0
    reach: int = 0
    clicks: int = 0
    link_clicks: int = 0
    purchases_click: int = 0  # 7-day click
    purchases_view: int = 0  # 1-day view
    value_click: int = 0
    value_view: int = 0

    def add(self, other: DayStats) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def split(self, parts: int) -> list[DayStats]:
        """Even split among ``parts`` children, remainders on the first."""
        out = [DayStats() for _ in range(parts)]
        for name in self.__dataclass_fields__:
            total = getattr(self, name)
            share, rest = divmod(total, parts)
            for i, item in enumerate(out):
                setattr(item, name, share + (rest if i == 0 else 0))
        return out


def _budget_minor(campaign: Node, adsets: list[Node]) -> int:
    if campaign.data.get("daily_budget"):
        return int(campaign.data["daily_budget"])
    daily = sum(int(a.data.get("daily_budget") or 0) for a in adsets)
    if daily:
        return daily
    lifetime = int(campaign.data.get("lifetime_budget") or 0) or sum(
        int(a.data.get("lifetime_budget") or 0) for a in adsets
    )
    if lifetime and adsets:
        start = float(adsets[0].data.get("start_time") or campaign.created)
        end = float(adsets[0].data.get("end_time") or start + 30 * _DAY)
        return int(lifetime / max(1.0, (end - start) / _DAY))
    return 0


def _rng(seed: int, campaign_id: str, day: date) -> random.Random:
    digest = hashlib.sha256(f"{seed}:{campaign_id}:{day.isoformat()}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def campaign_day(
    store: Store, account: Account, campaign: Node, day: date, now: float, seed: int
) -> DayStats:
    """What ``campaign`` did on local ``day`` up to ``now`` (zeros when it did not deliver)."""
    tz = ZoneInfo(account.timezone_name)
    start = datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()
    next_day = day + timedelta(days=1)
    end = min(now, datetime(next_day.year, next_day.month, next_day.day, tzinfo=tz).timestamp())
    ads = [a for a in store.children("ad", "campaign_id", campaign.id)]
    live = max((delivered_seconds(store, account, ad, start, end) for ad in ads), default=0.0)
    scenario = state(store).scenarios.get(campaign.id, InsightsScenario.NORMAL)
    if live <= 0 or scenario is InsightsScenario.NO_DELIVERY:
        return DayStats()
    adsets = store.children("adset", "campaign_id", campaign.id)
    budget = _budget_minor(campaign, adsets)
    rng = _rng(seed, campaign.id, day)
    low, high = _SPEND_FACTOR[scenario]
    share = live / _DAY
    spend = round(budget * share * rng.uniform(low, high))
    if spend <= 0:
        return DayStats()
    cpm_minor = max(1.0, budget / 6.0 * rng.uniform(0.85, 1.2))  # ~6,000 impressions a budget
    impressions = max(1, round(spend * 1000 / cpm_minor))
    reach = max(1, round(impressions / rng.uniform(1.05, 1.3)))
    clicks = round(impressions * rng.uniform(0.008, 0.016))
    link_clicks = round(clicks * rng.uniform(0.7, 0.9))
    purchases = 0
    if scenario is not InsightsScenario.SPEND_WITHOUT_PURCHASE:
        purchases = round(link_clicks * rng.uniform(0.02, 0.05))
    view = round(purchases * 0.15)
    order_value = budget * rng.uniform(0.6, 1.2)
    return DayStats(
        spend=spend,
        impressions=impressions,
        reach=reach,
        clicks=clicks,
        link_clicks=link_clicks,
        purchases_click=purchases - view,
        purchases_view=view,
        value_click=round((purchases - view) * order_value),
        value_view=round(view * order_value),
    )


def account_spent_minor(store: Store, account: Account, now: float, seed: int) -> int:
    """``amount_spent``: everything the account's campaigns spent, to ``now``."""
    tz = ZoneInfo(account.timezone_name)
    total = 0
    for campaign in store.of_kind("campaign", account.id):
        first = datetime.fromtimestamp(campaign.created, tz).date()
        last = datetime.fromtimestamp(now, tz).date()
        day = first
        while day <= last:
            total += campaign_day(store, account, campaign, day, now, seed).spend
            day += timedelta(days=1)
    return total


# -- request parsing -----------------------------------------------------------------------


def _enum_error(name: str, allowed: frozenset[str]) -> GraphError:
    values = ", ".join(sorted(allowed))
    return param_error(f"{name} must be one of the following values: {values}")


def _list_param(ctx: Ctx, name: str) -> list[str] | None:
    raw = ctx.params.text(name)
    if raw is None:
        return None
    value = ctx.params.json(name)
    if isinstance(value, list):
        return [str(v) for v in value]
    return [part.strip() for part in raw.split(",") if part.strip()]


def _windows(ctx: Ctx) -> list[str] | None:
    windows = _list_param(ctx, "action_attribution_windows")
    if windows is None:
        return None
    for index, window in enumerate(windows):
        if window not in ACCEPTED_WINDOWS:
            raise _enum_error(f"action_attribution_windows[{index}]", ACCEPTED_WINDOWS)
    return windows


def _fields(ctx: Ctx) -> list[str]:
    names = _list_param(ctx, "fields")
    if not names:
        return list(DEFAULT_FIELDS)
    for index, name in enumerate(names):
        if name not in INSIGHTS_FIELDS:
            raise _enum_error(f"fields[{index}]", INSIGHTS_FIELDS)
    return names


def _parse_day(name: str, value: Any) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise param_error(f"{name} must be a date in the form YYYY-MM-DD") from None


def _time_range(ctx: Ctx, today: date) -> tuple[date, date]:
    if ctx.params.has("time_range"):
        value = ctx.params.json("time_range")
        if not isinstance(value, dict) or "since" not in value or "until" not in value:
            raise param_error("time_range must be a JSON object with since and until")
        since = _parse_day("time_range[since]", value["since"])
        until = _parse_day("time_range[until]", value["until"])
        if since > until:
            raise param_error("time_range[since] must be on or before time_range[until]")
        return since, until
    preset = ctx.params.text("date_preset") or "last_30d"
    if preset not in DATE_PRESETS:
        raise _enum_error("date_preset", DATE_PRESETS)
    return preset_range(preset, today)


def preset_range(preset: str, today: date) -> tuple[date, date]:
    """Graph's date presets, in the account's local dates (``last_Nd`` excludes today)."""
    yesterday = today - timedelta(days=1)
    if preset == "today":
        return today, today
    if preset == "yesterday":
        return yesterday, yesterday
    if preset.startswith("last_") and preset.endswith("d"):
        days = int(preset[5:-1])
        return today - timedelta(days=days), yesterday
    month_start = today.replace(day=1)
    if preset == "this_month":
        return month_start, today
    if preset == "last_month":
        end = month_start - timedelta(days=1)
        return end.replace(day=1), end
    if preset in ("this_week_mon_today", "this_week_sun_today"):
        offset = today.weekday() if preset.endswith("mon_today") else (today.weekday() + 1) % 7
        return today - timedelta(days=offset), today
    if preset in ("last_week_mon_sun", "last_week_sun_sat"):
        offset = today.weekday() if preset == "last_week_mon_sun" else (today.weekday() + 1) % 7
        start = today - timedelta(days=offset + 7)
        return start, start + timedelta(days=6)
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    if preset == "this_quarter":
        return quarter_start, today
    if preset == "last_quarter":
        end = quarter_start - timedelta(days=1)
        return date(end.year, 3 * ((end.month - 1) // 3) + 1, 1), end
    if preset == "this_year":
        return date(today.year, 1, 1), today
    if preset == "last_year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    # maximum / data_maximum: everything Meta keeps (37 months).
    return today - timedelta(days=37 * 30), today


def _increment(ctx: Ctx) -> int | str:
    raw = ctx.params.text("time_increment") or "all_days"
    if raw in ("all_days", "monthly"):
        return raw
    if raw.isdigit() and 1 <= int(raw) <= 90:
        return int(raw)
    raise param_error("time_increment must be all_days, monthly or an integer from 1 to 90")


def _level(ctx: Ctx, scope: str) -> str:
    level = ctx.params.text("level") or scope
    if level not in LEVELS:
        raise _enum_error("level", LEVELS)
    if _LEVEL_DEPTH[level] < _LEVEL_DEPTH[scope]:
        return scope  # a campaign's insights at account level are still that campaign's
    return level


_FILTER_FIELDS = {"campaign.id": 0, "adset.id": 1, "ad.id": 2}


def _filtered_ids(ctx: Ctx) -> list[tuple[int, str, set[str]]]:
    """``filtering`` on object ids (the filters a report of chosen campaigns needs)."""
    rules = ctx.params.array("filtering") or []
    out: list[tuple[int, str, set[str]]] = []
    for rule in rules:
        if not isinstance(rule, dict):
            raise param_error("filtering must be an array of objects")
        name = str(rule.get("field", ""))
        operator = str(rule.get("operator", "")).upper()
        if name not in _FILTER_FIELDS:
            raise param_error(f"Filtering field {name} is invalid")
        if operator not in ("EQUAL", "NOT_EQUAL", "IN", "NOT_IN"):
            raise param_error(f"Filtering operator {operator} is not supported for {name}")
        value = rule.get("value")
        values = {str(v) for v in value} if isinstance(value, list) else {str(value)}
        out.append((_FILTER_FIELDS[name], operator, values))
    return out


def _passes(path: list[Node | None], rules: list[tuple[int, str, set[str]]]) -> bool:
    for index, operator, values in rules:
        node = path[index]
        if node is None:
            continue
        inside = node.id in values
        if inside != (operator in ("EQUAL", "IN")):
            return False
    return True


def _buckets(since: date, until: date, increment: int | str) -> list[tuple[date, date]]:
    if increment == "all_days":
        return [(since, until)]
    out: list[tuple[date, date]] = []
    start = since
    while start <= until:
        if increment == "monthly":
            last = calendar.monthrange(start.year, start.month)[1]
            end = min(until, start.replace(day=last))
        else:
            assert isinstance(increment, int)
            end = min(until, start + timedelta(days=increment - 1))
        out.append((start, end))
        start = end + timedelta(days=1)
    return out


# -- rows ----------------------------------------------------------------------------------


def _major(minor: int, currency: str) -> str:
    if currency in OFFSET_ONE_CURRENCIES:
        return str(minor)
    sign = "-" if minor < 0 else ""
    whole, cents = divmod(abs(minor), 100)
    return f"{sign}{whole}.{cents:02d}"


def _ratio(numerator: float, denominator: float, digits: int = 6) -> str:
    return f"{numerator / denominator:.{digits}f}".rstrip("0").rstrip(".") if denominator else "0"


def _action_entry(
    action_type: str, click: int, view: int, windows: list[str] | None, fmt: Any
) -> dict[str, Any]:
    entry: dict[str, Any] = {"action_type": action_type, "value": fmt(click + view)}
    for window in windows or ():
        amount = {
            "1d_click": round(click * 0.8),
            "7d_click": click,
            "28d_click": click + round(click * 0.1),
            "1d_view": view,
            "1d_ev": round(view * 0.1),
        }.get(window, click + view)
        if amount:
            entry[window] = fmt(amount)
    return entry


def _entity_rows(
    ctx: Ctx, account: Account, campaigns: list[Node], level: str, day: date, now: float
) -> list[tuple[list[Node | None], DayStats]]:
    """Per-entity stats for one day at ``level``: (campaign, adset, ad) path and numbers."""
    seed = ctx.settings.insights_seed
    out: list[tuple[list[Node | None], DayStats]] = []
    for campaign in campaigns:
        stats = campaign_day(ctx.store, account, campaign, day, now, seed)
        if level in ("account", "campaign"):
            out.append(([campaign, None, None], stats))
            continue
        adsets = ctx.store.children("adset", "campaign_id", campaign.id)
        if not adsets:
            continue
        for adset, part in zip(adsets, stats.split(len(adsets)), strict=True):
            if level == "adset":
                out.append(([campaign, adset, None], part))
                continue
            ads = ctx.store.children("ad", "adset_id", adset.id)
            for ad, piece in zip(ads, part.split(len(ads)) if ads else [], strict=False):
                out.append(([campaign, adset, ad], piece))
    return out


def _render(
    account: Account,
    path: list[Node | None],
    stats: DayStats,
    span: tuple[date, date],
    fields: list[str],
    windows: list[str] | None,
) -> dict[str, Any]:
    currency = account.currency
    campaign, adset, ad = path

    def money(v: int) -> str:
        return _major(v, currency)

    purchases = stats.purchases_click + stats.purchases_view
    value = stats.value_click + stats.value_view
    values: dict[str, Any] = {
        "account_currency": currency,
        "account_id": account.numeric_id,
        "account_name": account.name,
        "spend": money(stats.spend),
        "impressions": str(stats.impressions),
        "reach": str(stats.reach),
        "clicks": str(stats.clicks),
        "inline_link_clicks": str(stats.link_clicks),
        "ctr": _ratio(stats.clicks * 100, stats.impressions),
        "inline_link_click_ctr": _ratio(stats.link_clicks * 100, stats.impressions),
        "cpc": money(round(stats.spend / stats.clicks)) if stats.clicks else None,
        "cpm": money(round(stats.spend * 1000 / stats.impressions)) if stats.impressions else None,
        "frequency": _ratio(stats.impressions, stats.reach),
        "objective": "OUTCOME_SALES",
        "optimization_goal": "OFFSITE_CONVERSIONS",
        "buying_type": "AUCTION",
        "attribution_setting": "7d_click_1d_view",
    }
    if campaign is not None:
        values["campaign_id"] = campaign.id
        values["campaign_name"] = campaign.data.get("name")
    if adset is not None:
        values["adset_id"] = adset.id
        values["adset_name"] = adset.data.get("name")
    if ad is not None:
        values["ad_id"] = ad.id
        values["ad_name"] = ad.data.get("name")
    actions = [
        _action_entry("link_click", stats.link_clicks, 0, windows, str),
        _action_entry("landing_page_view", round(stats.link_clicks * 0.7), 0, windows, str),
    ]
    action_values: list[dict[str, Any]] = []
    if purchases:
        for kind in PURCHASE_TYPES:
            actions.append(
                _action_entry(kind, stats.purchases_click, stats.purchases_view, windows, str)
            )
            action_values.append(
                _action_entry(kind, stats.value_click, stats.value_view, windows, money)
            )
    values["actions"] = [a for a in actions if a["value"] != "0"] or None
    values["action_values"] = action_values or None
    if purchases and stats.spend:
        roas = _ratio(value, stats.spend)  # both in the same minor unit
        values["purchase_roas"] = [{"action_type": "omni_purchase", "value": roas}]
        values["website_purchase_roas"] = [
            {"action_type": "offsite_conversion.fb_pixel_purchase", "value": roas}
        ]
        values["cost_per_action_type"] = [
            {"action_type": kind, "value": money(round(stats.spend / purchases))}
            for kind in PURCHASE_TYPES
        ]
    row: dict[str, Any] = {}
    for name in fields:
        if values.get(name) is not None:
            row[name] = values[name]
    row["date_start"] = span[0].isoformat()
    row["date_stop"] = span[1].isoformat()
    return row


def compute_rows(ctx: Ctx, account: Account, scope: Node | None, now: float) -> list[Any]:
    """Every row an insights request asks for (before paging), as Meta knew them at ``now``."""
    fields = _fields(ctx)
    windows = _windows(ctx)
    scope_level = _NODE_LEVEL[scope.kind] if scope is not None else "account"
    level = _level(ctx, scope_level)
    today = datetime.fromtimestamp(now, ZoneInfo(account.timezone_name)).date()
    since, until = _time_range(ctx, today)
    increment = _increment(ctx)
    if scope is None:
        campaigns = ctx.store.of_kind("campaign", account.id)
    elif scope.kind == "campaign":
        campaigns = [scope]
    else:
        parent = ctx.store.get(str(scope.data.get("campaign_id", "")))
        campaigns = [parent] if parent is not None else []
    campaigns = sorted(campaigns, key=lambda n: int(n.id))
    wanted = _filtered_ids(ctx)
    rows: list[dict[str, Any]] = []
    for span in _buckets(since, until, increment):
        totals: dict[str, tuple[list[Node | None], DayStats]] = {}
        day = span[0]
        while day <= span[1]:
            for path, stats in _entity_rows(ctx, account, campaigns, level, day, now):
                if scope is not None and not any(node is scope for node in path):
                    continue
                if not _passes(path, wanted):
                    continue
                if level == "account":
                    key, path = "account", [None, None, None]
                else:
                    entity = path[_LEVEL_DEPTH[level] - 1]
                    key = entity.id if entity is not None else ""
                kept = totals.setdefault(key, (path, DayStats()))
                kept[1].add(stats)
            day += timedelta(days=1)
        for path, stats in totals.values():
            if stats.impressions:
                if span[0] != span[1]:  # reach is not additive over days
                    stats.reach = min(stats.impressions, round(stats.reach * 0.8))
                rows.append(_render(account, path, stats, span, fields, windows))
    return rows


# -- throttle ------------------------------------------------------------------------------


def _throttle(ctx: Ctx, account: Account) -> dict[str, str]:
    """Charge one insights call; the header to send, or the 80000 error past the budget."""
    settings = ctx.settings
    calls = state(ctx.store).calls.setdefault(account.numeric_id, deque())
    while calls and calls[0] <= ctx.now - 3600:
        calls.popleft()
    app_calls = sum(len(q) for q in state(ctx.store).calls.values())
    quota = max(1, settings.insights_calls_per_hour)
    forced = settings.insights_throttle_pct
    acc_pct = forced if forced is not None else min(100.0, (len(calls) + 1) * 100.0 / quota)
    app_pct = forced if forced is not None else min(100.0, (app_calls + 1) * 100.0 / (quota * 10))
    header = {
        "x-fb-ads-insights-throttle": json.dumps(
            {
                "app_id_util_pct": round(app_pct, 2),
                "acc_id_util_pct": round(acc_pct, 2),
                "ads_api_access_tier": settings.access_tier,
            }
        )
    }
    if acc_pct >= 100 or app_pct >= 100:
        regain = max(1, settings.insights_regain_minutes)
        header["X-Business-Use-Case-Usage"] = json.dumps(
            {
                account.numeric_id: [
                    {
                        "type": "ads_insights",
                        "call_count": 100,
                        "total_cputime": 50,
                        "total_time": 50,
                        "estimated_time_to_regain_access": regain,
                        "ads_api_access_tier": settings.access_tier,
                    }
                ]
            }
        )
        raise GraphError(
            message=(
                "(#80000) There have been too many calls from this ad-account. Wait a bit and try "
                "again. For more info, please refer to "
                "https://developers.facebook.com/docs/graph-api/overview/rate-limiting."
            ),
            code=80000,
            subcode=2446079,
            user_title="Ad Account Has Too Many API Calls",
            user_msg="There have been too many calls from this ad-account. Please wait a bit and try again.",
            extra_headers=header,
        )
    calls.append(ctx.now)
    return header


# -- handlers ------------------------------------------------------------------------------


def _cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"emu-insights:{index}".encode()).decode().rstrip("=")


def _decode(value: str) -> int:
    try:
        text = base64.urlsafe_b64decode((value + "=" * (-len(value) % 4)).encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise param_error("Invalid cursor") from None
    if not text.startswith("emu-insights:") or not text[13:].isdigit():
        raise param_error("Invalid cursor")
    return int(text[13:])


def _page(ctx: Ctx, rows: list[Any]) -> dict[str, Any]:
    limit = ctx.params.integer("limit") or ctx.settings.page_size
    after = ctx.params.text("after")
    start = _decode(after) + 1 if after else 0
    page = rows[start : start + limit]
    out: dict[str, Any] = {"data": page}
    if page:
        paging: dict[str, Any] = {
            "cursors": {"before": _cursor(start), "after": _cursor(start + len(page) - 1)}
        }
        if start + limit < len(rows):
            query = {k: v for k, v in ctx.params.raw.items() if k not in ("after", "access_token")}
            query["after"] = _cursor(start + len(page) - 1)
            query["limit"] = str(limit)
            paging["next"] = f"{ctx.base_url}{ctx.path}?{urlencode(query)}"
        out["paging"] = paging
    return out


def insights_get(ctx: Ctx, account: Account, scope: Node | None) -> dict[str, Any]:
    """GET /<node>/insights and /act_X/insights."""
    ctx.response_headers.update(_throttle(ctx, account))
    return _page(ctx, compute_rows(ctx, account, scope, ctx.now))


def insights_post(ctx: Ctx, account: Account) -> dict[str, Any]:
    """POST /act_X/insights: validate now (Graph refuses bad params at once), run later."""
    ctx.response_headers.update(_throttle(ctx, account))
    compute_rows(ctx, account, None, ctx.now)
    runs = state(ctx.store)
    run = ReportRun(
        id=ctx.store.new_id(),
        account_id=account.id,
        params={k: v for k, v in ctx.params.raw.items() if k not in ("access_token",)},
        created=ctx.now,
        fail=runs.fail_next_run,
    )
    runs.fail_next_run = False
    runs.runs[run.id] = run
    return {"report_run_id": run.id}


def _progress(ctx: Ctx, run: ReportRun) -> int:
    seconds = ctx.settings.insights_async_seconds
    if seconds <= 0:
        return 100
    return min(100, int((ctx.now - run.created) * 100 / seconds))


def run_status(ctx: Ctx, run: ReportRun) -> dict[str, Any]:
    """GET /<report_run_id>: AdReportRun fields."""
    percent = _progress(ctx, run)
    if percent >= 100:
        status = "Job Failed" if run.fail else "Job Completed"
    else:
        status = "Job Not Started" if percent == 0 else "Job Running"
    account = ctx.store.accounts[run.account_id]
    today = datetime.fromtimestamp(run.created, ZoneInfo(account.timezone_name)).date()
    values: dict[str, Any] = {
        "id": run.id,
        "account_id": account.numeric_id,
        "async_status": status,
        "async_percent_completion": percent,
        "is_running": percent < 100,
        "time_ref": int(run.created),
        "time_completed": int(run.created + ctx.settings.insights_async_seconds)
        if percent >= 100
        else None,
    }
    try:
        preset = run.params.get("date_preset") or "last_30d"
        if "time_range" in run.params:
            span = json.loads(run.params["time_range"])
            values["date_start"], values["date_stop"] = span["since"], span["until"]
        else:
            since, until = preset_range(preset, today)
            values["date_start"], values["date_stop"] = since.isoformat(), until.isoformat()
    except (ValueError, KeyError):
        pass
    if run.fail and percent >= 100:
        # Since v25 a failed run says why (platform-facts.md §9).
        values["error_code"] = 2
        values["error_message"] = (
            "An unexpected error has occurred. Please retry your request later."
        )
    wanted = ctx.params.fields() or [
        "id",
        "account_id",
        "time_ref",
        "time_completed",
        "async_status",
        "async_percent_completion",
        "date_start",
        "date_stop",
    ]
    out: dict[str, Any] = {}
    for name in wanted:
        if name not in REPORT_RUN_FIELDS:
            raise nonexisting_field(name, "AdReportRun")
        if values.get(name) is not None:
            out[name] = values[name]
    out.setdefault("id", run.id)
    return out


def run_insights(ctx: Ctx, run: ReportRun) -> dict[str, Any]:
    """GET /<report_run_id>/insights: the rows, once the run completed."""
    account = ctx.store.accounts[run.account_id]
    ctx.response_headers.update(_throttle(ctx, account))
    if _progress(ctx, run) < 100 or run.fail:
        raise param_error(f"Report run {run.id} has not completed; poll its async_status first")
    saved = ctx.params
    paging = {k: v for k, v in saved.raw.items() if k in ("limit", "after")}
    ctx.params = Params({**{k: v for k, v in run.params.items() if k != "limit"}, **paging})
    try:
        rows = compute_rows(ctx, account, None, run.created)
    finally:
        ctx.params = saved
    return _page(ctx, rows)
