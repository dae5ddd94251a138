"""Composition root: the only module that picks concrete classes. Tests override the defaults.

Three layers, each built on the one before, each with keyword overrides for tests:

* ``build_services``: store, Graph client, campaign service (what the CLI needs; no Slack);
* ``build_scheduling``: lifecycle, status sync and alert outbox (``JobContext``), the job
  store, the heartbeat and the APScheduler side, not yet started (``Scheduling.start``);
* ``build_bot``: the Slack client, access policy, campaign messages and notifier, the creation
  flow and its worker pool, the Bolt app and its Socket Mode handler, not yet connected
  (``bot.runner.start_bot`` starts and connects what this built).

The Slack and scheduler modules are imported inside the functions that build them: the CLI's
``validate`` and ``create`` build services only and must not pay for Bolt and APScheduler.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from bot.database_guard import prepare_database
from bot.settings import Settings
from meta.domain.accounts import AccountConfig, AccountRegistry, load_accounts
from meta.domain.minimum_budgets import FloorSource, MinimumBudgets, offline_floors
from meta.domain.money import to_minor
from meta.domain.pacing import PacingRules
from meta.domain.stopping import StopSignal
from meta.domain.templates import load_templates
from meta.graph.client import GraphClient, MetaConfig
from meta.graph.create_batches import BatchedCreates
from meta.graph.insights import InsightsReader
from meta.graph.upload import VideoUploader
from meta.image.check import check_image
from meta.services.campaigns import CampaignService, Clock, utcnow
from meta.services.creative_review import check_accounts
from meta.services.dashboard import Dashboard
from meta.services.digest import DailyDigests
from meta.services.pacing import PacingWatch
from meta.services.pipeline import CampaignPipeline
from meta.services.reminders import ApprovalReminders
from meta.services.reports import CampaignReports
from meta.services.summary import CampaignSummary
from meta.services.work_pool import FairPool
from meta.video.check import check_video
from meta.video.processing import wait_until_ready
from storage.db import create_database_file, create_schema, make_engine, make_session_factory
from storage.edits import EditStore
from storage.repository import CampaignStore
from storage.requests import CreationRequestStore

if TYPE_CHECKING:
    from slack_bolt import App
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk import WebClient
    from slack_sdk.web import SlackResponse

    from bot.database_watch import DatabaseLost
    from bot.health_report import HealthReport
    from bot.scheduling import Scheduling
    from bot.slack.app import SlackServices
    from bot.slack.budget import BudgetedWebClient, SlackBudget
    from bot.slack.campaign_messages import SlackNotifier
    from bot.slack.creation_flow import CreationFlow
    from bot.slack.home_tab import TodayReader
    from jobs.runtime import JobContext
    from meta.domain.access import AccessPolicy
    from meta.services.alerts import Notifier
    from meta.services.edit_media import EditMedia
    from meta.services.edits import EditService
    from meta.services.lifecycle import ScheduleHook

PROJECT_ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    engine: Engine
    store: CampaignStore
    accounts: AccountRegistry
    campaigns: CampaignService
    graph: GraphClient | None
    requests: CreationRequestStore
    stopping: StopSignal  # set when the process is asked to stop (``RunningBot.stop``)
    reports: CampaignReports | None = None  # Meta's Insights per campaign; None without Meta
    edit_store: EditStore | None = None  # the edits of campaigns (issue 16)
    # An edit's new video or image: uploaded, processed (None without Meta)
    edit_media: Callable[[], EditMedia] | None = None

    def edits(self, policy: AccessPolicy) -> EditService:
        """Edits of campaigns, deciding with ``policy`` (the CLI's decides nothing: no approvers)."""
        from meta.services.edit_checks import check_edit_media
        from meta.services.edits import EditService

        if self.graph is None or self.edit_store is None:
            raise RuntimeError("edits need the Meta connection: build_services(with_meta=True)")
        return EditService(
            store=self.store,
            edits=self.edit_store,
            graph=self.graph,
            accounts=self.accounts,
            policy=policy,
            clock=self.campaigns.clock,
            floors=self.campaigns.budget_floors,
            media=self.edit_media() if self.edit_media else None,
            check_media=check_edit_media,
        )


def build_services(
    settings: Settings,
    *,
    with_meta: bool = True,
    with_database: bool = True,
    clock: Clock = utcnow,
    base_dir: Path | None = None,
    initialise: bool = False,
    probe_meta: bool = False,
    graph: GraphClient | None = None,
) -> Services:
    """Everything but Slack. The schema is created on a fresh install, refused on an empty
    database where AdBee has evidently worked before (``bot.database_guard``), and created
    regardless with ``initialise`` (``python -m bot init-db``).

    ``probe_meta``: on an empty database, also ask Meta for videos AdBee uploaded (the bot does;
    the CLI does not, as it promises to send nothing to Meta before a file is valid).
    ``graph``: a Graph client to use instead of one built from the settings (a test's client
    with its own retry policy or a recording wrapper); the budget floors then read through it.
    """
    # Never creates the SQLite file by connecting: only the schema creation below does, on
    # purpose (a fresh install or init-db), so a deleted file is never silently replaced.
    if with_database:
        engine = make_engine(
            settings.database_url,
            busy_timeout=settings.database_busy_timeout_seconds,
            create_file=False,
        )
    else:
        # ``validate`` reads no rows: an in-memory engine that is never connected, so checking a
        # file works with the database stopped, unreachable or not yet created.
        engine = make_engine("sqlite://")
    sessions = make_session_factory(engine)
    store = CampaignStore(sessions, retry_seconds=settings.database_retry_seconds)
    stopping = StopSignal()
    root = base_dir or Path.cwd()
    accounts = load_accounts(_under(root, settings.accounts_file))
    check_accounts(accounts, str(settings.accounts_file))  # feature names the SDK knows
    factory = None
    edit_media = None
    floors: FloorSource = offline_floors(
        "this command works offline; `python -m bot create` reads Meta's figure"
    )
    if with_meta:
        meta = settings.meta_config()
        if graph is None:
            graph = GraphClient(meta)  # retry policy from settings (META_RETRY_*)
            # The modal checks a submission inside Slack's 3-second window: this read gets one
            # short try and no throttle wait, and falls back to the labelled offline estimate.
            quick = replace(meta, timeout=2.0, retry_attempts=1, max_throttle_wait=0.0)
            floors = MinimumBudgets(GraphClient(quick))
        else:
            floors = MinimumBudgets(graph)
        factory = _pipeline_factory(settings, meta, graph, store, accounts, stopping)
        edit_media = _edit_media_factory(settings, meta, graph, store, stopping)
    else:
        graph = None
    if initialise:
        create_database_file(settings.database_url)
        create_schema(engine)
    elif with_database:
        prepare_database(
            engine,
            settings.database_url,
            upload_dir=_under(root, settings.upload_dir),
            accounts=accounts,
            graph=graph if probe_meta else None,
        )
    templates = load_templates(
        _under(root, settings.templates_dir), accounts=accounts, base_dir=root
    )
    for broken in templates.broken:
        # Skipped, never fatal: a template nobody picks must not stop create, validate or the bot.
        log.warning("template skipped: %s", broken)
    campaigns = CampaignService(
        templates=templates.templates,
        broken_templates=templates.broken,
        store=store,
        accounts=accounts,
        base_dir=root,
        check_video=check_video,
        check_image=check_image,
        pipeline_factory=factory,
        clock=clock,
        budget_floors=floors,
    )
    reports = None
    if graph is not None:
        reader = InsightsReader(graph, policy=graph.config.retry_policy())
        reports = CampaignReports(campaigns=campaigns, reader=reader, clock=clock)
    return Services(
        settings,
        engine,
        store,
        accounts,
        campaigns,
        graph,
        requests=CreationRequestStore(sessions),
        stopping=stopping,
        reports=reports,
        edit_store=EditStore(sessions, retry_seconds=settings.database_retry_seconds),
        edit_media=edit_media,
    )


def _under(root: Path, path: Path) -> Path:
    return path if path.is_absolute() else root / path


def _pipeline_factory(
    settings: Settings,
    meta: MetaConfig,
    graph: GraphClient,
    store: CampaignStore,
    accounts: AccountRegistry,
    stopping: StopSignal,
) -> Callable[[], CampaignPipeline]:
    # One for every creation of the process: creates of rows that reach a step together
    # (a bulk's rows share one video) go to Meta as one batch request (meta.graph.create_batches).
    creates = BatchedCreates(graph, on_headers=graph.usage.record)

    def build() -> CampaignPipeline:
        return CampaignPipeline(
            store=store,
            graph=creates,
            uploader=_uploader(meta, graph, stopping),
            wait_until_ready=wait_until_ready,
            accounts=accounts,
            video_timeout=settings.video_timeout,
            video_poll_interval=settings.video_poll_interval,
            stopping=stopping,
        )

    return build


def _uploader(meta: MetaConfig, graph: GraphClient, stopping: StopSignal) -> VideoUploader:
    return VideoUploader(
        video_url=meta.video_url,
        api_version=meta.api_version,
        access_token=meta.access_token,
        appsecret_proof=meta.appsecret_proof,
        retry=meta.retry_policy(),
        sleep=stopping.sleep,  # retry waits inside an upload end when the process stops
        credentials=graph.credentials,  # follows a token renewed while running
        usage=graph.usage,  # one reading per ad account, whichever host answered
    )


def _edit_media_factory(
    settings: Settings,
    meta: MetaConfig,
    graph: GraphClient,
    store: CampaignStore,
    stopping: StopSignal,
) -> Callable[[], EditMedia]:
    """An edit's video or image steps, with the creations' uploader, waits and timeouts."""

    def build() -> EditMedia:
        from meta.services.edit_media import EditMedia

        return EditMedia(
            store=store,
            graph=graph,
            uploader=_uploader(meta, graph, stopping),
            wait_until_ready=wait_until_ready,
            stopping=stopping,
            video_timeout=settings.video_timeout,
            video_poll_interval=settings.video_poll_interval,
        )

    return build


def build_job_context(
    services: Services,
    notifier: Notifier,
    *,
    policy: AccessPolicy,
    clock: Clock | None = None,
    on_schedule: ScheduleHook | None = None,
    worker_id: str | None = None,
) -> JobContext:
    """Lifecycle, sync and outbox over ``services``; needs the Meta connection (``with_meta``).

    The same lifecycle serves the jobs and the Slack handlers (``build_bot`` hands it to both).
    """
    from bot.scheduling import default_worker_id
    from jobs.runtime import JobContext
    from meta.services.alerts import AlertOutbox
    from meta.services.lifecycle import CampaignLifecycle
    from meta.services.status_sync import StatusSync

    if services.graph is None:
        raise RuntimeError("scheduling needs the Meta connection: build_services(with_meta=True)")
    clock = clock or services.campaigns.clock
    lifecycle = CampaignLifecycle(
        store=services.store,
        graph=services.graph,
        accounts=services.accounts,
        policy=policy,
        pipeline=lambda: services.campaigns.pipeline,
        clock=clock,
        on_schedule=on_schedule,
        worker_id=worker_id or default_worker_id(),
        arm_ahead=timedelta(minutes=services.settings.arm_ahead_minutes),
        retry=services.graph.config.retry_policy(),
    )
    insights = InsightsReader(services.graph, policy=services.graph.config.retry_policy())

    def rules(account: AccountConfig) -> PacingRules:
        return pacing_rules(services.settings, account)

    outbox = AlertOutbox(store=services.store, accounts=services.accounts)

    def announce(campaign_id: int) -> None:
        """A sync someone asked for: its alerts now (a failure waits for the outbox's flush)."""
        try:
            outbox.deliver_pending(notifier, campaign_id=campaign_id)
        except Exception:
            log.exception("alerts of #%s wait for the next flush", campaign_id)

    return JobContext(
        lifecycle=lifecycle,
        outbox=outbox,
        notifier=notifier,
        sync=StatusSync(store=services.store, graph=services.graph, clock=clock, announce=announce),
        reminders=build_reminders(services, clock),
        pacing=PacingWatch(
            store=services.store,
            graph=services.graph,
            insights=insights,
            accounts=services.accounts,
            rules=rules,
            clock=clock,
        ),
        digests=DailyDigests(
            store=services.store,
            insights=insights,
            accounts=services.accounts,
            digest_time=lambda account: account.digest_time or services.settings.digest_time,
            rules=rules,
            clock=clock,
        ),
    )


def _home_today(reports: CampaignReports | None, clock: Clock) -> TodayReader | None:
    """The Home tab's "today" figures: Meta's Insights, cached per campaign for a few minutes
    (``TodayFigures``), so a round of publishing costs one read per live campaign, not one per
    viewer. Without Meta there is nothing to read."""
    from handlers.blocks.home import TodayNumbers
    from meta.services.reports import TodayFigures

    if reports is None:
        return None
    figures = TodayFigures(reports, clock=clock)

    def read(live: Sequence[CampaignSummary]) -> dict[int, TodayNumbers]:
        return {
            key: TodayNumbers(spend_text=f.spend_text, roas_text=f.roas_text)
            for key, f in figures.read(live).items()
        }

    return read


def build_reminders(services: Services, clock: Clock) -> ApprovalReminders:
    settings = services.settings
    return ApprovalReminders(
        store=services.store,
        accounts=services.accounts,
        approvers=settings.approver_ids,
        after=timedelta(hours=settings.approval_reminder_hours),
        clock=clock,
    )


def pacing_rules(settings: Settings, account: AccountConfig) -> PacingRules:
    """The PACING_* settings, with the account's own no-purchase threshold if it has one."""
    spend = account.pacing_no_purchase_spend or settings.pacing_no_purchase_spend
    return PacingRules(
        no_delivery_hours=settings.pacing_no_delivery_hours,
        underspend_percent=settings.pacing_underspend_percent,
        underspend_by=settings.pacing_underspend_by,
        no_purchase_spend_minor=to_minor(spend, account.currency) if spend else None,
    )


def build_scheduling(
    services: Services,
    notifier: Notifier,
    *,
    policy: AccessPolicy,
    clock: Clock | None = None,
    worker_id: str | None = None,
    scan_seconds: int = 30,
    alert_seconds: int = 15,
    on_database_lost: Callable[[str], None] | None = None,
) -> Scheduling:
    """The job scheduler on the bot's database, with the lifecycle it schedules for; not started.

    The job store and the heartbeat get an engine of their own with a short lock wait
    (``SCHEDULER_BUSY_TIMEOUT``); ``on_database_lost`` is called once if the SQLite file is
    deleted or replaced under the running bot.
    """
    from bot.database_watch import SqliteFileWatch
    from bot.scheduling import (
        SCHEDULER_BUSY_TIMEOUT,
        Heartbeat,
        OutageAlerts,
        Scheduling,
        job_failure_alert,
        replica_name,
    )
    from jobs.scheduler import ActivationScheduler, build_scheduler
    from storage.db import make_engine
    from storage.heartbeats import HeartbeatStore
    from storage.transient import OutageTracker

    settings = services.settings
    job_engine = make_engine(
        settings.database_url, busy_timeout=SCHEDULER_BUSY_TIMEOUT, create_file=False
    )
    alerts = OutageAlerts(notifier)
    outage = OutageTracker(on_down=alerts.on_down, on_up=alerts.on_up)
    heartbeats = HeartbeatStore(job_engine)
    replica = replica_name(settings.replica_name)
    watch = SqliteFileWatch.of(settings.database_url)
    heartbeat = Heartbeat(
        heartbeats,
        replica=replica,
        interval_seconds=settings.scheduler_heartbeat_seconds,
        watch=watch,
        on_database_lost=on_database_lost,
    )
    scheduler = ActivationScheduler(
        build_scheduler(engine=job_engine, outage=outage),
        scan_seconds=scan_seconds,
        sync_seconds=settings.sync_interval_seconds,
        alert_seconds=alert_seconds,
        factory=lambda: build_scheduler(engine=job_engine, outage=outage),
        outage=outage,
        heartbeat=heartbeat,
        heartbeat_seconds=settings.scheduler_heartbeat_seconds,
        on_job_error=job_failure_alert(notifier),
    )
    context = build_job_context(
        services,
        notifier,
        policy=policy,
        clock=clock,
        on_schedule=scheduler.schedule,
        worker_id=worker_id,
    )
    return Scheduling(context, scheduler, job_engine, heartbeats, replica, watch)


# The Socket Mode client notices a dropped connection only at its next ping. Slack gives up on
# delivering a command or click after a few seconds without a connection (the user sees
# "dispatch_failed"), so the SDK's 10 s default would lose what people do right after a drop.
SOCKET_PING_SECONDS = 2
# Progress edits are expendable: no retries and a short timeout, so a Slack outage costs the
# pipeline nothing (the next edit, or the final message, replaces a lost one).
PROGRESS_TIMEOUT_SECONDS = 5


def build_slack_client(
    settings: Settings, token: str, budget: SlackBudget | None = None
) -> BudgetedWebClient:
    """The bot's Web API client: it draws from ``budget`` (the process's one Slack budget) before
    every call; 429s wait in the budget, 5xx are retried; a post retried only if it did not land.
    """
    from slack_sdk import WebClient
    from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

    from bot.observability import count_rate_limits
    from bot.slack.budget import BudgetedWebClient, BudgetRetryHandler, SlackBudget
    from bot.slack.posts import NoRepostRetryHandler

    budget = budget or SlackBudget()
    client = BudgetedWebClient(
        token=token, base_url=settings.slack_api_url or WebClient.BASE_URL, budget=budget
    )
    # slack_sdk retries only connection errors by default; 429s and 5xx need explicit handlers.
    # Connection errors are retried for every method but chat.postMessage, which post_once
    # retries after checking that the post did not go out already (bot/slack/posts.py). A 429
    # waits in the budget (bot/slack/budget.py); what still fails goes back to its caller (the
    # alert outbox keeps cards and alerts until Slack takes them).
    client.retry_handlers = [
        NoRepostRetryHandler(max_retry_count=3),
        BudgetRetryHandler(budget, max_retry_count=8),
        ServerErrorRetryHandler(max_retry_count=3),
    ]
    count_rate_limits(client)
    return client


@dataclass
class Bot:
    """Everything the running bot is made of, built and wired but not started or connected."""

    settings: Settings
    base_dir: Path
    clock: Clock
    services: Services
    client: WebClient
    identity: SlackResponse  # auth.test's answer: the bot's own user and workspace
    notifier: SlackNotifier
    database_lost: DatabaseLost
    scheduling: Scheduling
    executor: FairPool
    creation: CreationFlow
    slack: SlackServices
    app: App
    handler: SocketModeHandler


def build_bot(
    settings: Settings,
    *,
    clock: Clock = utcnow,
    base_dir: Path | None = None,
    probe_meta: bool = False,
    graph: GraphClient | None = None,
    slack_client: WebClient | None = None,
    policy: AccessPolicy | None = None,
    worker_id: str | None = None,
) -> Bot:
    """The whole bot: services, scheduling and the Slack wiring, sharing one lifecycle.

    Overrides for tests: ``graph`` (see ``build_services``); ``slack_client``, the Web API
    client for the bot token (progress edits use a no-retry client to the same host with the
    same token); ``policy``, who may approve (default: settings and Slack user groups);
    ``worker_id``, the activation claims' holder. Talks to Slack once (``auth.test``, for the
    workspace the access policy checks people against) and prepares the database.
    """

    from bot.database_watch import DatabaseLost
    from bot.observability import count_rate_limits
    from bot.scheduling import default_worker_id
    from bot.slack.access import SlackAccessPolicy
    from bot.slack.acks import AckNoticingHandler, SubmissionAcks
    from bot.slack.app import SlackServices, build_app
    from bot.slack.budget import BudgetedWebClient, ProgressEdits, SlackBudget
    from bot.slack.bulk_flow import BulkLaunch
    from bot.slack.campaign_messages import CampaignMessages, SlackNotifier
    from bot.slack.creation_flow import CreationFlow
    from bot.slack.home_tab import HomeTabs

    bot_token, app_token = settings.require_slack()
    root = base_dir or Path.cwd()
    services = build_services(
        settings, clock=clock, base_dir=base_dir, probe_meta=probe_meta, graph=graph
    )
    client = slack_client or build_slack_client(settings, bot_token)
    # One Slack budget per process: every sender (cards, alerts, progress, listeners) draws
    # from it, so Slack's per-method tiers are shared instead of raced for (bot/slack/budget.py).
    budget = client.budget if isinstance(client, BudgetedWebClient) else SlackBudget()
    progress = ProgressEdits(
        count_rate_limits(
            BudgetedWebClient(
                token=client.token,
                base_url=client.base_url,
                timeout=PROGRESS_TIMEOUT_SECONDS,
                retry_handlers=[],
                budget=budget,
            )
        ),
        budget,
    )
    identity = client.auth_test()
    if policy is None:
        policy = SlackAccessPolicy(
            client=client,
            approver_ids=settings.approver_ids,
            admin_ids=settings.admin_ids,
            team_id=identity.get("team_id"),
            allow_self_approval=settings.allow_self_approval,
        )
    home = HomeTabs(
        client,
        dashboard=Dashboard(store=services.store, accounts=services.accounts),
        is_approver=policy.is_approver,
        approvers=policy.approver_user_ids,
        clock=clock,
        today=_home_today(services.reports, clock),
    )
    from bot.slack.batch_board import BatchBoard

    messages = CampaignMessages(
        client,
        clock=clock,
        on_change=home.campaign_changed,
        progress=progress,
        # A bulk row shows in its batch message, re-rendered whole from the store.
        board=BatchBoard(
            client,
            requests=services.requests,
            summaries=services.campaigns.get,
            progress=progress,
            budget=budget,
        ),
        # An approval card is posted on its own and becomes the campaign's message.
        record_message=lambda campaign_id, channel, ts: services.store.set_slack_message(
            campaign_id, channel=channel, ts=ts
        ),
    )
    notifier = SlackNotifier(
        client,
        channel=settings.alerts_channel or settings.campaigns_channel or "",
        messages=messages,
        clock=clock,
        approvers_of=build_reminders(services, clock).approvers_of,
        digest_channel=settings.campaigns_channel,
    )
    database_lost = DatabaseLost(notifier, key=f"database_lost:{default_worker_id()}")
    scheduling = build_scheduling(
        services,
        notifier,
        policy=policy,
        clock=clock,
        worker_id=worker_id,
        scan_seconds=settings.scan_interval_seconds,
        alert_seconds=settings.alert_flush_seconds,
        on_database_lost=database_lost,
    )
    acks = SubmissionAcks()  # the handler says when a submission's ack went out; refusals wait
    usage = services.graph.usage if services.graph is not None else None
    ceiling = settings.meta_usage_ceiling
    executor = FairPool(
        settings.worker_threads,
        # work for an ad account at or over the ceiling waits; other accounts go on
        admit=(lambda account: usage.hold_seconds(account, ceiling=ceiling)) if usage else None,
        thread_name_prefix="adbee-work",
    )
    creation = CreationFlow(
        client=client,
        campaigns=services.campaigns,
        store=services.store,
        messages=messages,
        channel=settings.campaigns_channel or "",
        executor=executor,
        base_dir=root,
        # Kept on disk (not in /tmp) so a creation interrupted mid-upload can resume after a restart.
        work_dir=(root / settings.upload_dir).resolve(),
        outbox=scheduling.context.outbox,
        notifier=notifier,
        requests=services.requests,
        stopping=services.stopping,
        acks=acks,
        progress=progress,
        graph=services.graph,  # creations wait for Meta's video processing without a worker
        usage=usage,  # a request the pool holds for its account's usage says so in Slack
        usage_ceiling=ceiling,
    )
    sync = scheduling.context.sync
    assert sync is not None  # build_job_context always builds one
    from bot.slack.edit_flow import EditFlow

    edit_flow = EditFlow(
        client=client,
        edits=services.edits(policy),
        channel=settings.campaigns_channel or "",
        work_dir=(root / settings.upload_dir).resolve(),
    )
    from meta.services.duplicates import DuplicateService

    creation.duplicates = DuplicateService(
        services.campaigns, services.edits(policy), services.store, clock=services.campaigns.clock
    )
    from bot.slack.resubmit_flow import ResubmitFlow

    slack = SlackServices(
        edits=edit_flow,
        resubmit=ResubmitFlow(edits=edit_flow, store=services.store),
        campaigns=services.campaigns,
        lifecycle=scheduling.lifecycle,
        status_sync=sync,
        creation=creation,
        messages=messages,
        store=services.store,
        home=home,
        reports=services.reports,
        bulk=BulkLaunch(
            client=client,
            campaigns=services.campaigns,
            creation=creation,
            requests=services.requests,
            lifecycle=scheduling.lifecycle,
            messages=messages,
            channel=settings.campaigns_channel or "",
        ),
    )
    app = build_app(client=client, services=slack)
    handler = AckNoticingHandler(app, app_token, acks=acks, ping_interval=SOCKET_PING_SECONDS)
    return Bot(
        settings=settings,
        base_dir=root,
        clock=clock,
        services=services,
        client=client,
        identity=identity,
        notifier=notifier,
        database_lost=database_lost,
        scheduling=scheduling,
        executor=executor,
        creation=creation,
        slack=slack,
        app=app,
        handler=handler,
    )


def build_health_report(bot: Bot) -> Callable[[], HealthReport]:
    """The report ``HEALTH_PORT`` serves: every check, plus the socket and scheduler it sees."""
    from bot.health import CachedRemoteChecks, InProcess, gather
    from jobs.scheduler import LAST_FINISHED

    settings, scheduling = bot.settings, bot.scheduling
    state = InProcess(
        connected=bot.handler.client.is_connected,
        # Looked up each time: the supervisor replaces a scheduler whose thread died.
        scheduler_running=lambda: bool(scheduling.scheduler.scheduler.running),
        last_scan=lambda: LAST_FINISHED.get("scan_job"),
        scan_seconds=settings.scan_interval_seconds,
    )
    remote = CachedRemoteChecks(settings, state, bot.clock)
    return lambda: gather(
        settings, clock=bot.clock, base_dir=bot.base_dir, in_process=state, remote=remote
    )
