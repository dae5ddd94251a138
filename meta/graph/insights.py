"""Reading Meta's Insights: daily rows per campaign, paged, async for many campaigns, paced.

* one campaign: ``GET /<campaign>/insights`` with ``time_increment=1``, ``time_range``,
  ``action_attribution_windows`` and the fields a report needs, following ``after`` cursors;
* many campaigns (more than ``async_threshold``): one report run,
  ``POST /act_<id>/insights`` (``level=campaign``, filtered on the campaign ids), polled through
  ``async_status`` / ``async_percent_completion`` until ``Job Completed``, then paged from
  ``/<report_run_id>/insights`` (marketing-api/insights/best-practices: async for large reports);
* every answer's ``x-fb-ads-insights-throttle`` header paces the next call
  (``meta.graph.retry.insights_pause_seconds``); throttle errors (80000, 4/1504022) and transient
  errors are retried by the Graph client's policy, as for every other call.

Rows come back as ``meta.domain.insights`` types: minor units, every day of the range present.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from meta.domain.errors import MetaApiError
from meta.domain.insights import (
    DEFAULT_ATTRIBUTION,
    CampaignInsights,
    DailyInsight,
    DateRange,
    fill_days,
    parse_row,
)
from meta.graph.retry import RetryPolicy, insights_pause_seconds

log = logging.getLogger(__name__)

FIELDS: tuple[str, ...] = (
    "campaign_id",
    "account_currency",
    "spend",
    "impressions",
    "reach",
    "clicks",
    "actions",
    "action_values",
)
_RANGE_FIELDS = ("campaign_id", "reach")
PAGE_LIMIT = 100  # rows per page asked of Meta
# AdReportRun.async_status values (marketing-api/insights/best-practices "Asynchronous jobs").
_DONE = "Job Completed"
_FAILED = frozenset({"Job Failed", "Job Skipped"})


class InsightsGraph(Protocol):
    """What the reader needs of ``meta.graph.client.GraphClient``."""

    def post(self, path: str, params: dict[str, Any], *, idempotent: bool = False) -> dict: ...

    def get_with_headers(
        self, path: str, params: dict[str, Any] | None = None
    ) -> tuple[dict, dict[str, str]]: ...


class InsightsReader:
    """Daily insights of campaigns; one instance per Graph client, safe to share."""

    def __init__(
        self,
        graph: InsightsGraph,
        *,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        async_threshold: int = 3,
        poll_interval: float = 2.0,
        async_timeout: float = 600.0,
        page_limit: int = PAGE_LIMIT,
    ) -> None:
        self._graph = graph
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        self._monotonic = monotonic
        self.async_threshold = async_threshold
        self.poll_interval = poll_interval
        self.async_timeout = async_timeout
        self.page_limit = page_limit
        self._pause = 0.0

    # -- public ------------------------------------------------------------------------------

    def campaign_daily(
        self,
        campaign_id: str | None,
        span: DateRange,
        *,
        currency: str,
        timezone: str,
        windows: Sequence[str] = DEFAULT_ATTRIBUTION,
    ) -> CampaignInsights:
        """One campaign's days over ``span`` (zeros for days Meta has no row for).

        ``campaign_id`` None (the campaign never reached Meta) answers zeros without a call.
        """
        if not campaign_id:
            return _assemble(None, [], [], span, currency, timezone, windows)
        params = self._params(span, windows, FIELDS, time_increment="1")
        rows = self._paged(f"{campaign_id}/insights", params)
        currency = _currency(rows, currency)
        totals = self._paged(
            f"{campaign_id}/insights", self._params(span, windows, _RANGE_FIELDS, "all_days")
        )
        return _assemble(campaign_id, rows, totals, span, currency, timezone, windows)

    def campaigns_daily(
        self,
        account_id: str,
        campaign_ids: Iterable[str],
        span: DateRange,
        *,
        currency: str,
        timezone: str,
        windows: Sequence[str] = DEFAULT_ATTRIBUTION,
    ) -> dict[str, CampaignInsights]:
        """Several campaigns of one ad account; an async report run past ``async_threshold``."""
        ids = sorted({str(c) for c in campaign_ids if c})
        if len(ids) <= self.async_threshold:
            return {
                cid: self.campaign_daily(
                    cid, span, currency=currency, timezone=timezone, windows=windows
                )
                for cid in ids
            }
        act = account_id if account_id.startswith("act_") else f"act_{account_id}"
        params = self._params(span, windows, FIELDS, time_increment="1")
        params["level"] = "campaign"
        params["filtering"] = json.dumps([{"field": "campaign.id", "operator": "IN", "value": ids}])
        rows = self._report_run(act, params)
        currency = _currency(rows, currency)
        by_campaign: dict[str, list[dict[str, Any]]] = {cid: [] for cid in ids}
        for row in rows:
            by_campaign.setdefault(str(row.get("campaign_id")), []).append(row)
        return {
            cid: _assemble(cid, by_campaign.get(cid, []), [], span, currency, timezone, windows)
            for cid in ids
        }

    # -- Graph -------------------------------------------------------------------------------

    def _params(
        self, span: DateRange, windows: Sequence[str], fields: Sequence[str], time_increment: str
    ) -> dict[str, Any]:
        return {
            "fields": ",".join(fields),
            "time_range": json.dumps(span.to_graph()),
            "time_increment": time_increment,
            "action_attribution_windows": json.dumps(list(windows)),
            "limit": self.page_limit,
        }

    def _get(self, path: str, params: dict[str, Any]) -> dict:
        if self._pause > 0:
            log.info("insights load high: waiting %.1f s before the next call", self._pause)
            self._sleep(self._pause)
        body, headers = self._graph.get_with_headers(path, params)
        self._pause = insights_pause_seconds(headers, self._policy)
        return body

    def _paged(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        query = dict(params)
        while True:
            body = self._get(path, query)
            rows.extend(r for r in body.get("data") or [] if isinstance(r, dict))
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                return rows
            query = {**params, "after": after}

    def _report_run(self, act: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        started = self._graph.post(f"{act}/insights", params, idempotent=True)
        run_id = str(started.get("report_run_id") or "")
        if not run_id:
            raise MetaApiError(message=f"Meta started no report run for {act}: {started!r}")
        deadline = self._monotonic() + self.async_timeout
        while True:
            status = self._get(
                run_id,
                {"fields": "async_status,async_percent_completion,error_code,error_message"},
            )
            state = str(status.get("async_status") or "")
            if state == _DONE:
                break
            if state in _FAILED:
                raise MetaApiError(
                    message=(
                        f"Meta's report run {run_id} ended '{state}'"
                        + (f": {status['error_message']}" if status.get("error_message") else "")
                    ),
                    code=status.get("error_code"),
                )
            if self._monotonic() >= deadline:
                raise MetaApiError(
                    message=(
                        f"Meta's report run {run_id} was still at "
                        f"{status.get('async_percent_completion', 0)} % after "
                        f"{self.async_timeout:.0f} s; try again later."
                    ),
                    is_transient_flag=True,
                )
            self._sleep(self.poll_interval)
        return self._paged(f"{run_id}/insights", {"limit": self.page_limit})


def _currency(rows: Sequence[dict[str, Any]], fallback: str) -> str:
    """Meta's ``account_currency`` decides; the configured one when no row came back."""
    for row in rows:
        if row.get("account_currency"):
            return str(row["account_currency"])
    return fallback


def _assemble(
    campaign_id: str | None,
    rows: Sequence[dict[str, Any]],
    totals: Sequence[dict[str, Any]],
    span: DateRange,
    currency: str,
    timezone: str,
    windows: Sequence[str],
) -> CampaignInsights:
    daily: list[DailyInsight] = [parse_row(r, currency, windows) for r in rows]
    reach = None
    if totals:
        reach = sum(int(r.get("reach") or 0) for r in totals)
    elif not rows:
        reach = 0
    return CampaignInsights(
        campaign_id=campaign_id,
        currency=currency,
        timezone=timezone,
        range=span,
        attribution=tuple(windows),
        days=fill_days(daily, span),
        range_reach=reach,
    )
