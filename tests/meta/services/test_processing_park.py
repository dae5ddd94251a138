"""A creation does not hold a worker while Meta processes its video: it parks and comes back.

The real pipeline against the Graph emulator: ``run_creation(park=True)`` stops at the
processing wait with everything before committed and the lease released; the shared watch
(``ProcessingWatch``) reads every parked video in one request and hands the creation back when
Meta is done; running it again finishes it, nothing made twice.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from meta.domain.errors import PipelineError
from meta.domain.states import Status
from meta.services.pipeline import AwaitingVideo
from meta.services.processing_watch import ProcessingWatch, projected_finish
from sandbox.graph_emulator import GraphEmulator
from tests.campaign_harness import REQUESTER, FakeClock, Harness, build_harness, local, soon_day

DAY = soon_day()
WAIT = 10.0


@pytest.fixture
def bot(tmp_path: Path, graph: GraphEmulator) -> Iterator[Harness]:
    harness = build_harness(
        f"sqlite:///{tmp_path / 'adbee.db'}", graph, FakeClock(local(DAY, "09:00"))
    )
    yield harness
    harness.close()


def start(bot: Harness, name: str) -> int:
    spec = bot.services.campaigns.validate(
        {
            "account": "iflytek-sg",
            "name": name,
            "daily_budget": 50,
            "start_time": f"{DAY:%Y-%m-%d} 20:00",
            "countries": ["SG"],
            "video": "creatives/ainote2.mp4",
            "primary_text": "Meet AINOTE 2.",
            "headline": "AINOTE 2",
            "link": "https://shop.example.com/sg/ainote2",
            "call_to_action": "SHOP_NOW",
        }
    )
    return bot.services.campaigns.start_creation(
        spec, requested_by=REQUESTER.user_id, source="test"
    ).id


def park(bot: Harness, campaign_id: int) -> AwaitingVideo:
    with pytest.raises(AwaitingVideo) as caught:
        bot.services.campaigns.run_creation(campaign_id, park=True)
    return caught.value


def test_a_parked_creation_is_handed_back_when_meta_is_done_and_finishes_once(
    bot: Harness, graph: GraphEmulator
) -> None:
    graph.video_processing_seconds = 600
    ids = [start(bot, "Parked one SG"), start(bot, "Parked two SG")]
    waiting = [park(bot, campaign_id) for campaign_id in ids]

    for campaign_id in ids:  # no worker, no lease: everything before the creative is in
        row = bot.services.store.get(campaign_id)
        assert row is not None
        assert row.status == Status.CREATING and row.claimed_by is None
        assert row.meta_campaign_id and row.adset_id and row.video_id and not row.creative_id
    assert graph.objects("adcreative") == []

    handed_back: list[int] = []
    both = threading.Event()

    def done(campaign_id: int) -> None:
        handed_back.append(campaign_id)
        if len(handed_back) == len(ids):
            both.set()

    watch = ProcessingWatch(bot.graph, on_done=done, interval=0.05)
    for parked in waiting:
        watch.watch(parked.campaign_id, parked.video_ids, seconds_left=parked.seconds_left)
    graph.clear_requests()
    graph.video_processing_seconds = 0.0  # Meta finishes
    assert both.wait(WAIT)
    watch.stop()
    assert sorted(handed_back) == sorted(ids)
    # one request per round, none on its own; both campaigns show the same film (uploaded once,
    # shared), so each round reads it once for both
    rounds = [json.loads(r.body["batch"]) for r in graph.requests if "batch" in r.body]
    assert rounds and all(len(operations) == 1 for operations in rounds)
    assert not [r for r in graph.requests if r.method == "GET" and not r.via_batch]

    for campaign_id in ids:
        summary = bot.services.campaigns.run_creation(campaign_id, park=True)
        assert summary.status == Status.CREATED
    for kind in ("adcreative", "campaign", "adset", "ad"):
        assert len(graph.objects(kind, include_deleted=True)) == len(ids), kind
    assert len(graph.objects("advideo", include_deleted=True)) == 1


def test_a_video_still_processing_after_the_timeout_stops_the_creation_resumably(
    tmp_path: Path, graph: GraphEmulator
) -> None:
    bot = build_harness(
        f"sqlite:///{tmp_path / 'adbee.db'}",
        graph,
        FakeClock(local(DAY, "09:00")),
        video_timeout=1,
    )
    try:
        graph.video_processing_seconds = 600
        campaign_id = start(bot, "Slow video SG")
        parked = park(bot, campaign_id)
        assert 0 < parked.seconds_left <= 1
        handed_back = threading.Event()
        watch = ProcessingWatch(bot.graph, on_done=lambda _id: handed_back.set(), interval=0.05)
        watch.watch(campaign_id, parked.video_ids, seconds_left=parked.seconds_left)
        assert handed_back.wait(WAIT)  # its time is up: handed back although Meta is not done
        watch.stop()
        with pytest.raises(PipelineError) as caught:
            bot.services.campaigns.run_creation(campaign_id, park=True)
        assert "still processing the video" in caught.value.message
        assert caught.value.resumable
        row = bot.services.store.get(campaign_id)
        assert row is not None and row.status == Status.FAILED
    finally:
        bot.close()


# ---------------------------------------------------------------- when the next round comes
def processing(percent: int) -> dict:
    return {"status": {"video_status": "processing", "processing_progress": percent}}


READY = {"status": {"video_status": "ready", "processing_progress": 100}}


def test_a_video_meta_reports_90_percent_done_after_4_5_s_is_looked_at_half_a_second_later() -> (
    None
):
    finish = projected_finish(["v1"], {"v1": processing(90)}, since=100.0, now=104.5)
    assert finish == pytest.approx(105.0)


def test_the_creation_is_looked_at_when_its_slowest_video_should_be_done() -> None:
    statuses = {"v1": processing(90), "v2": processing(50), "v3": READY}
    finish = projected_finish(["v1", "v2", "v3"], statuses, since=0.0, now=4.0)
    assert finish == pytest.approx(8.0)  # v2: half done in 4 s; v3 is done and does not count


def test_without_meta_s_progress_the_watch_keeps_its_interval() -> None:
    assert projected_finish(["v1"], {"v1": processing(0)}, since=0.0, now=1.0) is None
    assert projected_finish(["v1"], {"v1": {"status": {}}}, since=0.0, now=1.0) is None
    # a read that failed this round (left out of the answer) is not a guess
    assert projected_finish(["v1", "v2"], {"v1": processing(40)}, since=0.0, now=1.0) is None
