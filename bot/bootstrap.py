"""Composition root: the only place that picks concrete classes. Tests override the defaults."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import Engine

from bot.database_guard import prepare_database
from bot.settings import Settings
from meta.domain.accounts import AccountRegistry, load_accounts
from meta.domain.minimum_budgets import FloorSource, MinimumBudgets, offline_floors
from meta.domain.stopping import StopSignal
from meta.domain.templates import load_templates
from meta.graph.client import GraphClient, MetaConfig
from meta.graph.upload import VideoUploader
from meta.services.campaigns import CampaignService, Clock, utcnow
from meta.services.pipeline import CampaignPipeline
from meta.video.check import check_video
from meta.video.processing import wait_until_ready
from storage.db import create_database_file, create_schema, make_engine, make_session_factory
from storage.repository import CampaignStore
from storage.requests import CreationRequestStore

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


def build_services(
    settings: Settings,
    *,
    with_meta: bool = True,
    with_database: bool = True,
    clock: Clock = utcnow,
    base_dir: Path | None = None,
    initialise: bool = False,
    probe_meta: bool = False,
) -> Services:
    """Everything but Slack. The schema is created on a fresh install, refused on an empty
    database where AdBee has evidently worked before (``bot.database_guard``), and created
    regardless with ``initialise`` (``python -m bot init-db``).

    ``probe_meta``: on an empty database, also ask Meta for videos AdBee uploaded (the bot does;
    the CLI does not, as it promises to send nothing to Meta before a file is valid).
    """
    # Never creates the SQLite file by connecting: only the schema creation below does, on
    # purpose (a fresh install or init-db), so a deleted file is never silently replaced.
    if with_database:
        engine = make_engine(settings.database_url, create_file=False)
    else:
        # ``validate`` reads no rows: an in-memory engine that is never connected, so checking a
        # file works with the database stopped, unreachable or not yet created.
        engine = make_engine("sqlite://")
    sessions = make_session_factory(engine)
    store = CampaignStore(sessions, retry_seconds=settings.database_retry_seconds)
    stopping = StopSignal()
    root = base_dir or Path.cwd()
    accounts = load_accounts(_under(root, settings.accounts_file))
    graph: GraphClient | None = None
    factory = None
    floors: FloorSource = offline_floors(
        "this command works offline; `python -m bot create` reads Meta's figure"
    )
    if with_meta:
        meta = settings.meta_config()
        graph = GraphClient(meta)  # retry policy from settings (META_RETRY_*)
        factory = _pipeline_factory(settings, meta, graph, store, accounts, stopping)
        # The modal checks a submission inside Slack's 3-second window: this read gets one
        # short try and no throttle wait, and falls back to the labelled offline estimate.
        quick = replace(meta, timeout=2.0, retry_attempts=1, max_throttle_wait=0.0)
        floors = MinimumBudgets(GraphClient(quick))
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
        pipeline_factory=factory,
        clock=clock,
        budget_floors=floors,
    )
    return Services(
        settings,
        engine,
        store,
        accounts,
        campaigns,
        graph,
        requests=CreationRequestStore(sessions),
        stopping=stopping,
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
    def build() -> CampaignPipeline:
        uploader = VideoUploader(
            video_url=meta.video_url,
            api_version=meta.api_version,
            access_token=meta.access_token,
            appsecret_proof=meta.appsecret_proof,
            retry=meta.retry_policy(),
            sleep=stopping.sleep,  # retry waits inside an upload end when the process stops
            credentials=graph.credentials,  # follows a token renewed while running
        )
        return CampaignPipeline(
            store=store,
            graph=graph,
            uploader=uploader,
            wait_until_ready=wait_until_ready,
            accounts=accounts,
            video_timeout=settings.video_timeout,
            video_poll_interval=settings.video_poll_interval,
            stopping=stopping,
        )

    return build
