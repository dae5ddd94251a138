"""Meta's refusals come before the long work: a refused ad set stops the video upload at once.

The campaign and ad set are created while the video uploads (meta.services.pipeline). The Graph
emulator answers each upload chunk slowly (the answer held back, as on a slow uplink) and in
small windows, so an upload left to run would take seconds; Meta refuses the ad set. The upload
must end within one chunk of the refusal, and what was made must be undone (a permanent
refusal) or kept to resume from (a temporary one) without sending anything twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from meta.domain.errors import PipelineError
from meta.domain.states import Status
from sandbox.graph_emulator import Fault, GraphEmulator
from sandbox.graph_emulator.wire import RecordedRequest
from tests.campaign_harness import FakeClock, Harness, build_harness, local, soon_day
from tests.helpers import refused_ad_set

DAY = soon_day()
CHUNK = 2048  # ainote2.mp4 is ~96 KB: about 48 windows
CHUNK_DELAY_MS = 100  # ~5 s for the whole upload, were it not stopped


@pytest.fixture
def bot(tmp_path: Path, graph: GraphEmulator) -> Iterator[Harness]:
    graph.chunk_size = CHUNK
    harness = build_harness(
        f"sqlite:///{tmp_path / 'adbee.db'}", graph, FakeClock(local(DAY, "09:00"))
    )
    yield harness
    harness.close()


def _slow_upload(graph: GraphEmulator) -> None:
    graph.inject(
        Fault(method="POST", path_contains="/advideos", delay_after_ms=CHUNK_DELAY_MS, times=None)
    )


def _transfers(requests: list[RecordedRequest]) -> list[RecordedRequest]:
    return [r for r in requests if r.params.get("upload_phase") == "transfer"]


def _refused_adset_index(graph: GraphEmulator) -> int:
    return next(
        i
        for i, r in enumerate(graph.requests)
        if r.method == "POST" and r.path.endswith("/adsets") and r.status >= 400
    )


def _create(bot: Harness) -> PipelineError:
    with pytest.raises(PipelineError) as caught:
        bot.create(start=local(DAY, "20:00"), name="Refused SG")
    return caught.value


def test_a_refused_ad_set_stops_the_upload_within_one_chunk_and_undoes_everything(
    bot: Harness, graph: GraphEmulator
) -> None:
    _slow_upload(graph)
    graph.inject(refused_ad_set())

    error = _create(bot)

    assert "remove the ad set budget" in error.message  # Meta's own words
    refused = _refused_adset_index(graph)
    after = _transfers(graph.requests[refused + 1 :])
    assert len(after) <= 1, f"{len(after)} chunks were sent after Meta refused the ad set"
    size = (Path(__file__).resolve().parents[3] / "creatives" / "ainote2.mp4").stat().st_size
    assert len(_transfers(graph.requests)) < size // CHUNK
    assert not [r for r in graph.requests if r.params.get("upload_phase") == "finish"]
    # Permanent refusal: the campaign and the half-sent video are deleted, none is kept.
    row = bot.services.store.list_campaigns(limit=1)[0]
    assert row.status == Status.ROLLED_BACK
    assert graph.objects("campaign") == [] and graph.objects("advideo") == []
    assert row.video_id is None and row.upload_session is None
    assert "was kept" not in (row.error or "")


def test_a_temporary_refusal_stops_the_upload_and_the_rerun_resumes_it_without_doubling(
    bot: Harness, graph: GraphEmulator
) -> None:
    _slow_upload(graph)
    # Meta's "please retry later", more times than AdBee retries one call (3 in the harness).
    graph.inject(Fault(method="POST", path_contains="/adsets", code=2, times=3))

    error = _create(bot)

    assert error.resumable
    row = bot.services.store.list_campaigns(limit=1)[0]
    assert row.status == Status.FAILED
    assert row.meta_campaign_id and not row.adset_id
    assert row.upload_session, "the upload stopped with its session saved, to resume from"
    sent_before = len(_transfers(graph.requests))
    assert sent_before < 40
    resumed_at = int(row.upload_session["next_offset"])

    graph.clear_faults()  # Meta answers again, at full speed
    first_of_rerun = len(graph.requests)
    summary = bot.services.campaigns.run_creation(row.id)

    assert summary.status == Status.CREATED, summary.error
    rerun = _transfers(graph.requests[first_of_rerun:])
    assert int(rerun[0].params["start_offset"]) == resumed_at  # resumed, not started over
    for kind in ("campaign", "adset", "adcreative", "ad", "advideo"):
        assert len(graph.objects(kind, include_deleted=True)) == 1, kind
