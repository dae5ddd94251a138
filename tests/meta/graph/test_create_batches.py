"""Creates that several creations make at the same moment share one Graph batch request, and
each keeps the outcome it would have had alone (the Graph emulator plays Meta; the real
``GraphClient`` sends the requests)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from meta.domain.errors import AdBeeError, MetaApiError, MetaTransportError
from meta.graph.client import GraphClient
from meta.graph.create_batches import BatchedCreates
from meta.graph.usage import AccountUsage
from sandbox.graph_emulator import Fault
from tests.meta.graph.conftest import ACT
from tests.meta.graph.test_batch import CAMPAIGN, batch_requests

Outcome = dict[str, Any] | AdBeeError


def gathering_until(count: int, creates: Callable[[], BatchedCreates]) -> Callable[[float], None]:
    """The first create's window lasts until ``count`` creates are waiting (not a timing bet)."""

    def sleep(_: float) -> None:
        deadline = time.monotonic() + 10
        while creates().gathered() < count and time.monotonic() < deadline:
            time.sleep(0.002)

    return sleep


def at_once(creates: BatchedCreates, calls: list[tuple[str, dict[str, Any]]]) -> list[Outcome]:
    """Each create from a creation thread of its own, all at the same moment."""
    outcomes: list[Outcome] = [AdBeeError("not run")] * len(calls)

    def one(n: int) -> None:
        path, params = calls[n]
        try:
            outcomes[n] = creates.post(path, params)
        except AdBeeError as exc:
            outcomes[n] = exc

    threads = [threading.Thread(target=one, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    return outcomes


def campaign(name: str) -> tuple[str, dict[str, Any]]:
    return f"{ACT}/campaigns", {**CAMPAIGN, "name": name}


def names(client: GraphClient) -> list[str]:
    listed = client.get(f"{ACT}/campaigns", {"fields": "name", "limit": 100})["data"]
    return sorted(c["name"] for c in listed)


def batched(client: GraphClient, count: int, **kw: Any) -> BatchedCreates:
    holder: list[BatchedCreates] = []
    creates = BatchedCreates(
        client,
        sleep=gathering_until(count, lambda: holder[0]),
        together=float("inf"),  # every create counts as one of a burst: it gathers
        **kw,
    )
    holder.append(creates)
    return creates


def test_twelve_campaigns_created_at_the_same_moment_are_one_request(emu, client):
    creates = batched(client, 12)
    before = batch_requests(emu)

    outcomes = at_once(creates, [campaign(f"row {n}") for n in range(12)])

    assert all(isinstance(o, dict) and o.get("id") for o in outcomes)
    assert batch_requests(emu) - before == 1 and creates.batches == 1
    assert names(client) == sorted(f"row {n}" for n in range(12))
    made = {str(o["id"]): emu.get_object(str(o["id"]))["name"] for o in outcomes}  # type: ignore[index]
    assert sorted(made.values()) == sorted(f"row {n}" for n in range(12))  # each its own id


def test_a_create_alone_is_the_plain_call_at_once_and_reads_pass_straight_through(emu, client):
    waits: list[float] = []
    creates = BatchedCreates(client, sleep=waits.append)
    before = batch_requests(emu)

    made = creates.post(*campaign("alone"))
    read = creates.get(str(made["id"]), {"fields": "name"})

    assert read["name"] == "alone"
    assert batch_requests(emu) == before and creates.batches == 0
    assert waits == []  # no create just before it: it waited for nobody


def test_the_first_create_of_a_burst_goes_at_once_and_the_rest_gather():
    class Recorder:
        def __init__(self) -> None:
            self.calls: list[str] = []

        def post(self, path: str, params: dict[str, Any], *, idempotent: bool = False) -> dict:
            self.calls.append(path if path else f"batch of {params['batch'].count('relative_url')}")
            if not path:
                return {"data": [{"code": 200, "body": '{"id": "1"}'}] * 2}
            return {"id": "1"}

    recorder = Recorder()
    now = [0.0]
    creates: BatchedCreates
    held: list[threading.Thread] = []

    def window(_: float) -> None:  # the third create comes during the second's window
        now[0] += 0.01
        held.append(threading.Thread(target=creates.post, args=campaign("third")))
        held[-1].start()
        deadline = time.monotonic() + 5
        while creates.gathered() < 2 and time.monotonic() < deadline:
            time.sleep(0.002)

    creates = BatchedCreates(recorder, sleep=window, clock=lambda: now[0])  # type: ignore[arg-type]
    creates.post(*campaign("first"))  # nothing before it: at once
    now[0] += 0.05  # 50 ms later: one of a burst
    creates.post(*campaign("second"))
    held[0].join(5)
    now[0] += 1.0  # a second later: alone again
    creates.post(*campaign("fourth"))

    assert recorder.calls == [f"{ACT}/campaigns", "batch of 2", f"{ACT}/campaigns"]


def test_one_refused_create_fails_only_its_own_campaign(emu, client):
    creates = batched(client, 3)
    bad = (f"{ACT}/campaigns", {**CAMPAIGN, "name": "no objective", "objective": "REACHH"})

    first, refused, third = at_once(creates, [campaign("ok 1"), bad, campaign("ok 2")])

    assert isinstance(refused, MetaApiError) and refused.code == 100
    assert isinstance(first, dict) and isinstance(third, dict)
    assert names(client) == ["ok 1", "ok 2"]


def test_a_lost_answer_inside_the_batch_is_unknown_to_its_caller_only(emu, client):
    """Meta made it but the answer never came: the caller looks it up before posting again
    (``CampaignPipeline._create``), exactly as for a single lost create."""
    creates = batched(client, 3)
    emu.inject(Fault(drop_connection=True, times=1, method="POST", path_contains="/campaigns"))

    outcomes = at_once(creates, [campaign(f"row {n}") for n in range(3)])

    lost = [o for o in outcomes if isinstance(o, MetaTransportError)]
    assert len(lost) == 1 and "unknown whether" in lost[0].message
    assert sum(isinstance(o, dict) for o in outcomes) == 2
    assert names(client) == ["row 0", "row 1", "row 2"]  # made once each: adopt, never repost


def test_a_throttled_create_is_sent_again_on_its_own_and_made_once(emu, client):
    creates = batched(client, 3)
    emu.inject(Fault(code=17, times=1, method="POST", path_contains="/campaigns"))

    outcomes = at_once(creates, [campaign(f"row {n}") for n in range(3)])

    assert all(isinstance(o, dict) for o in outcomes)
    assert any(r.via_batch and r.error_code == 17 for r in emu.requests)  # throttled in the batch
    assert names(client) == ["row 0", "row 1", "row 2"]


def test_the_ad_accounts_usage_is_read_from_each_operations_answer(emu, client):
    usage = AccountUsage()
    creates = batched(client, 4, on_headers=usage.record)

    at_once(creates, [campaign(f"row {n}") for n in range(4)])

    assert ACT in usage.peak  # the batch request's own answer names no ad account
