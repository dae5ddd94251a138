"""Start the bot: services, Slack client, scheduler, Socket Mode. Also the health check.

``start_bot`` returns a running bot without blocking, which is what the demo and the end-to-end
tests use; ``run_bot`` is the production entry point that blocks until interrupted.
"""

from __future__ import annotations

import logging
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
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
from bot.scheduling import Scheduling, start_scheduler
from bot.settings import Settings, SettingsError
from bot.slack_posts import NoRepostRetryHandler
from jobs import runtime
from meta.api_versions import version_warning
from meta.campaigns import Clock, utcnow
from meta.creation_lease import lease_is_free
from meta.states import Status

log = logging.getLogger(__name__)
# The Socket Mode client notices a dropped connection only at its next ping. Slack gives up on
# delivering a command or click after a few seconds without a connection (the user sees
# "dispatch_failed"), so the SDK's 10 s default would lose what people do right after a drop.
SOCKET_PING_SECONDS = 2
PROGRESS_TIMEOUT_SECONDS = 5


@dataclass
class RunningBot:
    services: Services
    slack: SlackServices
    handler: SocketModeHandler
    scheduling: Scheduling
    executor: ThreadPoolExecutor
    client: WebClient

    def stop(self) -> None:
        self.scheduling.stop()
        self.handler.close()
        self.executor.shutdown(wait=False, cancel_futures=True)
        runtime.install(None)
        self.services.engine.dispose()


def slack_client(settings: Settings, token: str) -> WebClient:
    client = WebClient(token=token, base_url=settings.slack_api_url or WebClient.BASE_URL)
    # slack_sdk retries only connection errors by default; 429s and 5xx need explicit handlers.
    # Connection errors are retried for every method but chat.postMessage, which post_once
    # retries after checking that the post did not go out already (bot/slack_posts.py).
    client.retry_handlers = [
        NoRepostRetryHandler(max_retry_count=3),
        RateLimitErrorRetryHandler(max_retry_count=5),
        ServerErrorRetryHandler(max_retry_count=3),
    ]
    return client


def start_bot(
    settings: Settings, *, clock: Clock = utcnow, base_dir: Path | None = None
) -> RunningBot:
    bot_token, app_token = settings.require_slack()
    services = build_services(settings, clock=clock, base_dir=base_dir)
    version_problem = version_warning(settings.meta_api_version, clock().date())
    if version_problem:
        log.warning("%s", version_problem)
    client = slack_client(settings, bot_token)
    identity = client.auth_test()
    policy = SlackAccessPolicy(
        client=client,
        approver_ids=settings.approver_ids,
        admin_ids=settings.admin_ids,
        team_id=identity.get("team_id"),
        allow_self_approval=settings.allow_self_approval,
    )
    messages = CampaignMessages(client, clock=clock)
    notifier = SlackNotifier(
        client,
        channel=settings.alerts_channel or settings.campaigns_channel or "",
        messages=messages,
        clock=clock,
    )
    scheduling = start_scheduler(
        services,
        notifier,
        policy=policy,
        clock=clock,
        scan_seconds=settings.scan_interval_seconds,
        alert_seconds=settings.alert_flush_seconds,
    )
    lifecycle = scheduling.lifecycle
    status_sync = scheduling.context.sync
    assert status_sync is not None
    upload_root = ((base_dir or Path.cwd()) / settings.upload_dir).resolve()
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
        # Kept on disk (not in /tmp) so a creation interrupted mid-upload can resume after a restart.
        work_dir=upload_root,
        outbox=scheduling.context.outbox,
        notifier=notifier,
        # Progress edits are expendable: no retries and a short timeout, so a Slack outage
        # costs the pipeline nothing (the next edit, or the final message, replaces a lost one).
        progress_client=WebClient(
            token=bot_token,
            base_url=settings.slack_api_url or WebClient.BASE_URL,
            timeout=PROGRESS_TIMEOUT_SECONDS,
            retry_handlers=[],
        ),
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

    def resume() -> None:
        _resume_abandoned_creations(services, creation)

    resume()
    scheduling.scheduler.scheduler.add_job(
        resume,
        "interval",
        seconds=60,
        id="resume-creations",
        jobstore="memory",
        replace_existing=True,
    )
    handler = SocketModeHandler(app, app_token, ping_interval=SOCKET_PING_SECONDS)
    handler.connect()
    log.info("AdBee is connected to Slack as %s", identity.get("user_id"))
    return RunningBot(services, slack, handler, scheduling, executor, client)


def _resume_abandoned_creations(services: Services, creation: CreationFlow) -> None:
    """Creations whose process died carry on from their last committed step.

    A running creation holds a lease with a heartbeat (``meta.creation_lease``); one whose
    lease is free was abandoned. The resumed run takes the lease itself, so if two replicas both
    notice, only one of them runs it.
    """
    for row in services.store.list(statuses=[Status.CREATING], limit=100):
        if lease_is_free(row):
            log.info("resuming abandoned creation #%s (%s)", row.id, row.name)
            creation.resume(row.id, user_id=row.requested_by or "", team_id=None, automatic=True)


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


def health(settings: Settings, *, out: TextIO, clock: Clock = utcnow) -> int:
    """Liveness for containers: settings load, accounts parse, the database answers.

    A Meta API version close to (or past) its expiry is a ``warning:`` line, not a failure: the
    process is alive, and restarting it would not help; the operator has to change the version.
    """
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
    # Reported, not unhealthy: a broken template is skipped and blocks nothing else.
    for broken in services.campaigns.broken_templates:
        print(f"warning: template skipped: {broken}", file=out)
    version_problem = version_warning(settings.meta_api_version, clock().date())
    if version_problem:
        print(f"warning: {version_problem}", file=out)
    return 0
