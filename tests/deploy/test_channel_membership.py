"""The bot was never invited to the campaigns channel: start-up and health say so, and how to fix it.

The Slack emulator refuses posts and history reads with ``not_in_channel`` (the manifest has no
``chat:write.public``) and ``conversations.info`` with ``missing_scope`` (nor ``channels:read``),
as Slack does; the check then reads one message of history instead.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.runner import health, start_bot
from sandbox.slack_emulator import SlackEmulator
from storage.db import create_schema, make_engine
from tests.e2e.conftest import ALERTS, CAMPAIGNS, ROOT, bot_settings, new_slack


@pytest.fixture
def uninvited() -> Iterator[SlackEmulator]:
    with new_slack() as emulator:
        emulator.add_channel(CAMPAIGNS, "campaigns", bot_member=False)  # nobody typed /invite
        yield emulator


def settings(slack: SlackEmulator, graph, db: Path):  # type: ignore[no-untyped-def]
    return bot_settings(slack, graph, db, **{"meta_api_version": "v26.0"})


def test_start_up_says_to_invite_the_bot(uninvited, graph, tmp_path, monkeypatch, caplog):
    monkeypatch.chdir(ROOT)
    caplog.set_level(logging.WARNING, logger="bot.runner")
    bot = start_bot(settings(uninvited, graph, tmp_path / "adbee.db"), base_dir=ROOT)
    try:
        warnings = [r.getMessage() for r in caplog.records if r.name == "bot.runner"]
        assert any(
            f"AdBee is not a member of the channel (CAMPAIGNS_CHANNEL={CAMPAIGNS})" in w
            and "/invite @AdBee" in w
            for w in warnings
        ), warnings
        assert not any(ALERTS in w for w in warnings)  # the alerts channel is fine
    finally:
        uninvited.close_handler(bot.handler)
        bot.stop()


def test_health_is_degraded_until_the_bot_is_invited(uninvited, graph, tmp_path):
    db = tmp_path / "adbee.db"
    engine = make_engine(f"sqlite:///{db}")
    create_schema(engine)
    engine.dispose()
    out = io.StringIO()
    assert health(settings(uninvited, graph, db), out=out, base_dir=ROOT) == 1
    assert (
        f"degraded: AdBee is not a member of the channel (CAMPAIGNS_CHANNEL={CAMPAIGNS})"
        in out.getvalue()
    )

    uninvited.add_channel(CAMPAIGNS, "campaigns", bot_member=True)  # /invite @AdBee
    out = io.StringIO()
    assert health(settings(uninvited, graph, db), out=out, base_dir=ROOT) == 0, out.getvalue()
