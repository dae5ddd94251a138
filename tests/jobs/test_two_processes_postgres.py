"""Two bot processes on one PostgreSQL database activate every due campaign exactly once.

Each run gets a database of its own (``adbee_test_<random>``), dropped afterwards. The Graph
emulator runs in this process; both replicas call it, so its request log shows every write.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import pytest

from meta.domain.states import Status
from sandbox.graph_emulator import GraphEmulator
from tests.campaign_harness import APPROVER, ROOT, FakeClock, Harness, build_harness
from tests.store_fixtures import set_columns

N_CAMPAIGNS = 40
T = TypeVar("T")
pytestmark = pytest.mark.postgres


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}:{parts.port or 5432}{parts.path}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty database on the server named by ADBEE_TEST_POSTGRES_URL."""
    url = os.environ.get("ADBEE_TEST_POSTGRES_URL")
    if not url:
        pytest.skip(
            "ADBEE_TEST_POSTGRES_URL is not set (.ci/run sets it to "
            "postgresql://postgres@127.0.0.1:5432/test); this test needs a PostgreSQL server"
        )
    import psycopg

    try:
        admin = psycopg.connect(url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server reachable at {_redacted(url)}: {exc}".strip())
    name = f"adbee_test_{secrets.token_hex(4)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            parts = urlsplit(url)
            yield urlunsplit(parts._replace(path=f"/{name}"))
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


REPLICAS = ("replica-a", "replica-b")


def spawn(
    mode: str, database_url: str, graph_url: str, barrier: Path, worker: str
) -> subprocess.Popen[str]:
    """One replica; ``<barrier>.<worker>.ready`` appears once it is ready to start."""
    argv = [mode, database_url, graph_url, str(barrier), worker]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.jobs.pg_worker", *argv],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def start_replicas(
    mode: str, database_url: str, graph: GraphEmulator, tmp_path: Path
) -> list[subprocess.Popen[str]]:
    """Start both replicas and open the barrier once both are ready."""
    barrier = tmp_path / f"go-{mode}"
    workers = [spawn(mode, database_url, graph.url, barrier, name) for name in REPLICAS]
    deadline = time.monotonic() + 60
    while not all(Path(f"{barrier}.{name}.ready").exists() for name in REPLICAS):
        assert time.monotonic() < deadline, "the replicas did not start"
        for worker in workers:
            assert worker.poll() is None, worker.communicate()
        time.sleep(0.02)
    barrier.touch()
    return workers


def run_replicas(mode: str, database_url: str, graph: GraphEmulator, tmp_path: Path) -> list[dict]:
    """Start both replicas, let them run to the end, collect their reports."""
    workers = start_replicas(mode, database_url, graph, tmp_path)
    reports = []
    for worker in workers:
        out, err = worker.communicate(timeout=90)
        assert worker.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return reports


def due_campaigns(setup: Harness, when: datetime, count: int = N_CAMPAIGNS) -> list[int]:
    """``count`` approved campaigns, each with its own Meta objects, all due at ``when``."""
    now = setup.clock()
    first = setup.create(start=now + timedelta(days=2), name="Burst 00")
    ids = [first] + [setup.clone(first, name=f"Burst {n:02d}", start=when) for n in range(1, count)]
    set_columns(setup.services.store, first, start_time=when)
    for campaign_id in ids:
        setup.lifecycle.approve(campaign_id, APPROVER)
    return ids


def assert_each_activated_once(
    setup: Harness, graph: GraphEmulator, ids: list[int], reports: list[dict]
) -> None:
    rows = [setup.services.store.get(i) for i in ids]
    assert [r.status for r in rows if r is not None] == [Status.ACTIVE] * N_CAMPAIGNS
    assert sum(r["activated"] for r in reports) == N_CAMPAIGNS, reports

    # Meta was asked once per object: no replica repeated another's activation.
    writes = Counter(
        r.path.rstrip("/").rsplit("/", 1)[-1]
        for r in graph.requests
        if r.method == "POST" and r.params.get("status") == "ACTIVE"
    )
    for row in rows:
        assert row is not None
        for object_id in (row.meta_campaign_id, row.adset_id, row.ad_id):
            assert writes[object_id] == 1, (row.id, object_id, writes[object_id])
    assert sum(writes.values()) == 3 * N_CAMPAIGNS

    live = setup.alerts("live")
    assert sorted(a.campaign_id for a in live) == sorted(ids)
    assert len(setup.alerts()) == N_CAMPAIGNS, [a.kind for a in setup.alerts() if a.kind != "live"]
    delivered = [cid for r in reports for cid in r["delivered"]]
    assert sorted(delivered) == sorted(ids)  # each alert posted once, by one replica


@pytest.fixture
def setup(pg_url: str, graph: GraphEmulator) -> Iterator[Harness]:
    graph.ad_review_seconds = 0
    graph.latency_ms = 2  # let the replicas' calls interleave
    harness = build_harness(pg_url, graph, FakeClock(datetime.now(UTC)))
    yield harness
    harness.close()


def test_two_scanning_processes_activate_each_due_campaign_exactly_once(
    setup: Harness, pg_url: str, graph: GraphEmulator, tmp_path: Path
):
    ids = due_campaigns(setup, setup.clock() - timedelta(minutes=1))
    assert len(setup.lifecycle.due(datetime.now(UTC))) == N_CAMPAIGNS
    graph.clear_requests()

    reports = run_replicas("scan", pg_url, graph, tmp_path)

    assert_each_activated_once(setup, graph, ids, reports)


def test_two_schedulers_sharing_the_job_store_fire_each_activation_once(
    setup: Harness, pg_url: str, graph: GraphEmulator, tmp_path: Path
):
    # Due a few seconds from now, so both replicas hold the date jobs when they fire.
    ids = due_campaigns(setup, setup.clock() + timedelta(seconds=4))
    graph.clear_requests()

    reports = run_replicas("scheduler", pg_url, graph, tmp_path)

    assert_each_activated_once(setup, graph, ids, reports)
    # A job the other replica already ran and deleted must not kill the scheduler thread.
    assert [r["scheduler_alive"] for r in reports] == [True, True]


BURST = 55


def wait_for(predicate: Callable[[], T], timeout: float) -> T:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.05)
    return value


def status_writes(graph: GraphEmulator) -> Counter[str]:
    """``status=ACTIVE`` writes Meta applied, per object id."""
    return Counter(
        r.path.rstrip("/").rsplit("/", 1)[-1]
        for r in graph.requests
        if r.method == "POST" and r.params.get("status") == "ACTIVE" and r.status == 200
    )


def burst_state(setup: Harness, ids: list[int], victims: Callable[[str | None], bool]) -> str:
    """Where the burst stands: rows per status (and whose claim), live alerts per status."""
    store = setup.services.store
    rows = [store.get(i) for i in ids]
    statuses = Counter(
        f"{r.status}{' (victim)' if victims(r.claimed_by) else ''}" for r in rows if r is not None
    )
    alerts = Counter(a.status for a in setup.alerts("live"))
    return f"rows {dict(statuses)}; live alerts {dict(alerts)}"


# Its own waits (replicas starting, the victim's half-switch, the survivor's 60 s) add up past the
# suite's 120 s per-test timeout on a loaded machine, which cut the test off before its failure
# could say where the burst stood.
@pytest.mark.timeout(300)
def test_a_replica_killed_mid_burst_leaves_the_survivor_to_activate_and_announce_every_one(
    setup: Harness, pg_url: str, graph: GraphEmulator, tmp_path: Path
):
    ids = due_campaigns(setup, setup.clock() + timedelta(days=1), count=BURST)
    store = setup.services.store
    # Due as the replicas start, at a Graph latency that makes one activation take ~1 s.
    due = datetime.now(UTC) + timedelta(seconds=2)
    for campaign_id in ids:
        set_columns(store, campaign_id, activate_at=due, start_time=due)
    rows = {campaign_id: store.get(campaign_id) for campaign_id in ids}
    ad_of = {campaign_id: str(row.ad_id) for campaign_id, row in rows.items() if row}
    graph.clear_requests()
    graph.latency_ms = 200

    began = time.monotonic()
    victim, survivor = start_replicas("scheduler", pg_url, graph, tmp_path)
    print(f"\nreplicas started in {time.monotonic() - began:.1f} s")

    def victims(claim: str | None) -> bool:
        # A claim names its holder's host:pid:token (before, the worker id it was given).
        return f":{victim.pid}:" in (claim or "") or claim == REPLICAS[0]

    def half_switched_by_victim() -> list[int]:
        """The victim's claims whose ad Meta already switched on (ad set and campaign not yet)."""
        written = status_writes(graph)
        return [
            row.id
            for row in store.list_campaigns(statuses=[Status.ACTIVATING], limit=None)
            if victims(row.claimed_by) and written[ad_of[row.id]]
        ]

    try:
        held = wait_for(lambda: half_switched_by_victim() or victim.poll() is not None, 60)
        assert victim.poll() is None, victim.communicate()
        print(f"victim killed {time.monotonic() - began:.1f} s after the start, holding {held}")
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)
        stuck = [r.id for r in store.list_campaigns(statuses=[Status.ACTIVATING], limit=None)]
        assert set(held) <= set(stuck), (held, stuck)  # mid-burst, half-switched

        def all_live_and_told() -> bool:
            live = [a for a in setup.alerts("live") if a.status == "sent"]
            statuses = {store.get(i).status for i in ids}  # type: ignore[union-attr]
            return statuses == {Status.ACTIVE} and len(live) == BURST

        killed = time.monotonic()
        try:
            wait_for(all_live_and_told, 60)  # the bound for the survivor
        except TimeoutError:
            state = burst_state(setup, ids, victims)
            survivor.kill()
            _out, err = survivor.communicate()
            raise AssertionError(
                f"{time.monotonic() - killed:.0f} s after the kill (held {held}): {state}\n"
                f"survivor's log (last lines):\n{err[-3000:]}"
            ) from None
        print(f"\nsurvivor: all live and told {time.monotonic() - killed:.1f} s after the kill")
        out, err = survivor.communicate(timeout=90)
        assert survivor.returncode == 0, err
    finally:
        for worker in (victim, survivor):
            if worker.poll() is None:
                worker.kill()
                worker.communicate()

    report = json.loads(out.strip().splitlines()[-1])
    assert set(held) <= set(report["delivered"])  # the survivor announced the victim's share
    writes = status_writes(graph)
    for row in rows.values():
        assert row is not None
        for object_id in (row.meta_campaign_id, row.adset_id, row.ad_id):
            assert writes[str(object_id)] == 1, (row.id, object_id, writes[str(object_id)])
    assert sorted(a.campaign_id for a in setup.alerts("live")) == sorted(ids)
    assert len(setup.alerts()) == BURST, [(a.kind, a.payload) for a in setup.alerts()]
    taken_over = {
        e.campaign_id for e in store.audit_events() if e.action == "activation_taken_over"
    }
    assert set(held) <= taken_over
