"""CreationFlow's own waits end on events: a creation waiting for the database stops with the
process instead of sleeping out its minute (the row stays CREATING for the next process)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.bootstrap import Bot, build_bot
from sandbox.graph_emulator import GraphEmulator
from sandbox.slack_emulator import SlackEmulator
from storage.transient import DatabaseUnavailableError
from tests.bot.test_composition import dispose
from tests.e2e.conftest import ROOT, bot_settings, new_slack

# Far below the old loop's 60 waits of 1 s: a stop that is not noticed keeps the thread past it.
STOP_NOTICED_WITHIN = 10


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with new_slack() as emulator:
        yield emulator


@pytest.fixture
def built(slack: SlackEmulator, graph: GraphEmulator, tmp_path: Path, monkeypatch) -> Iterator[Bot]:
    monkeypatch.chdir(ROOT)
    bot = build_bot(bot_settings(slack, graph, tmp_path / "adbee.db"), base_dir=ROOT)
    yield bot
    dispose(bot)


def test_a_creation_waiting_for_the_database_ends_when_the_process_stops(built: Bot, monkeypatch):
    asked: list[int] = []
    away = threading.Event()

    def unavailable(campaign_id: int) -> None:
        asked.append(campaign_id)
        away.set()
        raise DatabaseUnavailableError("connection refused", 3)

    monkeypatch.setattr(built.services.store, "get", unavailable)
    waiting = threading.Thread(
        target=built.creation._resume_when_database_is_back, args=(7, "U_ALICE"), daemon=True
    )
    waiting.start()
    assert away.wait(STOP_NOTICED_WITHIN)  # it asked the database, which did not answer
    built.services.stopping.set()
    waiting.join(STOP_NOTICED_WITHIN)
    assert not waiting.is_alive(), "the wait outlived the stop"
    assert set(asked) == {7}
