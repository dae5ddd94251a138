"""The status sync reads per ad account: a paged, filtered read of each account's campaigns edge
with every ad expanded, instead of one read per campaign; ended campaigns leave the set."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from meta.domain.states import Status
from meta.services.status_sync import LEFT_SYNC_KEY
from sandbox.graph_emulator import Fault, GraphEmulator
from tests.campaign_harness import APPROVER, FakeClock, Harness, build_harness, local, soon_day

ROOT = Path(__file__).resolve().parents[2]
DAY = soon_day()
SG, MY = "act_1234567890", "act_2234567890"


@pytest.fixture
def bot(tmp_path: Path, graph: GraphEmulator) -> Iterator[Harness]:
    graph.ad_review_seconds = 600
    harness = build_harness(
        f"sqlite:///{tmp_path / 'adbee.db'}", graph, FakeClock(local(DAY, "10:00"))
    )
    yield harness
    harness.close()


def sync_reads(graph: GraphEmulator) -> list[tuple[str, list[str]]]:
    """(path, campaign ids asked for) of every read the sync sent since the last clear."""
    reads = []
    for request in graph.requests:
        if request.method != "GET":
            continue
        filtering = json.loads(request.query.get("filtering") or "[]")
        ids = next((f["value"] for f in filtering if f["field"] == "id"), [])
        reads.append((request.path, ids))
    return reads


def meta_id(bot: Harness, campaign_id: int) -> str:
    row = bot.services.store.get(campaign_id)
    assert row is not None and row.meta_campaign_id
    return row.meta_campaign_id


def test_campaigns_of_two_accounts_are_read_in_one_request_per_account(
    bot: Harness, graph: GraphEmulator
) -> None:
    ours = [bot.create(start=local(DAY, "20:00"), name=f"SG {n}") for n in range(3)]
    theirs = bot.create(
        start=local(DAY, "20:00"), name="MY 1", account="iflytek-my", countries=("MY",)
    )
    graph.clear_requests()

    assert bot.sync.sync_all() == 0

    reads = sync_reads(graph)
    assert sorted(path.split("/", 2)[2] for path, _ in reads) == [
        f"{SG}/campaigns",
        f"{MY}/campaigns",
    ]
    asked = {path.rsplit("/", 2)[-2]: sorted(ids) for path, ids in reads}
    assert asked[SG] == sorted(meta_id(bot, c) for c in ours)
    assert asked[MY] == [meta_id(bot, theirs)]
    for campaign_id in [*ours, theirs]:
        row = bot.services.store.get(campaign_id)
        assert row is not None and (row.last_sync or {}).get("ad") == "PENDING_REVIEW"


def test_every_ad_of_a_several_ad_campaign_is_watched(
    bot: Harness, graph: GraphEmulator, tmp_path: Path
) -> None:
    videos = []
    for name in ("cut-a.mp4", "cut-b.mp4", "cut-c.mp4"):
        shutil.copyfile(ROOT / "creatives" / "ainote2.mp4", tmp_path / name)
        videos.append(str(tmp_path / name))
    campaign_id = bot.create(start=local(DAY, "20:00"), videos=videos)
    row = bot.services.store.get(campaign_id)
    assert row is not None
    third = [ad for ad in graph.objects("ad") if ad["id"] != row.ad_id][-1]
    assert bot.sync.sync_all() == 0

    graph.set_status(
        third["id"],
        effective_status="DISAPPROVED",
        issues_info=[{"error_message": "Misleading claims", "error_code": 1815694}],
    )
    assert [bot.sync.sync_all() for _ in range(2)] == [1, 0]

    [alert] = bot.alerts()
    assert alert.kind == "ad_disapproved"
    assert alert.payload["detail"] == f"{third['name']}: Misleading claims"


def test_one_account_refused_leaves_the_other_accounts_synced(
    bot: Harness, graph: GraphEmulator
) -> None:
    sg = bot.create(start=local(DAY, "20:00"))
    my = bot.create(start=local(DAY, "20:00"), name="MY 1", account="iflytek-my", countries=("MY",))
    graph.inject(Fault(path_contains=f"/{MY}/campaigns", code=200, times=None))

    bot.sync.sync_all()

    sg_row, my_row = bot.services.store.get(sg), bot.services.store.get(my)
    assert sg_row is not None and (sg_row.last_sync or {}).get("campaign") == "PAUSED"
    assert my_row is not None and "campaign" not in (my_row.last_sync or {})
    assert bot.alerts() == []  # not the token: no "Meta access" alert


def test_a_lost_answer_of_the_account_read_is_read_again(
    bot: Harness, graph: GraphEmulator
) -> None:
    campaign_id = bot.create(start=local(DAY, "20:00"))
    graph.inject(Fault(path_contains=f"/{SG}/campaigns", drop_connection=True))
    graph.clear_requests()

    bot.sync.sync_all()

    row = bot.services.store.get(campaign_id)
    assert row is not None and (row.last_sync or {}).get("campaign") == "PAUSED"
    assert len(sync_reads(graph)) == 2


def test_cancelled_deleted_and_ended_campaigns_get_a_last_read_and_leave_the_sync(
    bot: Harness, graph: GraphEmulator
) -> None:
    cancelled = bot.create(start=local(DAY, "20:00"), name="Cancelled")
    deleted = bot.create(start=local(DAY, "20:00"), name="Deleted in Ads Manager")
    ending = bot.create(
        start=local(DAY, "20:00"), name="Ends", end=local(DAY, "20:00") + timedelta(days=2)
    )
    running = bot.create(start=local(DAY, "20:00"), name="Running")
    bot.lifecycle.approve(cancelled, APPROVER)
    bot.lifecycle.cancel(cancelled, APPROVER)
    bot.graph.delete(meta_id(bot, deleted))
    bot.sync.sync_all()  # the last read of the cancelled and the deleted one

    for campaign_id, reason in ((cancelled, "cancelled in AdBee"), (deleted, "deleted in Meta")):
        row = bot.services.store.get(campaign_id)
        assert row is not None
        assert (row.last_sync or {})[LEFT_SYNC_KEY]["reason"] == reason
    deleted_row = bot.services.store.get(deleted)
    assert deleted_row is not None and (deleted_row.last_sync or {})["campaign"] == "DELETED"

    bot.clock.set(local(DAY, "20:00") + timedelta(days=3))  # past the end time
    graph.clear_requests()
    bot.sync.sync_all()  # the ended one's last read
    [(_, asked)] = sync_reads(graph)
    assert sorted(asked) == sorted([meta_id(bot, ending), meta_id(bot, running)])

    graph.clear_requests()
    bot.sync.sync_all()
    [(_, asked)] = sync_reads(graph)
    assert asked == [meta_id(bot, running)]

    later = (bot.clock() + timedelta(days=1)).astimezone(local(DAY, "20:00").tzinfo)
    bot.lifecycle.reschedule(cancelled, APPROVER, later.strftime("%Y-%m-%d %H:%M"))
    graph.clear_requests()
    bot.sync.sync_all()
    [(_, asked)] = sync_reads(graph)
    assert sorted(asked) == sorted([meta_id(bot, cancelled), meta_id(bot, running)])
    row = bot.services.store.get(cancelled)
    assert row is not None and row.status == Status.SCHEDULED
    assert LEFT_SYNC_KEY not in (row.last_sync or {})


def test_an_account_read_follows_meta_s_pages_to_the_end(
    bot: Harness, graph: GraphEmulator
) -> None:
    ids = [bot.create(start=local(DAY, "20:00"), name=f"SG {n}") for n in range(3)]
    graph.max_page_size = 2  # Meta gives fewer than asked: the rest is behind paging.next
    graph.clear_requests()

    bot.sync.sync_all()

    assert len(sync_reads(graph)) == 2
    for campaign_id in ids:
        row = bot.services.store.get(campaign_id)
        assert row is not None and (row.last_sync or {}).get("campaign") == "PAUSED"
