"""Shared fixtures: the Graph API emulator seeded with configs/accounts.yaml, and a settings env."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from meta.domain.accounts import AccountRegistry, load_accounts
from sandbox.graph_emulator import GraphEmulator
from sandbox.seeding import seed_graph

ROOT = Path(__file__).resolve().parent.parent

# Property tests judge behaviour, not speed: on a loaded CI machine (or with pytest -n) a slow
# example is no failure, so Hypothesis's timing checks are off for the whole suite.
settings.register_profile("adbee", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("adbee")


@pytest.fixture(scope="session")
def accounts() -> AccountRegistry:
    return load_accounts(ROOT / "configs" / "accounts.yaml")


def new_graph(accounts: AccountRegistry, clock: Callable[[], float] | None = None) -> GraphEmulator:
    """The Graph emulator seeded with the accounts, quick to process videos and review ads."""
    emulator = GraphEmulator(clock=clock)
    emulator.video_processing_seconds = 0.2
    emulator.ad_review_seconds = 0.2
    seed_graph(emulator, accounts)
    return emulator


@pytest.fixture
def graph(accounts: AccountRegistry) -> Iterator[GraphEmulator]:
    with new_graph(accounts) as emulator:
        yield emulator


@pytest.fixture
def meta_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, graph: GraphEmulator) -> Path:
    """Environment of a user whose .env points AdBee at the emulator; returns the database path."""
    db = tmp_path / "adbee.db"
    monkeypatch.chdir(ROOT)
    from tests.helpers import sandbox_env

    for key, value in sandbox_env(graph, db).items():
        monkeypatch.setenv(key, value)
    return db


def future(days: int = 3, hour: int = 20) -> str:
    """A start time in the future in Singapore wall-clock form."""
    when = datetime.now(UTC) + timedelta(days=days)
    return f"{when:%Y-%m-%d} {hour:02d}:00"
