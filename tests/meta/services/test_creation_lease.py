"""One creation, one run: a second run of the same creation waits its turn instead of duplicating."""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.bootstrap import build_services
from bot.settings import Settings
from meta.services.creation_lease import (
    CreationBusyError,
    CreationLease,
    lease_is_free,
    release_held_leases,
)
from sandbox.graph_emulator import Fault
from sandbox.seeding import SANDBOX_META_TOKEN
from storage.db import create_schema, make_engine, make_session_factory
from storage.repository import CampaignStore
from tests.helpers import campaign_body
from tests.store_fixtures import set_columns

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def store(tmp_path: Path) -> CampaignStore:
    engine = make_engine(f"sqlite:///{tmp_path / 'lease.db'}")
    create_schema(engine)
    return CampaignStore(make_session_factory(engine))


def a_row(store: CampaignStore, *, claimed_by: str | None, age: timedelta = timedelta(0)):
    row = store.add_campaign(
        account_key="iflytek-sg",
        ad_account_id="act_1",
        name="x",
        spec={},
        requested_by=None,
        source="test",
        start_time=datetime.now(UTC),
    )
    set_columns(store, row.id, claimed_by=claimed_by, updated_at=datetime.now(UTC) - age)
    return store.get(row.id)


def test_a_lease_held_by_a_live_process_on_another_host_is_busy(store):
    assert not lease_is_free(a_row(store, claimed_by="other-host:123:abcd"))


def test_a_lease_whose_heartbeat_stopped_a_minute_ago_is_free(store):
    assert lease_is_free(a_row(store, claimed_by="other-host:123:abcd", age=timedelta(minutes=2)))


def test_a_lease_held_by_a_dead_process_of_this_host_is_free(store):
    dead = f"{socket.gethostname()}:999999999:abcd"  # no such pid
    assert lease_is_free(a_row(store, claimed_by=dead))


def test_only_one_of_two_takers_gets_the_lease_and_release_frees_it(store):
    row = a_row(store, claimed_by=None)
    with (
        CreationLease(store, row),
        pytest.raises(CreationBusyError, match="being created right now"),
        CreationLease(store, store.get(row.id)),
    ):
        pass
    assert store.get(row.id).claimed_by is None


def test_two_runs_of_one_creation_make_one_set_of_objects(graph, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        meta_access_token=SANDBOX_META_TOKEN,
        meta_graph_url=graph.url,
        meta_video_url=graph.url,
        database_url=f"sqlite:///{tmp_path / 'a.db'}",
        adbee_sandbox=True,
        video_poll_interval=0.05,
        meta_retry_base_delay=0.01,
    )
    services = build_services(settings, base_dir=ROOT)
    spec = services.campaigns.validate(campaign_body())
    summary = services.campaigns.start_creation(spec, requested_by="U1", source="slack")
    graph.inject(Fault(delay_ms=800, times=1, path_contains="/campaigns", method="POST"))
    outcomes: list[str] = []

    def run() -> None:
        try:
            services.campaigns.run_creation(summary.id)
            outcomes.append("created")
        except CreationBusyError:
            outcomes.append("busy")

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["busy", "created"]
    for kind in ("campaign", "adset", "adcreative", "ad", "advideo"):
        assert len(graph.objects(kind)) == 1, kind


def test_a_stopping_process_gives_back_the_leases_it_still_holds(store):
    """At the end of the stop's grace a run still inside a Meta call keeps no lease."""
    row = a_row(store, claimed_by=None)
    lease = CreationLease(store, row).__enter__()
    assert store.get(row.id).claimed_by == lease.run_id
    assert release_held_leases() == 1
    assert store.get(row.id).claimed_by is None
    assert release_held_leases() == 0
    lease.__exit__(None, None, None)  # the run itself ending later changes nothing
    assert store.get(row.id).claimed_by is None
