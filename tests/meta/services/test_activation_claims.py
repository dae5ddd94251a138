"""An activation claim is a lease: a live holder keeps it, a dead holder's is taken over.

Rows are put in the state a holder leaves them in (``activating``, ``claimed_by`` naming it,
``updated_at`` as old as its last heartbeat) and Meta in the state it left (the ad switched on,
the ad set and campaign still PAUSED). The real kill -9 stories are in
``tests/reliability/test_activation_crash.py`` and ``tests/jobs/test_two_processes_postgres.py``.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobs.activation import activate_due
from meta.domain.states import Status
from sandbox.graph_emulator import GraphEmulator
from tests.campaign_harness import APPROVER, FakeClock, Harness, build_harness, meta_status_posts
from tests.store_fixtures import set_columns

DEAD = f"{socket.gethostname()}:999999999:deadbeef"  # no such pid on this host
ELSEWHERE = "other-host:4242:cafe"  # a replica whose process this host cannot check


@pytest.fixture
def bot(tmp_path: Path, graph: GraphEmulator) -> Iterator[Harness]:
    graph.ad_review_seconds = 0
    harness = build_harness(
        f"sqlite:///{tmp_path / 'adbee.db'}", graph, FakeClock(datetime.now(UTC))
    )
    yield harness
    harness.close()


def due_campaign(bot: Harness) -> int:
    campaign_id = bot.create(start=bot.clock() + timedelta(hours=1))
    bot.clock.advance(hours=2)
    bot.lifecycle.approve(campaign_id, APPROVER)
    return campaign_id


def half_switched(bot: Harness, graph: GraphEmulator, *, holder: str, idle: timedelta) -> int:
    """A due campaign whose holder switched the ad on, then stopped ``idle`` ago."""
    campaign_id = due_campaign(bot)
    store = bot.services.store
    row = store.get(campaign_id)
    assert row is not None
    bot.services.graph.post(str(row.ad_id), {"status": "ACTIVE"})  # type: ignore[union-attr]
    set_columns(
        store,
        campaign_id,
        status=Status.ACTIVATING,
        claimed_by=holder,
        updated_at=datetime.now(UTC) - idle,
    )
    graph.clear_requests()
    return campaign_id


def writes(graph: GraphEmulator, bot: Harness, campaign_id: int) -> list[int]:
    row = bot.services.store.get(campaign_id)
    assert row is not None
    return [
        meta_status_posts(graph, str(i)) for i in (row.ad_id, row.adset_id, row.meta_campaign_id)
    ]


def test_a_dead_holders_claim_is_finished_from_metas_state_and_announced_once(bot, graph):
    campaign_id = half_switched(bot, graph, holder=DEAD, idle=timedelta(seconds=6))

    assert bot.lifecycle.abandoned_activations() == [campaign_id]
    activate_due(bot.context)

    row = bot.services.store.get(campaign_id)
    assert row is not None and row.status == Status.ACTIVE and row.claimed_by is None
    assert writes(graph, bot, campaign_id) == [0, 1, 1]  # the ad was not written again
    assert bot.notifier.kinds() == ["live"]
    actions = [e.action for e in bot.services.store.audit_events(campaign_id=campaign_id)]
    assert "activation_taken_over" in actions
    activate_due(bot.context)
    assert bot.notifier.kinds() == ["live"]


def test_a_just_killed_holder_gets_a_grace_for_the_write_it_had_on_the_wire(bot, graph):
    campaign_id = half_switched(bot, graph, holder=DEAD, idle=timedelta(seconds=1))

    assert bot.lifecycle.abandoned_activations() == []
    assert not bot.lifecycle.take_over(campaign_id)
    assert writes(graph, bot, campaign_id) == [0, 0, 0]


def test_a_holder_elsewhere_keeps_its_claim_while_its_heartbeat_is_fresh(bot, graph):
    live = half_switched(bot, graph, holder=ELSEWHERE, idle=timedelta(seconds=10))
    assert bot.lifecycle.abandoned_activations() == []
    assert not bot.lifecycle.take_over(live)

    set_columns(bot.services.store, live, updated_at=datetime.now(UTC) - timedelta(seconds=25))
    assert bot.lifecycle.take_over(live)
    assert writes(graph, bot, live) == [0, 1, 1]


def test_an_activation_whose_claim_was_taken_over_stops_before_its_writes(bot, graph):
    campaign_id = due_campaign(bot)
    store = bot.services.store
    real_post = bot.services.graph.post  # type: ignore[union-attr]

    def post(object_id: str, params: dict, **kwargs: object) -> dict:
        answer = real_post(object_id, params, **kwargs)
        # After the read (a batch request): another replica decided this run was dead.
        set_columns(store, campaign_id, claimed_by=ELSEWHERE)
        return answer

    bot.services.graph.post = post  # type: ignore[union-attr,method-assign]

    assert not bot.lifecycle.activate(campaign_id)

    assert writes(graph, bot, campaign_id) == [0, 0, 0]
    row = store.get(campaign_id)
    assert row is not None and row.status == Status.ACTIVATING and row.claimed_by == ELSEWHERE
    assert bot.notifier.kinds() == [] and bot.alerts() == []
