"""The composition root (``bot.bootstrap.build_bot``): one lifecycle, nothing started, overrides.

Built against both emulators but never connected: what is asserted is the wiring itself.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.web import SlackResponse

from bot.bootstrap import Bot, build_bot
from meta.graph.client import GraphClient
from meta.graph.create_batches import BatchedCreates
from sandbox.graph_emulator import GraphEmulator
from sandbox.slack_emulator import SlackEmulator
from tests.e2e.conftest import ALERTS, ROOT, bot_settings


class RecordingClient(WebClient):
    """A Web API client that remembers which methods went through it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.methods: list[str] = []

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:  # type: ignore[override]
        self.methods.append(api_method)
        return super().api_call(api_method, **kwargs)


def dispose(bot: Bot) -> None:
    bot.executor.shutdown(wait=False)
    if bot.scheduling.job_engine is not None:
        bot.scheduling.job_engine.dispose()
    bot.services.engine.dispose()


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    from tests.e2e.conftest import new_slack

    with new_slack() as emulator:
        yield emulator


def test_the_handlers_and_the_jobs_act_through_one_lifecycle_and_nothing_is_started(
    slack: SlackEmulator, graph: GraphEmulator, tmp_path: Path, monkeypatch
):
    monkeypatch.chdir(ROOT)
    bot = build_bot(bot_settings(slack, graph, tmp_path / "adbee.db"), base_dir=ROOT)
    try:
        # An Approve click and the activation job reach the same object (issue 12.2).
        assert bot.slack.lifecycle is bot.scheduling.context.lifecycle
        assert bot.slack.status_sync is bot.scheduling.context.sync
        assert bot.slack.creation is bot.creation
        assert bot.slack.store is bot.services.store
        # Starting is the runner's: no job fires and no socket opens while building.
        assert not bot.scheduling.scheduler.scheduler.running
        assert not bot.handler.client.is_connected()
    finally:
        dispose(bot)


def test_overrides_replace_the_slack_client_and_the_graph_client(
    slack: SlackEmulator, graph: GraphEmulator, tmp_path: Path, monkeypatch
):
    monkeypatch.chdir(ROOT)
    settings = bot_settings(slack, graph, tmp_path / "adbee.db")
    client = RecordingClient(token=slack.bot_token, base_url=slack.api_url)
    meta = GraphClient(settings.meta_config())
    bot = build_bot(settings, base_dir=ROOT, slack_client=client, graph=meta)
    try:
        assert bot.client is client
        assert client.methods == ["auth.test"]  # the workspace the access policy checks against
        bot.notifier.send(kind="job_failed", summary=None, detail="composition test", key="k1")
        assert client.methods[-1] == "chat.postMessage"
        assert any("composition test" in str(m) for m in slack.messages(ALERTS))
        assert bot.services.graph is meta
        creates = bot.services.campaigns.pipeline._graph  # the pipeline creates through it
        assert isinstance(creates, BatchedCreates) and creates.wrapped is meta
    finally:
        dispose(bot)


def test_the_command_line_builds_services_without_loading_slack_or_the_scheduler():
    """``validate`` and ``create`` import the root for ``build_services`` only."""
    probe = (
        "import sys, bot.bootstrap; "
        "print(sorted(m for m in ('slack_bolt', 'slack_sdk', 'apscheduler') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
