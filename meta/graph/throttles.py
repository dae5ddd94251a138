"""Which of Meta's throttles an error is, and how long that throttle asks to wait.

Meta has several limits that answer with different codes and tell the wait in different places
(Marketing API "Rate Limiting", developers.facebook.com/docs/marketing-api/overview/rate-limiting,
and Graph API "Rate Limits", .../docs/graph-api/overview/rate-limiting; meta-api.md §5). Taking the
longest figure found in any header, as AdBee once did, turns a one-second mutation limit into a
five-minute stall: ``X-Ad-Account-Usage.reset_time_duration`` is on every answer and only says
when the account's *score* window rolls over. So each throttle reads its own source:

========================  ==============================  =======================================
throttle                  codes                           wait
========================  ==============================  =======================================
mutation rate (per s)     613 / 5044001                   seconds: a short, growing backoff
                                                          (``Retry-After`` if a proxy sends one);
                                                          "real-time rate limiting on mutation
                                                          endpoints", ~100 requests/s per app
                                                          and ad account
ad-account score          17 / 2446079, 613 / 1487742     ``estimated_time_to_regain_access``
                                                          (minutes, BUC header, this account's
                                                          ``ads_management`` entry), else
                                                          ``X-Ad-Account-Usage.reset_time_duration``
                                                          (seconds), else the tier's block
                                                          (development 300 s, standard 60 s)
business use case         80000-80014                     ``estimated_time_to_regain_access`` of
                                                          the entry of that use case (80000
                                                          ``ads_insights``...); 80004 is the
                                                          ad account's ``ads_management`` score:
                                                          as above, without the tier block
budget changes            613 / 1487632                   ``Retry-After``, else an hour: Meta lets
                                                          a budget change 4 times an hour
                                                          (meta-api.md §4), so no in-process wait
insights                  4 / 1504022, 4 / 1504039        BUC ``ads_insights`` regain time;
                                                          ``x-fb-ads-insights-throttle`` carries
                                                          only percentages, no time
app / page / other        4, 17, 32, 341, 613 (other)     ``Retry-After`` or BUC regain time when
                                                          sent, else the policy's default
========================  ==============================  =======================================
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from meta.graph.headers import json_header, positive, retry_after_seconds

MUTATION_RATE_SUBCODE = 5044001
BUDGET_CHANGES_SUBCODE = 1487632
BUDGET_CHANGE_WINDOW_SECONDS = 3600.0
SCORE_SUBCODES = frozenset({2446079, 1487742})
INSIGHTS_SUBCODES = frozenset({1504022, 1504039})
# BUC error code -> the ``type`` of its entry in X-Business-Use-Case-Usage (rate-limiting page,
# "Business Use Case Rate Limits" error codes table).
BUC_TYPES: dict[int, str] = {
    80000: "ads_insights",
    80001: "pages",
    80002: "instagram",
    80003: "custom_audience",
    80004: "ads_management",
    80005: "leadgen",
    80006: "messenger",
    80008: "whatsapp_business_management",
    80009: "catalog_management",
    80014: "catalog_batch",
}
# How long the score limit blocks an account once it is over (rate-limiting page, "Ads
# Management" score table: development tier block 300 s, standard/full tier 60 s).
SCORE_BLOCK_SECONDS = {"development_access": 300.0, "standard_access": 60.0}


class Throttle(StrEnum):
    MUTATION_RATE = "mutation_rate"  # per second: wait seconds
    BUDGET_CHANGES = "budget_changes"  # 4 budget changes an hour per object: wait the hour
    SCORE = "score"  # the ad account's score window: wait minutes
    BUSINESS_USE_CASE = "business_use_case"
    INSIGHTS = "insights"
    OTHER = "other"


def classify(code: int | None, subcode: int | None) -> Throttle:
    """The throttle a (throttle) error code/subcode belongs to."""
    if code == 613 and subcode == MUTATION_RATE_SUBCODE:
        return Throttle.MUTATION_RATE
    if code == 613 and subcode == BUDGET_CHANGES_SUBCODE:
        return Throttle.BUDGET_CHANGES
    if code in (17, 613) and subcode in SCORE_SUBCODES:
        return Throttle.SCORE
    if code == 4 and subcode in INSIGHTS_SUBCODES:
        return Throttle.INSIGHTS
    if code is not None and 80000 <= code <= 80014:
        return Throttle.BUSINESS_USE_CASE
    return Throttle.OTHER


def _buc_entries(headers: Mapping[str, str] | None, account_id: str | None) -> list[dict[str, Any]]:
    """This account's entries of X-Business-Use-Case-Usage (all entries when it is not named)."""
    buc = json_header(headers, "X-Business-Use-Case-Usage")
    if not isinstance(buc, dict):
        return []
    wanted = account_id.removeprefix("act_") if account_id else None
    values = [buc[wanted]] if wanted is not None and wanted in buc else list(buc.values())
    return [e for value in values if isinstance(value, list) for e in value if isinstance(e, dict)]


def regain_seconds(
    headers: Mapping[str, str] | None, *, account_id: str | None, use_case: str | None
) -> float | None:
    """``estimated_time_to_regain_access`` (minutes) of ``use_case``'s entries, in seconds."""
    waits = [
        minutes * 60.0
        for entry in _buc_entries(headers, account_id)
        if use_case is None or entry.get("type") in (use_case, None)
        if (minutes := positive(entry.get("estimated_time_to_regain_access"))) is not None
    ]
    return max(waits) if waits else None


def _access_tier(headers: Mapping[str, str] | None, account_id: str | None) -> str | None:
    usage = json_header(headers, "X-Ad-Account-Usage")
    if isinstance(usage, dict) and usage.get("ads_api_access_tier"):
        return str(usage["ads_api_access_tier"])
    for entry in _buc_entries(headers, account_id):
        if entry.get("ads_api_access_tier"):
            return str(entry["ads_api_access_tier"])
    return None


def throttle_wait(
    code: int | None,
    subcode: int | None,
    headers: Mapping[str, str] | None,
    *,
    account_id: str | None = None,
) -> float | None:
    """Seconds to wait out the throttle ``code``/``subcode`` answered with; None: use a default.

    The mutation-rate limit returns None unless a ``Retry-After`` says more: ``RetryPolicy``
    waits it out with its own short backoff (``mutation_wait``), whatever the score headers say.
    """
    asked = retry_after_seconds(headers)
    kind = classify(code, subcode)
    if kind is Throttle.MUTATION_RATE:
        return asked
    if kind is Throttle.BUDGET_CHANGES:
        return asked or BUDGET_CHANGE_WINDOW_SECONDS
    use_case = BUC_TYPES.get(code or 0) if kind is Throttle.BUSINESS_USE_CASE else None
    if kind is Throttle.SCORE or use_case == "ads_management":
        # The ad account's score: its regain time, else when the score window is back to 0.
        regain = regain_seconds(headers, account_id=account_id, use_case="ads_management")
        usage = json_header(headers, "X-Ad-Account-Usage")
        reset = positive(usage.get("reset_time_duration")) if isinstance(usage, dict) else None
        found = regain or reset or asked
        if found is not None or kind is not Throttle.SCORE:
            return found
        tier = _access_tier(headers, account_id) or "standard_access"
        return SCORE_BLOCK_SECONDS.get(tier, SCORE_BLOCK_SECONDS["standard_access"])
    if kind is Throttle.BUSINESS_USE_CASE:
        return regain_seconds(headers, account_id=account_id, use_case=use_case) or asked
    if kind is Throttle.INSIGHTS:
        return regain_seconds(headers, account_id=account_id, use_case="ads_insights") or asked
    return asked or regain_seconds(headers, account_id=account_id, use_case=None)


def describe(code: int | None, subcode: int | None) -> str:
    """A few words for a person: which of Meta's limits this is."""
    return {
        Throttle.MUTATION_RATE: "Meta's per-second limit on creates and edits",
        Throttle.BUDGET_CHANGES: "Meta's limit of 4 budget changes an hour",
        Throttle.SCORE: "Meta's call limit for this ad account",
        Throttle.BUSINESS_USE_CASE: "Meta's hourly call limit for this ad account",
        Throttle.INSIGHTS: "Meta's Insights limit",
        Throttle.OTHER: "a Meta rate limit",
    }[classify(code, subcode)] + (f" (code {code}" + (f"/{subcode})" if subcode else ")"))
