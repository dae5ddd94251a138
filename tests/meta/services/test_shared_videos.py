"""A video used by several campaigns of one ad account is uploaded and processed once (issue 14
and 18): keyed by the sha256 of its bytes, kept in the database (a later run, another process
reuses it), claimed by a unique row (two campaigns at once upload it once), and kept by a
rollback while another campaign still shows it. Real services over SQLite and the Graph
emulator as Meta."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from meta.domain.states import Status
from sandbox.graph_emulator import Fault, GraphEmulator
from tests.campaign_harness import (
    APPROVER,
    FakeClock,
    Harness,
    build_harness,
    local,
    soon_day,
)
from tests.media import distinct_copy

DAY = soon_day()
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'adbee.db'}"


@pytest.fixture
def bot(db_url: str, graph: GraphEmulator) -> Iterator[Harness]:
    harness = build_harness(db_url, graph, FakeClock(local(DAY, "13:50")))
    yield harness
    harness.close()


def upload_starts(graph: GraphEmulator) -> int:
    return sum(
        1
        for r in graph.requests
        if r.method == "POST"
        and r.path.endswith("/advideos")
        and r.body.get("upload_phase") == "start"
    )


def video_of(bot: Harness, campaign_id: int) -> str | None:
    row = bot.services.store.get(campaign_id)
    assert row is not None
    return row.video_id


def test_three_campaigns_with_one_video_upload_it_once_and_each_shows_it(bot: Harness, graph):
    ids = [bot.create(start=local(DAY, "20:00"), name=f"AINOTE2 launch {n}") for n in (1, 2, 3)]

    assert upload_starts(graph) == 1
    assert len(graph.objects("advideo", include_deleted=True)) == 1
    [video] = graph.objects("advideo")
    assert {video_of(bot, i) for i in ids} == {video["id"]}
    assert len(graph.objects("adcreative")) == 3 and len(graph.objects("ad")) == 3


def test_a_later_run_of_another_process_reuses_the_uploaded_video(
    db_url: str, graph: GraphEmulator
):
    first = build_harness(db_url, graph, FakeClock(local(DAY, "13:50")), worker_id="p1")
    one = first.create(start=local(DAY, "20:00"), name="AINOTE2 launch 1")
    first.close()
    later = build_harness(db_url, graph, FakeClock(local(DAY, "14:50")), worker_id="p2")
    try:
        two = later.create(start=local(DAY, "20:00"), name="AINOTE2 launch 2")
        assert upload_starts(graph) == 1
        assert video_of(later, one) == video_of(later, two)
    finally:
        later.close()


def test_other_bytes_are_another_upload(bot: Harness, graph, tmp_path):
    other = distinct_copy(ROOT / "creatives" / "ainote2.mp4", tmp_path / "other-cut.mp4")
    one = bot.create(start=local(DAY, "20:00"), name="AINOTE2 launch 1")
    two = bot.create(start=local(DAY, "20:00"), name="AINOTE2 launch 2", videos=[str(other)])
    assert upload_starts(graph) == 2
    assert video_of(bot, one) != video_of(bot, two)


def test_two_campaigns_at_once_upload_the_video_once(bot: Harness, graph):
    # Slow upload windows, so the second campaign asks while the first is still sending.
    graph.inject(Fault(method="POST", path_contains="/advideos", delay_after_ms=300, times=None))
    ids: list[int] = []
    errors: list[BaseException] = []

    def create(n: int) -> None:
        try:
            ids.append(bot.create(start=local(DAY, "20:00"), name=f"AINOTE2 launch {n}"))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert upload_starts(graph) == 1
    assert len(graph.objects("advideo", include_deleted=True)) == 1
    assert len({video_of(bot, i) for i in ids}) == 1 and len(graph.objects("ad")) == 2


def test_rejecting_one_campaign_keeps_the_video_another_one_shows(bot: Harness, graph):
    one = bot.create(start=local(DAY, "20:00"), name="AINOTE2 launch 1")
    two = bot.create(start=local(DAY, "20:00"), name="AINOTE2 launch 2")
    [video] = graph.objects("advideo")

    bot.lifecycle.reject(two, APPROVER)

    assert graph.objects("advideo") == [video]  # launch 1's ad still shows it
    row = bot.services.store.get(two)
    assert row is not None and row.status == Status.REJECTED and row.video_id is None
    assert video_of(bot, one) == video["id"]

    # The last campaign using it lets it go for real.
    bot.lifecycle.reject(one, APPROVER)
    assert graph.objects("advideo") == []
    # And a campaign after that uploads it anew rather than pointing at a deleted video.
    three = bot.create(start=local(DAY, "20:00"), name="AINOTE2 launch 3")
    assert upload_starts(graph) == 2
    assert video_of(bot, three) not in (None, video["id"])
