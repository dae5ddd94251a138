"""Start the bot the composition root built (``bot.bootstrap.build_bot``); stop it; health.

``start_bot`` returns a running bot without blocking, which is what the demo and the end-to-end
tests use; ``run_bot`` is the production entry point that blocks until interrupted. Nothing here
picks a concrete class: it starts, connects and stops what it receives.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

from bot.bootstrap import Services, build_bot, build_health_report
from bot.health import gather
from bot.health_http import serve_health
from bot.http_serving import BackgroundServer
from bot.meta_token import RELOAD_SECONDS, pick_up_renewed_token, restart_hint, token_file
from bot.observability import serve_metrics
from bot.scheduling import Scheduling
from bot.settings import Settings
from bot.slack.app import SlackServices
from bot.slack.channel_membership import membership_problems
from bot.slack.creation_flow import CreationFlow
from jobs import runtime
from jobs.monitoring import digest_job, pacing_job, reminders_job
from meta.domain.access import AccessPolicy
from meta.domain.minimum_budgets import WARM_EVERY_SECONDS, MinimumBudgets
from meta.graph.client import GraphClient
from meta.graph.versions import version_warning
from meta.services.campaigns import Clock, utcnow
from meta.services.creation_lease import release_held_leases

log = logging.getLogger(__name__)
# How often a process looks for requests and creations nobody runs (a dead or stopped process's).
# A graceful stop releases its leases, so a replica takes them over within this time.
PENDING_WORK_SECONDS = 10
CLOSE_WAIT_SECONDS = 1.0  # of the stop's grace, at most this long for Socket Mode's close
EXIT_RESERVE_SECONDS = 0.5  # of the stop's grace, kept for the exit after the wait
EXIT_DATABASE_LOST = 3  # run_bot's exit code when the bot stopped because its database vanished


@dataclass
class RunningBot:
    services: Services
    slack: SlackServices
    handler: SocketModeHandler
    scheduling: Scheduling
    executor: Executor
    client: WebClient
    creation: CreationFlow
    # Set when the bot must stop on its own (its SQLite file was deleted): run_bot then exits
    # with EXIT_DATABASE_LOST so that a supervisor (Docker, systemd) notices and restarts it.
    stopping: threading.Event = field(default_factory=threading.Event)
    fatal: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_DATABASE_LOST if self.fatal else 0

    metrics: BackgroundServer | None = None
    health: BackgroundServer | None = None

    def stop(self, grace: float | None = None) -> int:
        """Stop within ``grace`` seconds (``SHUTDOWN_GRACE_SECONDS``); returns runs still going.

        No new work is taken (the Slack connection closes, jobs stop firing); queued creations
        are handed back (their rows stay for the next process); running ones stop at their next
        checkpoint. Whatever has not reached one by the deadline loses its lease here, so a
        restart or a replica continues it at once; ``run_bot`` then exits without waiting for it.
        """
        for server in (self.metrics, self.health):
            if server is not None:
                server.close()
        grace = self.services.settings.shutdown_grace_seconds if grace is None else grace
        # Part of the grace is kept for what comes after (releasing leases, the interpreter's
        # exit), so the whole stop fits in ``grace``, not just the wait.
        deadline = time.monotonic() + grace - min(EXIT_RESERVE_SECONDS, grace / 4)
        self.services.stopping.set()
        # Closing Socket Mode can block for seconds on the socket's read; it must not eat the grace.
        closing = threading.Thread(target=self.handler.close, name="close-slack", daemon=True)
        closing.start()
        self.scheduling.stop()
        self.slack.home.close()
        still_running = self.creation.stop(deadline)
        released = release_held_leases()
        if still_running or released:
            log.warning(
                "stopped with %d creation(s) not at a checkpoint; %d lease(s) released for the "
                "next process",
                still_running,
                released,
            )
        # A clean close frame is courtesy, not safety: the socket closes with the process anyway,
        # and whatever Slack delivers meanwhile is recorded and left queued for the next one.
        closing.join(timeout=min(max(deadline - time.monotonic(), 0), CLOSE_WAIT_SECONDS))
        runtime.install(None)
        self.services.engine.dispose()
        return still_running


def start_bot(
    settings: Settings,
    *,
    clock: Clock = utcnow,
    base_dir: Path | None = None,
    probe_meta: bool = False,
    graph: GraphClient | None = None,
    slack_client: WebClient | None = None,
    policy: AccessPolicy | None = None,
) -> RunningBot:
    """A running bot. ``probe_meta`` (``python -m bot run``): on an empty database, look in Meta
    for AdBee's own videos before creating the schema (``bot.database_guard``). The overrides
    (``graph``, ``slack_client``, ``policy``) go to the composition root (``build_bot``).

    Everything is built by ``bot.bootstrap.build_bot``; this starts it, in order: warnings an
    operator should see, the scheduler, the work a dead or stopped process left, the intervals,
    the metrics and health servers, and last the Slack connection.
    """
    bot = build_bot(
        settings,
        clock=clock,
        base_dir=base_dir,
        probe_meta=probe_meta,
        graph=graph,
        slack_client=slack_client,
        policy=policy,
    )
    version_problem = version_warning(settings.meta_api_version, clock().date())
    if version_problem:
        log.warning("%s", version_problem)
    for problem in membership_problems(bot.client, settings):
        log.warning("%s", problem)  # health reports it too, until someone invites the bot
    bot.scheduling.start()
    bot.creation.pending_work()  # what a dead or stopped process left: requests and creations
    # kept by the scheduler's supervisor when it has to start a new scheduler
    bot.scheduling.scheduler.add_interval(
        "resume-creations", bot.creation.pending_work, PENDING_WORK_SECONDS
    )
    if bot.slack.edits is not None:  # edits a crash interrupted, carried on (issue 16)
        bot.scheduling.scheduler.add_interval(
            "resume-edits", bot.slack.edits.resume_stopped, PENDING_WORK_SECONDS
        )
    # The watch after go-live: reminders as often as the scan, pacing as often as the sync.
    bot.scheduling.scheduler.add_interval(
        "approval-reminders", reminders_job, settings.scan_interval_seconds
    )
    bot.scheduling.scheduler.add_interval("pacing", pacing_job, settings.sync_interval_seconds)
    bot.scheduling.scheduler.add_interval("digest", digest_job, settings.scan_interval_seconds)
    _follow_token_renewals(bot.services, settings, bot.scheduling, bot.base_dir)
    _keep_budget_floors_warm(bot.services, bot.scheduling)
    served = None
    if settings.metrics_port is not None:
        served = serve_metrics(settings.metrics_port, bot.services.store)
    probe_server = None
    if settings.health_port is not None:
        probe_server = serve_health(settings.health_port, build_health_report(bot))
    bot.handler.connect()
    log.info("AdBee is connected to Slack as %s", bot.identity.get("user_id"))
    return RunningBot(
        bot.services,
        bot.slack,
        bot.handler,
        bot.scheduling,
        bot.executor,
        bot.client,
        bot.creation,
        bot.database_lost.stopping,
        bot.database_lost.problems,
        served,
        probe_server,
    )


def _keep_budget_floors_warm(services: Services, scheduling: Scheduling) -> None:
    """Meta's minimum budget of every account, read now (on a thread of its own: start-up does
    not wait for Meta) and every hour ahead of its expiry, so the form's check inside Slack's
    3-second ack never waits for a Graph call (``meta.domain.minimum_budgets``)."""
    floors = services.campaigns.budget_floors
    if not isinstance(floors, MinimumBudgets):  # offline: AdBee's own estimate, nothing to read
        return
    accounts = services.accounts.all

    def warm() -> None:
        floors.warm(accounts())

    threading.Thread(target=warm, name="adbee-budget-floors", daemon=True).start()
    # An interval the scheduler's supervisor keeps when it has to start a new scheduler.
    scheduling.scheduler.add_interval("budget-floors", warm, WARM_EVERY_SECONDS)


def _follow_token_renewals(
    services: Services, settings: Settings, scheduling: Scheduling, root: Path
) -> None:
    """Re-read the Meta token's file every minute, so a renewed token needs no restart."""
    source = token_file(settings, env_file=root / ".env")
    log.info("Meta token: %s", restart_hint(source))
    graph = services.graph
    if source is None or graph is None:
        return
    # An interval the scheduler's supervisor keeps when it has to start a new scheduler.
    scheduling.scheduler.add_interval(
        "meta-token", lambda: pick_up_renewed_token(graph, source, settings), RELOAD_SECONDS
    )


def run_bot(settings: Settings, *, out: TextIO) -> int:
    """Run until SIGTERM or Ctrl-C. Logging is set up by ``bot.__main__`` (LOG_LEVEL, LOG_FORMAT);
    a SettingsError reaches ``bot.cli``, which prints it to stderr."""
    bot = start_bot(settings, probe_meta=True)
    stop = bot.stopping
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("AdBee is running (Ctrl-C to stop).", file=out, flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        started = time.monotonic()
        log.info("stopping (grace %.0f s)", settings.shutdown_grace_seconds)
        still_running = bot.stop()
        log.info("stopped in %.1f s", time.monotonic() - started)
    # Everything that matters is committed and every lease released. A normal interpreter exit
    # would now wait for each worker thread (a creation still inside one Meta call, a job) and
    # tear down modules, seconds under load; exiting here keeps the stop inside the grace.
    if still_running:
        log.warning("exiting with %d creation(s) still inside a call to Meta", still_running)
    logging.shutdown()
    sys.stderr.flush()
    for problem in bot.fatal:
        print(f"error: {problem}", file=out, flush=True)
    out.flush()
    os._exit(bot.exit_code)


def health(
    settings: Settings,
    *,
    out: TextIO,
    clock: Clock = utcnow,
    as_json: bool = False,
    base_dir: Path | None = None,
) -> int:
    """Every dependency, from a separate process: exit 0 healthy, 1 degraded, 2 down.

    Creates nothing. A Meta API version close to its expiry, a token about to expire or alerts
    stuck in the outbox are "degraded": the process is alive and a restart would not help.
    """
    report = gather(settings, clock=clock, base_dir=base_dir)
    report.write(out, as_json=as_json)
    return report.exit_code


def probe(settings: Settings, *, out: TextIO) -> int:
    """Docker's HEALTHCHECK: exit 1 only when down (degraded stays "healthy" for Docker).

    With ``HEALTH_PORT`` it asks the running bot (which sees its Slack socket and scheduler);
    without, it runs the same checks as ``health``.
    """
    if settings.health_port is None:
        report = gather(settings)
        report.write(out)
        return 1 if report.status == "down" else 0
    url = f"http://127.0.0.1:{settings.health_port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=15) as answer:
            body = json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as exc:
        body = json.loads(exc.read() or b"{}")
    except OSError as exc:
        print(f"down: the bot does not answer on {url} ({exc})", file=out)
        return 1
    status = body.get("status", "down")
    print(f"{status}: {url}", file=out)
    for check in body.get("checks", []):
        if check.get("status") != "ok":
            print(f"{check.get('status')}: {check.get('detail')}", file=out)
    return 1 if status == "down" else 0
