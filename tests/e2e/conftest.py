"""The real bot in Socket Mode against both emulators, as a user would meet it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.runner import RunningBot, start_bot
from bot.settings import Settings
from bot.slack.creation_flow import RequestStatus
from sandbox.graph_emulator import GraphEmulator
from sandbox.seeding import SANDBOX_META_TOKEN
from sandbox.slack_emulator import SlackEmulator

ROOT = Path(__file__).resolve().parents[2]
REQUESTER, APPROVER, BYSTANDER, OUTSIDER = "U_ALICE", "U_BOB", "U_EVE", "U_MALLORY"
CAMPAIGNS, ALERTS = "C_CAMPAIGNS", "C_ALERTS"


def new_slack() -> SlackEmulator:
    """A workspace with a requester, an approver (via a user group), a bystander, an outsider."""
    emulator = SlackEmulator()
    emulator.add_user(REQUESTER, name="alice", real_name="Alice Tan", tz="Asia/Singapore")
    emulator.add_user(APPROVER, name="bob", real_name="Bob Lim", tz="Asia/Singapore")
    emulator.add_user(BYSTANDER, name="eve", real_name="Eve Ng", tz="Asia/Singapore")
    emulator.add_user(OUTSIDER, name="mallory", team_id="T0OTHER")
    emulator.add_channel(CAMPAIGNS, "campaigns")
    emulator.add_channel(ALERTS, "campaign-alerts")
    emulator.add_usergroup("S_APPROVERS", "approvers", users=[APPROVER])
    return emulator


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with new_slack() as emulator:
        yield emulator


def bot_settings(slack: SlackEmulator, graph: GraphEmulator, db: Path, **extra: object) -> Settings:
    values: dict[str, object] = {
        "meta_access_token": SANDBOX_META_TOKEN,
        "meta_graph_url": graph.url,
        "meta_video_url": graph.url,
        "meta_api_version": "v26.0",
        "database_url": f"sqlite:///{db}",
        # Each bot its own upload folder beside its database: request and campaign ids start at 1
        # in every fresh database, so two bots sharing data/uploads (two pytest workers) wrote,
        # and deleted, each other's request-1/1/ainote2.mp4 while Meta was being sent it.
        "upload_dir": db.parent / "uploads",
        "slack_bot_token": slack.bot_token,
        "slack_app_token": slack.app_token,
        "slack_api_url": slack.api_url,
        "campaigns_channel": CAMPAIGNS,
        "alerts_channel": ALERTS,
        "approver_ids": [*["S_APPROVERS", "U_OUTSIDE_APPROVER_LIST_PLACEHOLDER"][:1], OUTSIDER],
        "adbee_sandbox": True,
        "video_poll_interval": 0.05,
        "meta_retry_base_delay": 0.01,
        "meta_max_throttle_wait": 2,
    }
    values.update(extra)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@contextmanager
def running_bot(
    slack: SlackEmulator, graph: GraphEmulator, db: Path, **extra: object
) -> Iterator[RunningBot]:
    """The bot connected to both emulators (``extra``: settings), stopped on the way out."""
    running = start_bot(bot_settings(slack, graph, db, **extra), base_dir=ROOT)
    slack.wait_for_connection(timeout=10)
    yield running
    slack.close_handler(running.handler)
    running.stop()


@pytest.fixture
def bot(
    slack: SlackEmulator, graph: GraphEmulator, tmp_path: Path, monkeypatch
) -> Iterator[RunningBot]:
    monkeypatch.chdir(ROOT)
    with running_bot(slack, graph, tmp_path / "adbee.db") as running:
        yield running


def describe_slack(slack: SlackEmulator, *channels: str) -> str:
    """What the channels hold (each message, its buttons and its thread) and what Slack saw go
    wrong: said when a wait times out, so a flaky run shows where the story stopped."""
    lines: list[str] = []
    for channel in channels or (CAMPAIGNS, ALERTS):
        messages = slack.messages(channel)
        lines.append(f"{channel}: {len(messages)} message(s)")
        for message in messages:
            buttons = [
                str(e.get("action_id"))
                for b in message.get("blocks", [])
                for e in b.get("elements", []) or []
                if e.get("type") == "button"
            ]
            lines.append(f"  {message['ts']} {message.get('text', '')[:160]!r} buttons={buttons}")
            for reply in slack.thread(channel, message["ts"])[1:]:
                lines.append(f"    reply {reply.get('text', '')[:160]!r}")
    lines.append(f"problems Slack would show: {slack.problems or 'none'}")
    return "\n".join(lines)


def describe_bot(running: RunningBot) -> str:
    """The bot's side of a story that stopped: its requests, campaigns and pending alerts."""
    services = running.services
    lines: list[str] = []
    for request in services.requests.list_requests(statuses=list(RequestStatus)):
        lines.append(
            f"request #{request.id} {request.status} attempts={request.attempts} "
            f"campaign={request.campaign_id} error={request.error!r}"
        )
    for row in services.store.list_campaigns():
        lines.append(
            f"campaign #{row.id} {row.status} step={row.step} error={row.error!r} "
            f"message={row.slack_ts}"
        )
    for alert in services.store.pending_alerts():
        lines.append(f"alert pending {alert.kind} #{alert.campaign_id} attempts={alert.attempts}")
    return "\n".join(lines) or "no requests, no campaigns"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    """A failed end-to-end test shows what Slack and the bot held when it failed."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    funcargs = getattr(item, "funcargs", {})
    slack = funcargs.get("slack")
    if isinstance(slack, SlackEmulator):
        with suppress(Exception):
            report.sections.append(("Slack when it failed", describe_slack(slack)))
    for name in ("bot", "live_bot"):
        running = funcargs.get(name)
        if isinstance(running, RunningBot):
            with suppress(Exception):
                report.sections.append(("Bot when it failed", describe_bot(running)))


def start_in(days: int = 2) -> datetime:
    """A Singapore 20:00 start a few days ahead, as the datetimepicker sends it (UTC)."""
    local = datetime.now(UTC) + timedelta(days=days)
    return datetime(local.year, local.month, local.day, 12, 0, tzinfo=UTC)
