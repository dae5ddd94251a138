"""Serving the Prometheus metrics (``METRICS_PORT``) and counting Slack's rate limits.

The metric definitions live in ``meta.telemetry.metrics``; this module only wires them to what the bot
owns: the HTTP listener, the outbox depth read from the database at scrape time, and a counter
on every Slack Web API client.
"""

from __future__ import annotations

import logging

from prometheus_client import start_http_server
from slack_sdk import WebClient
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.http_serving import BackgroundServer
from meta.telemetry import metrics
from storage.repository import CampaignStore

log = logging.getLogger(__name__)


class CountSlackRateLimits(RetryHandler):
    """Counts each HTTP 429 from Slack, then lets the real retry handlers decide.

    slack_sdk asks every retry handler in turn; this one is first and never asks for a retry,
    so it sees every 429, including the last one when the retries are used up.
    """

    def __init__(self) -> None:
        super().__init__(max_retry_count=2**31)

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is not None and response.status_code == 429:
            method = request.url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] or "unknown"
            metrics.SLACK_RATE_LIMITED.labels(method).inc()
        return False


def count_rate_limits(client: WebClient) -> WebClient:
    """Put the 429 counter in front of ``client``'s retry handlers (once)."""
    if not any(isinstance(h, CountSlackRateLimits) for h in client.retry_handlers):
        client.retry_handlers = [CountSlackRateLimits(), *client.retry_handlers]
    return client


def serve_metrics(port: int, store: CampaignStore, *, host: str = "0.0.0.0") -> BackgroundServer:
    """Serve ``/metrics`` on ``port`` (0 picks a free one) until ``close``."""

    def outbox_depth() -> float:
        try:
            return float(store.count_pending_alerts())
        except Exception:  # a scrape during a database outage must still answer
            log.debug("outbox depth unavailable", exc_info=True)
            return float("nan")

    metrics.OUTBOX_DEPTH.set_function(outbox_depth)
    server, thread = start_http_server(port, addr=host)
    log.info("metrics on port %s (/metrics)", server.server_address[1])
    return BackgroundServer(server, thread)
