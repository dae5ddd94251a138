"""``python -m bench.claim_takeover``: kill -9 a replica in the middle of a 55-campaign burst.

Needs a PostgreSQL server: ``ADBEE_TEST_POSTGRES_URL`` (as the tests use it; each round makes a
database of its own and drops it). Set-up per round: 55 approved campaigns, each with its own
PAUSED campaign, ad set and ad in the Graph emulator, all due two seconds after the replicas
start; 300 ms per Graph call. The replicas are ``tests.jobs.pg_worker`` processes in
``scheduler`` mode (the bot's own APScheduler, date jobs in the shared job table).

* survivor   two replicas; one is killed (SIGKILL) as soon as it holds a claim whose ad Meta has
             switched on (ad set and campaign still PAUSED); the other must finish everything.
* restart    one replica, killed the same way; a fresh one is started at once (a restarted bot).

For each: seconds from the kill until each of the dead replica's claims was taken over (the
``activation_taken_over`` audit events), until every campaign was ACTIVE with its "live" alert
sent, and ``status=ACTIVE`` writes Meta received more than once for one object (must be 0).
The Graph emulator runs in this process, which only polls meanwhile.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.common import ROOT, Figure, median, quiet_logs, report, workdir
from meta.domain.accounts import load_accounts
from meta.domain.states import Status
from meta.services.activation import CLAIM_TIMING
from sandbox.graph_emulator import GraphEmulator
from sandbox.seeding import seed_graph
from tests.campaign_harness import APPROVER, FakeClock, Harness, build_harness
from tests.store_fixtures import set_columns

BURST = 55
LATENCY_MS = 300
TARGET_TAKE_OVER = 10.0
TARGET_FINISH = 60.0


@dataclass
class Round:
    take_overs: list[float]  # seconds from the kill, one per claim the dead replica held
    finished: float  # seconds from the kill until all ACTIVE and announced
    doubled: int  # objects written status=ACTIVE more than once
    held: int  # claims the dead replica held when killed


@contextmanager
def database(url: str) -> Iterator[str]:
    import psycopg

    name = f"adbee_bench_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def replica(db_url: str, graph: GraphEmulator, barrier: Path, name: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.jobs.pg_worker",
            "scheduler",
            db_url,
            graph.url,
            str(barrier),
            name,
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def start(db_url: str, graph: GraphEmulator, folder: Path, names: list[str]) -> list:
    barrier = folder / f"go-{secrets.token_hex(3)}"
    workers = [replica(db_url, graph, barrier, name) for name in names]
    while not all(Path(f"{barrier}.{name}.ready").exists() for name in names):
        time.sleep(0.02)
    barrier.touch()
    return workers


def burst(setup: Harness) -> list[int]:
    first = setup.create(start=setup.clock() + timedelta(days=2), name="Burst 00")
    ids = [first] + [
        setup.clone(first, name=f"Burst {n:02d}", start=setup.clock() + timedelta(days=1))
        for n in range(1, BURST)
    ]
    for campaign_id in ids:
        setup.lifecycle.approve(campaign_id, APPROVER)
    return ids


def status_writes(graph: GraphEmulator) -> Counter[str]:
    return Counter(
        r.path.rstrip("/").rsplit("/", 1)[-1]
        for r in graph.requests
        if r.method == "POST" and r.params.get("status") == "ACTIVE" and r.status == 200
    )


def one_round(pg_url: str, folder: Path, *, restart: bool) -> Round:
    with GraphEmulator() as graph, database(pg_url) as db_url:
        graph.ad_review_seconds = 0
        graph.video_processing_seconds = 0.2
        seed_graph(graph, load_accounts(ROOT / "configs" / "accounts.yaml"))
        setup = build_harness(db_url, graph, FakeClock(datetime.now(UTC)))
        store = setup.services.store
        ids = burst(setup)
        due = datetime.now(UTC) + timedelta(seconds=2)
        for campaign_id in ids:
            set_columns(store, campaign_id, activate_at=due, start_time=due)
        ad_of = {i: str(store.get(i).ad_id) for i in ids}  # type: ignore[union-attr]
        graph.clear_requests()
        graph.latency_ms = LATENCY_MS
        workers = start(db_url, graph, folder, ["victim"] if restart else ["victim", "survivor"])
        victim = workers[0]
        mark = f":{victim.pid}:"
        try:
            while True:
                written = status_writes(graph)
                held = [
                    r.id
                    for r in store.list_campaigns(statuses=[Status.ACTIVATING], limit=None)
                    if mark in (r.claimed_by or "") and written[ad_of[r.id]]
                ]
                if held:
                    break
                time.sleep(0.02)
            os.kill(victim.pid, signal.SIGKILL)
            killed = time.time()
            victim.wait()
            held = [
                r.id
                for r in store.list_campaigns(statuses=[Status.ACTIVATING], limit=None)
                if mark in (r.claimed_by or "")
            ]
            if restart:
                workers += start(db_url, graph, folder, ["restarted"])
            while True:
                sent = [a for a in setup.alerts("live") if a.status == "sent"]
                if len(sent) == BURST and all(
                    store.get(i).status == Status.ACTIVE  # type: ignore[union-attr]
                    for i in ids
                ):
                    finished = time.time() - killed
                    break
                if time.time() - killed > 180:
                    finished = float("inf")
                    break
                time.sleep(0.05)
            take_overs = [
                e.at.timestamp() - killed
                for e in store.audit_events()
                if e.action == "activation_taken_over" and e.campaign_id in held
            ]
            writes = status_writes(graph)
            doubled = sum(1 for count in writes.values() if count > 1)
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.kill()
                    worker.wait()
            setup.close()
    return Round(take_overs, finished, doubled, len(held))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.claim_takeover")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    pg_url = os.environ.get("ADBEE_TEST_POSTGRES_URL")
    if not pg_url:
        print("ADBEE_TEST_POSTGRES_URL is not set; this benchmark needs a PostgreSQL server")
        return 2
    quiet_logs()
    folder = workdir("claim-takeover")
    figures: list[Figure] = []
    grace = CLAIM_TIMING.dead_grace.total_seconds()
    for label, restart in (("survivor replica", False), ("restarted replica", True)):
        rounds = [one_round(pg_url, folder, restart=restart) for _ in range(args.rounds)]
        takes = [t for r in rounds for t in r.take_overs]
        worst_take = max(takes, default=float("inf"))
        finish = max(r.finished for r in rounds)
        doubled = sum(r.doubled for r in rounds)
        held = sum(r.held for r in rounds)
        figures += [
            Figure(
                f"{label}: dead claim taken over, median of {len(takes)}",
                median(takes) if takes else float("inf"),
                "s",
                baseline=grace,
                baseline_label="dead-holder grace",
                target=f"<= {TARGET_TAKE_OVER:.0f} s",
                passed=worst_take <= TARGET_TAKE_OVER,
                limit="the 5 s grace after the holder's last heartbeat, then the 2 s take-over "
                "check; a restart adds the process start",
            ),
            Figure(
                f"{label}: dead claim taken over, worst of {len(takes)}",
                worst_take,
                "s",
                target=f"<= {TARGET_TAKE_OVER:.0f} s",
                passed=worst_take <= TARGET_TAKE_OVER,
            ),
            Figure(
                f"{label}: all {BURST} ACTIVE and announced after the kill, worst of {len(rounds)}",
                finish,
                "s",
                target=f"<= {TARGET_FINISH:.0f} s, 0 objects written ACTIVE twice "
                f"(seen: {doubled}; claims held by the dead one: {held})",
                passed=finish <= TARGET_FINISH and doubled == 0,
                limit="take-over time plus one activation (5 Graph calls at 300 ms)",
            ),
        ]
    report(
        "claim_takeover",
        figures,
        setup=f"{BURST} campaigns due at once, two replicas on PostgreSQL, Graph {LATENCY_MS} ms/call, "
        f"{args.rounds} rounds per case",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
