"""The operator reads in the start-up log that Meta is about to switch off the configured version."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.runner import start_bot
from sandbox.graph_emulator import GraphEmulator
from sandbox.slack_emulator import SlackEmulator
from tests.e2e.conftest import ROOT, bot_settings


def test_start_up_logs_a_warning_thirty_days_before_the_version_expires(
    slack: SlackEmulator,
    graph: GraphEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.chdir(ROOT)
    settings = bot_settings(slack, graph, tmp_path / "adbee.db", meta_api_version="v25.0")
    caplog.set_level(logging.WARNING, logger="bot.runner")
    running = start_bot(
        settings, clock=lambda: datetime(2027, 2, 10, 1, 0, tzinfo=UTC), base_dir=ROOT
    )
    try:
        slack.wait_for_connection(timeout=10)
    finally:
        slack.close_handler(running.handler)
        running.stop()
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.runner"]
    assert any(
        m.startswith("META_API_VERSION=v25.0 expires on 2027-02-23 (in 13 days)") for m in warnings
    ), warnings
