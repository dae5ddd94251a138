"""Prometheus metrics: what an on-call engineer graphs and alerts on (docs/operations.md, "Metrics").

The metrics live in ``prometheus_client``'s default registry, so every module counts into the
same process-wide series; ``bot.observability`` serves them on ``METRICS_PORT``. Counting is
cheap and has no side effect when nothing scrapes, so the code counts unconditionally.

Labels stay few and bounded: a step name, an outcome, a Meta error code, an ad account id (the
configured accounts only), a Slack method, a job id. Never a campaign id or a user.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from prometheus_client import Counter, Gauge, Histogram

CREATIONS = Counter(
    "adbee_creations",
    "Campaign creations that ended, by outcome (created, failed = resumable, rolled_back) and "
    "the step they ended at (none when created).",
    ["outcome", "step"],
)
ACTIVATION_LAG = Histogram(
    "adbee_activation_lag_seconds",
    "From a campaign's due time to Meta reporting it ACTIVE.",
    buckets=(1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600, 4 * 3600, 24 * 3600),
)
META_CALLS = Counter(
    "adbee_meta_calls",
    "Graph API calls by HTTP method and outcome: ok, Meta's error code, or transport.",
    ["method", "code"],
)
META_THROTTLE_WAIT = Histogram(
    "adbee_meta_throttle_wait_seconds",
    "Waits slept because Meta throttled a call (codes 4, 17, 32, 613, 80000-80014).",
    buckets=(1, 5, 15, 30, 60, 120, 300, 600),
)
META_ACCOUNT_USAGE = Gauge(
    "adbee_meta_ad_account_usage_percent",
    "The ad account's rate-limit usage Meta last reported: acc_id_util_pct from "
    "X-Ad-Account-Usage, and call_count per business use case from X-Business-Use-Case-Usage.",
    ["account", "kind"],
)
SLACK_RATE_LIMITED = Counter(
    "adbee_slack_rate_limited",
    "Slack Web API answers with HTTP 429, by method.",
    ["method"],
)
OUTBOX_DEPTH = Gauge(
    "adbee_alert_outbox_depth",
    "Alerts recorded but not yet delivered to Slack (read from the database at scrape time).",
)
SCHEDULER_LAST_RUN = Gauge(
    "adbee_scheduler_last_run_timestamp_seconds",
    "When each scheduler job of this process last finished (Unix time).",
    ["job"],
)
SCHEDULER_ERRORS = Counter(
    "adbee_scheduler_job_errors",
    "Scheduler job runs that raised, by job.",
    ["job"],
)


def record_usage_headers(headers: Mapping[str, str]) -> None:
    """Remember the rate-limit usage Meta sends with account-scoped answers (meta-api.md §5).

    Malformed or missing headers are ignored: usage is informative, never a reason to fail a call.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    business = _json(lowered.get("x-business-use-case-usage"))
    if isinstance(business, dict):
        for account, entries in business.items():
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict) and isinstance(entry.get("call_count"), int | float):
                    kind = f"business_use_case:{entry.get('type', 'unknown')}"
                    META_ACCOUNT_USAGE.labels(_account(account), kind).set(entry["call_count"])
    ad_account = _json(lowered.get("x-ad-account-usage"))
    if isinstance(ad_account, dict) and isinstance(ad_account.get("acc_id_util_pct"), int | float):
        # X-Ad-Account-Usage does not name its account; the business header does.
        accounts = list(business) if isinstance(business, dict) else []
        account = _account(accounts[0]) if len(accounts) == 1 else "unknown"
        META_ACCOUNT_USAGE.labels(account, "acc_id_util_pct").set(ad_account["acc_id_util_pct"])


def _account(value: str) -> str:
    return value if value.startswith("act_") else f"act_{value}"


def _json(text: str | None) -> object:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None
