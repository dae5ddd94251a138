"""Start the bot: services, Slack client, scheduler, Socket Mode. Also the health check.

``start_bot`` returns a running bot without blocking, which is what the demo and the end-to-end
tests use; ``run_bot`` is the production entry point that blocks until interrupted.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from sqlalchemy import text

from bot.access import SlackAccessPolicy
from bot.app import SlackServices, build_app
from bot.bootstrap import Services, build_services
from bot.campaign_messages import CampaignMessages, SlackNotifier
from bot.creation_flow import CreationFlow
from bot.logs import configure_logging
from bot.settings import Settings, SettingsError
from jobs import runtime
from jobs.runtime import JobContext
from jobs.scheduler import ActivationScheduler, build_scheduler
from meta.alerts import AlertOutbox
from meta.campaigns import Clock, utcnow
from meta.lifecycle import CampaignLifecycle
from meta.pipeline import Status
from meta.status_sync import StatusSync

log = logging.getLogger(__name__)


@dataclass
class RunningBot:
    services: Services
    slack: SlackServices
    handler: SocketModeHandler
    scheduler: ActivationScheduler
    executor: ThreadPoolExecutor
    client: WebClient

    def stop(self) -> None:
        self.scheduler.shutdown()
        self.handler.close()
        self.executor.shutdown(wait=False, cancel_futures=True)
        runtime.install(None)
        self.services.engine.dispose()


def slack_client(settings: Settings, token: str) -> WebClient:
    client = WebClient(token=token, base_url=settings.slack_api_url or WebClient.BASE_URL)
    # slack_sdk retries only connection errors by default; 429s and 5xx need explicit handlers.
    client.retry_handlers = [
        ConnectionErrorRetryHandler(max_retry_count=3),
        RateLimitErrorRetryHandler(max_retry_count=5),
        ServerErrorRetryHandler(max_retry_count=3),
    ]
    return client


def start_bot(
    settings: Settings, *, clock: Clock = utcnow, base_dir: Path | None = None
) -> RunningBot:
    bot_token, app_token = settings.require_slack()
    services = build_services(settings, clock=clock, base_dir=base_dir)
    client = slack_client(settings, bot_token)
    identity = client.auth_test()
    policy = SlackAccessPolicy(
        client=client,
        approver_ids=settings.approver_ids,
        admin_ids=settings.admin_ids,
        team_id=identity.get("team_id"),
        allow_self_approval=settings.allow_self_approval,
    )
    scheduler = ActivationScheduler(
        build_scheduler(_sqlalchemy_url(settings.database_url)),
        sync_seconds=settings.sync_interval_seconds,
        scan_seconds=settings.scan_interval_seconds,
    )
    assert services.graph is not None
    lifecycle = CampaignLifecycle(
        store=services.store,
        graph=services.graph,
        accounts=services.accounts,
        policy=policy,
        pipeline=lambda: services.campaigns.pipeline,
        clock=clock,
        on_schedule=scheduler.schedule,
        worker_id=f"{socket.gethostname()}:{os.getpid()}",
    )
    status_sync = StatusSync(store=services.store, graph=services.graph)
    messages = CampaignMessages(client, clock=clock)
    notifier = SlackNotifier(
        client,
        channel=settings.alerts_channel or settings.campaigns_channel or "",
        messages=messages,
        clock=clock,
    )
    outbox = AlertOutbox(store=services.store, accounts=services.accounts)
    runtime.install(
        JobContext(lifecycle=lifecycle, outbox=outbox, notifier=notifier, sync=status_sync)
    )
    executor = ThreadPoolExecutor(
        max_workers=settings.worker_threads, thread_name_prefix="adbee-work"
    )
    creation = CreationFlow(
        client=client,
        campaigns=services.campaigns,
        store=services.store,
        messages=messages,
        channel=settings.campaigns_channel or "",
        executor=executor,
        base_dir=base_dir or Path.cwd(),
        work_dir=Path(tempfile.gettempdir()) / "adbee",
    )
    slack = SlackServices(
        campaigns=services.campaigns,
        lifecycle=lifecycle,
        status_sync=status_sync,
        creation=creation,
        messages=messages,
        store=services.store,
    )
    app = build_app(client=client, services=slack)
    _resume_interrupted(services, executor)
    scheduled = [
        (row.id, row.activate_at)
        for row in services.store.list(statuses=[Status.SCHEDULED], limit=10_000)
        if row.activate_at is not None
    ]
    scheduler.start(scheduled)
    handler = SocketModeHandler(app, app_token)
    handler.connect()
    log.info("AdBee is connected to Slack as %s", identity.get("user_id"))
    return RunningBot(services, slack, handler, scheduler, executor, client)


def _resume_interrupted(services: Services, executor: ThreadPoolExecutor) -> None:
    """Creations cut short by a crash or restart carry on from their last committed step."""
    for row in services.store.list(statuses=[Status.CREATING], limit=100):
        log.info("resuming interrupted creation #%s (%s)", row.id, row.name)
        executor.submit(_resume_one, services, row.id)


def _resume_one(services: Services, campaign_id: int) -> None:
    try:
        services.campaigns.run_creation(campaign_id)
    except Exception as exc:
        log.warning("resumed creation #%s stopped: %s", campaign_id, exc)


def _sqlalchemy_url(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def run_bot(settings: Settings, *, out: TextIO) -> int:
    configure_logging()
    try:
        bot = start_bot(settings)
    except SettingsError as exc:
        print(f"error: {exc}", file=out)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("AdBee is running (Ctrl-C to stop).", file=out, flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        bot.stop()
    return 0


def health(settings: Settings, *, out: TextIO) -> int:
    """Liveness for containers: settings load, accounts parse, the database answers."""
    try:
        services = build_services(settings, with_meta=False)
        with services.engine.connect() as connection:
            connection.execute(text("select 1"))
        pending = len(services.store.pending_alerts())
    except Exception as exc:
        print(f"unhealthy: {type(exc).__name__}: {exc}", file=out)
        return 1
    print(
        f"healthy: {len(services.accounts.all())} accounts, database ok, {pending} alerts pending, "
        f"checked {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC",
        file=out,
    )
    return 0
