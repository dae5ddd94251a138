"""The real bot in Socket Mode against both emulators, as a user would meet it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.runner import RunningBot, start_bot
from bot.settings import Settings
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


def start_in(days: int = 2) -> datetime:
    """A Singapore 20:00 start a few days ahead, as the datetimepicker sends it (UTC)."""
    local = datetime.now(UTC) + timedelta(days=days)
    return datetime(local.year, local.month, local.day, 12, 0, tzinfo=UTC)
