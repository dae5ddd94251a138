"""Later changes to live objects are validated by Meta first and applied only if Meta accepts.

Real services over SQLite and the Graph emulator, which runs every rule on a ``validate_only``
write and changes nothing (emulators/sandbox/graph_emulator/writes.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from meta.domain.states import Status
from meta.services.changes import Change, ChangeRefusedError, apply_changes
from meta.services.lifecycle import InvalidTransitionError
from sandbox.graph_emulator import Fault, GraphEmulator
from tests.campaign_harness import APPROVER, FakeClock, Harness, build_harness, local, soon_day

DAY = soon_day()


@pytest.fixture
def bot(tmp_path: Path, graph: GraphEmulator) -> Iterator[Harness]:
    graph.ad_review_seconds = 0
    harness = build_harness(
        f"sqlite:///{tmp_path / 'adbee.db'}", graph, FakeClock(local(DAY, "13:50"))
    )
    yield harness
    harness.close()


def _posts_to(graph: GraphEmulator, object_id: str) -> list[dict[str, str]]:
    return [
        r.params
        for r in graph.requests
        if r.method == "POST" and r.path.rstrip("/").endswith(f"/{object_id}")
    ]


def _live(bot: Harness) -> int:
    campaign_id = bot.create(start=local(DAY, "20:00"))
    bot.lifecycle.approve(campaign_id, APPROVER)
    assert bot.lifecycle.activate_now(campaign_id, APPROVER).status == Status.ACTIVE
    return campaign_id


def test_a_pause_is_validated_by_meta_then_applied(bot: Harness, graph: GraphEmulator) -> None:
    campaign_id = _live(bot)
    meta_id = str(bot.services.store.get(campaign_id).meta_campaign_id)  # type: ignore[union-attr]
    graph.requests.clear()

    assert bot.lifecycle.pause(campaign_id, APPROVER).status == Status.PAUSED

    posts = [p for p in _posts_to(graph, meta_id) if p.get("status") == "PAUSED"]
    assert [p.get("execution_options") for p in posts] == ['["validate_only"]', None]
    assert [p["status"] for p in posts] == ["PAUSED", "PAUSED"]
    assert graph.get_object(meta_id)["status"] == "PAUSED"  # type: ignore[index]


def test_a_change_meta_refuses_is_not_applied_and_meta_says_why(
    bot: Harness, graph: GraphEmulator
) -> None:
    campaign_id = _live(bot)
    meta_id = str(bot.services.store.get(campaign_id).meta_campaign_id)  # type: ignore[union-attr]
    graph.requests.clear()
    graph.inject(
        Fault(
            method="POST",
            path_contains=f"/{meta_id}",
            code=100,
            subcode=1487057,
            error_user_title="Campaign Locked",
            error_user_msg="This campaign is being reviewed and can't be edited right now.",
        )
    )

    with pytest.raises(InvalidTransitionError, match="can't be edited right now") as caught:
        bot.lifecycle.pause(campaign_id, APPROVER)

    assert "Nothing was changed" in str(caught.value)
    pauses = [p for p in _posts_to(graph, meta_id) if p.get("status") == "PAUSED"]
    assert [p.get("execution_options") for p in pauses] == ['["validate_only"]']  # refused there
    assert graph.get_object(meta_id)["status"] == "ACTIVE"  # type: ignore[index]
    assert bot.services.store.get(campaign_id).status == Status.ACTIVE  # type: ignore[union-attr]


def test_a_batch_is_validated_whole_before_the_first_write(
    bot: Harness, graph: GraphEmulator
) -> None:
    campaign_id = bot.create(start=local(DAY, "20:00"))
    row = bot.services.store.get(campaign_id)
    assert row is not None and row.meta_campaign_id and row.adset_id
    graph.inject(Fault(method="POST", path_contains=f"/{row.adset_id}", code=100))
    changes = [
        Change(row.meta_campaign_id, {"name": "Renamed campaign"}, "the campaign"),
        Change(row.adset_id, {"name": "Renamed ad set"}, "the ad set"),
    ]

    with pytest.raises(ChangeRefusedError, match="the ad set") as caught:
        apply_changes(bot.graph, changes)

    assert caught.value.change is changes[1]
    assert graph.get_object(row.meta_campaign_id)["name"] != "Renamed campaign"  # type: ignore[index]
    apply_changes(bot.graph, changes)  # the fault is spent: Meta accepts both now
    assert graph.get_object(row.meta_campaign_id)["name"] == "Renamed campaign"  # type: ignore[index]
    assert graph.get_object(row.adset_id)["name"] == "Renamed ad set"  # type: ignore[index]
