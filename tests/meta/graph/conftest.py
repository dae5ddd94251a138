"""The Graph emulator and the real ``GraphClient`` for the Graph-client tests of this folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from meta.graph.client import GraphClient, MetaConfig
from sandbox.graph_emulator import GraphEmulator

TOKEN = "TEST_TOKEN"
ACT = "act_1234567890"


class Clock:
    """The emulator's clock, moved by the sleeps AdBee would have slept."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def emu(clock: Clock) -> Iterator[GraphEmulator]:
    with GraphEmulator(clock=clock) as emulator:
        emulator.add_token(TOKEN)
        emulator.add_account(ACT, currency="SGD", timezone_name="Asia/Singapore")
        yield emulator


@pytest.fixture
def client(emu: GraphEmulator) -> GraphClient:
    return GraphClient(MetaConfig(access_token=TOKEN, graph_url=emu.url, retry_base_delay=0.001))
