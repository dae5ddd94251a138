"""Graph batch requests from AdBee's side: many operations in few requests, each answered alone.

The Graph emulator plays Meta (its batch rules: emulators/docs/platform-facts.md §6); the real
``GraphClient`` sends the requests; sleeps are recorded, not slept.
"""

from __future__ import annotations

import json
from typing import Any

from meta.domain.errors import MetaApiError, MetaTransportError
from meta.graph.batch import MAX_OPERATIONS, MutationPacer, NotSentError, Operation, run_batch
from meta.graph.client import GraphClient
from meta.graph.retry import RetryPolicy
from sandbox.graph_emulator import Fault, GraphEmulator
from tests.meta.graph.conftest import ACT, Clock


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


POLICY = RetryPolicy(jitter=0.0)
NO_PACING = MutationPacer(0)


CAMPAIGN: dict[str, Any] = {
    "objective": "OUTCOME_SALES",
    "status": "PAUSED",
    "special_ad_categories": [],
    "daily_budget": 5000,
    "bid_strategy": "LOWEST_COST_WITHOUT_CAP",
}


def campaigns(client: GraphClient, count: int) -> list[str]:
    return [
        str(client.post(f"{ACT}/campaigns", {**CAMPAIGN, "name": f"c{i}"})["id"])
        for i in range(count)
    ]


def batch_requests(emu: GraphEmulator) -> int:
    return sum(1 for r in emu.requests if r.path.rstrip("/").endswith("v26.0") and not r.via_batch)


def test_120_status_writes_go_out_in_three_requests(emu: GraphEmulator, client: GraphClient):
    ids = campaigns(client, 120)
    before = batch_requests(emu)

    results = run_batch(
        client, [Operation.post(i, {"status": "ACTIVE"}) for i in ids], pacer=NO_PACING
    )

    assert results == [{"success": True}] * 120
    assert batch_requests(emu) - before == -(-120 // MAX_OPERATIONS) == 3
    assert {emu.get_object(i)["status"] for i in ids} == {"ACTIVE"}  # type: ignore[index]


def test_reads_come_back_in_order_one_request_or_several(emu: GraphEmulator, client: GraphClient):
    ids = campaigns(client, 60)
    for wanted in (ids[:1], ids):  # one request; two requests in flight at once
        before = batch_requests(emu)
        bodies = run_batch(client, [Operation.get(i, {"fields": "name"}) for i in wanted])
        assert [b["id"] for b in bodies] == wanted  # type: ignore[index]
        assert batch_requests(emu) - before == -(-len(wanted) // MAX_OPERATIONS)


def test_one_refused_operation_fails_only_itself(emu: GraphEmulator, client: GraphClient):
    ids = campaigns(client, 3)
    operations = [Operation.post(i, {"status": "ACTIVE"}) for i in ids]
    operations.insert(1, Operation.post("4242", {"status": "ACTIVE"}))

    results = run_batch(client, operations, pacer=NO_PACING)

    assert isinstance(results[1], MetaApiError) and results[1].code == 100
    assert [results[0], results[2], results[3]] == [{"success": True}] * 3


def test_a_failed_dependency_leaves_its_dependents_unsent(emu: GraphEmulator, client: GraphClient):
    (campaign,) = campaigns(client, 1)
    chain = [
        Operation.post("4242", {"status": "ACTIVE"}, name="ad"),
        Operation.post(campaign, {"status": "ACTIVE"}, depends_on="ad"),
    ]

    ad, switch = run_batch(client, chain, pacer=NO_PACING)

    assert isinstance(ad, MetaApiError)
    assert isinstance(switch, NotSentError)
    assert emu.get_object(campaign)["status"] == "PAUSED"  # type: ignore[index]


def test_throttled_operations_wait_seconds_and_are_sent_again(
    emu: GraphEmulator, client: GraphClient, clock: Clock
):
    """Meta's per-second mutation limit (613/5044001) counts each operation of a batch."""
    ids = campaigns(client, 12)
    emu.max_mutation_qps = 5
    sleeps = Sleeps()

    def sleep(seconds: float) -> None:
        sleeps(seconds)
        clock.sleep(seconds)

    results = run_batch(
        client,
        [Operation.post(i, {"status": "ACTIVE"}) for i in ids],
        policy=POLICY,
        sleep=sleep,
        pacer=NO_PACING,
    )

    assert results == [{"success": True}] * 12
    throttled = [r for r in emu.requests if r.via_batch and r.error_subcode == 5044001]
    assert throttled and sleeps and max(sleeps) <= POLICY.max_mutation_wait


def test_the_pacer_keeps_a_burst_under_the_mutation_limit(
    emu: GraphEmulator, client: GraphClient, clock: Clock
):
    ids = campaigns(client, 12)
    emu.max_mutation_qps = 5
    started = clock.now
    retries = Sleeps()

    results = run_batch(
        client,
        [Operation.post(i, {"name": "paced"}) for i in ids],
        policy=POLICY,
        sleep=retries,
        pacer=MutationPacer(5, clock=clock, sleep=clock.sleep),
    )

    assert results == [{"success": True}] * 12
    assert retries == []  # never throttled: paced at Meta's rate instead
    assert clock.now - started >= 2.0  # 12 mutations at 5 a second


def test_a_lost_status_write_is_sent_again_and_a_lost_create_is_reported_unknown(
    emu: GraphEmulator, client: GraphClient
):
    (campaign,) = campaigns(client, 1)
    emu.inject(Fault(drop_connection=True, times=1, method="POST", path_contains=f"/{campaign}"))
    emu.inject(Fault(drop_connection=True, times=1, method="POST", path_contains="/campaigns"))
    create = {**CAMPAIGN, "name": "lost create"}

    switch, made = run_batch(
        client,
        [
            Operation.post(campaign, {"status": "ACTIVE"}),
            Operation.post(f"{ACT}/campaigns", create, idempotent=False),
        ],
        policy=POLICY,
        sleep=Sleeps(),
        pacer=NO_PACING,
    )

    assert switch == {"success": True}  # sent again: a status write is idempotent
    assert isinstance(made, MetaTransportError) and "unknown whether" in made.message
    listed = client.get(f"{ACT}/campaigns", {"fields": "name", "limit": 100})["data"]
    assert [c["name"] for c in listed].count("lost create") == 1  # applied, once: adopt by name


def test_parameters_are_encoded_as_the_sdk_does():
    op = Operation.post("1", {"targeting": {"a": [1]}, "flag": True, "budget": 5})
    wire = op.wire()
    assert wire["body"] == "targeting=%7B%22a%22%3A%5B1%5D%7D&flag=true&budget=5"
    read = Operation.get("1", {"fields": "status,name"}).wire()
    assert read == {"method": "GET", "relative_url": "1?fields=status%2Cname"}
    assert json.dumps(wire)  # the batch array is plain JSON
