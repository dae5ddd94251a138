"""Meta says "wait and retry" (341, 368) or "try again later" (100/1487390): AdBee retries.

Each error comes from the Graph emulator shaped as Meta sends it (code, error_subcode,
is_transient, message) into the real pipeline. A rollback is never the answer to an error a retry
can fix, and the uploaded video is kept whenever Meta's refusal is not about the video. Waits are
recorded instead of slept (see ``WaitRecorder``), so a 60 s wait costs nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meta.domain.errors import MetaApiError, PipelineError
from meta.domain.states import Status
from sandbox.graph_emulator import Fault, GraphEmulator
from tests.reliability.conftest import KINDS, campaign_body
from tests.reliability.test_flaky_meta import WaitRecorder, flaky_service

pytestmark = pytest.mark.reliability


def _deletes(graph: GraphEmulator) -> list[str]:
    return [
        r.path for r in graph.requests if r.method == "DELETE" or r.params.get("method") == "DELETE"
    ]


def _creative_posts(graph: GraphEmulator) -> list[dict[str, str]]:
    return [
        r.params for r in graph.requests if r.method == "POST" and r.path.endswith("/adcreatives")
    ]


def test_341_and_368_are_waited_out_and_the_creation_completes(
    graph: GraphEmulator, tmp_path: Path
) -> None:
    waits = WaitRecorder()
    app_limit = graph.inject(Fault(code=341, path_contains="/campaigns", method="POST"))
    blocked = graph.inject(Fault(code=368, path_contains="/adsets", method="POST"))
    service = flaky_service(graph, tmp_path / "adbee.db", waits)

    summary = service.create(service.validate(campaign_body()), requested_by="U_A", source="test")

    assert summary.status == Status.CREATED, summary.error
    assert (app_limit.fired, blocked.fired) == (1, 1)
    codes = sorted(f.code for f, _ in waits.retries if isinstance(f, MetaApiError))
    assert codes == [341, 368]
    assert all(delay >= 60 for _, delay in waits.retries)  # Meta's "wait", not a quick retry
    assert _deletes(graph) == []
    assert {kind: len(graph.objects(kind)) for kind in KINDS} == dict.fromkeys(KINDS, 1)


def test_a_creative_meta_asks_to_try_again_later_is_retried_unchanged(
    graph: GraphEmulator, tmp_path: Path
) -> None:
    """100/1487390 arrives with is_transient: false and succeeds on a later identical try."""
    waits = WaitRecorder()
    later = graph.inject(
        Fault(code=100, subcode=1487390, is_transient=False, times=2, path_contains="/adcreatives")
    )
    service = flaky_service(graph, tmp_path / "adbee.db", waits)

    summary = service.create(service.validate(campaign_body()), requested_by="U_A", source="test")

    assert summary.status == Status.CREATED, summary.error
    assert later.fired == 2
    posts = _creative_posts(graph)
    assert len(posts) == 3 and posts[0] == posts[1] == posts[2]  # retried unchanged
    refused = [r for r in graph.requests if r.error_subcode == 1487390]
    assert len(refused) == 2
    assert _deletes(graph) == []
    assert len(graph.objects("adcreative")) == 1 and len(graph.objects("advideo")) == 1


def test_try_again_later_that_persists_stops_resumable_and_keeps_the_video(
    graph: GraphEmulator, tmp_path: Path
) -> None:
    waits = WaitRecorder()
    graph.inject(
        Fault(
            code=100, subcode=1487390, is_transient=False, times=None, path_contains="/adcreatives"
        )
    )
    service = flaky_service(graph, tmp_path / "adbee.db", waits)
    spec = service.validate(campaign_body())

    with pytest.raises(PipelineError) as failure:
        service.create(spec, requested_by="U_A", source="test")

    assert failure.value.resumable
    assert "Nothing is lost" in failure.value.message
    assert len(_creative_posts(graph)) == 4  # the first try and three unchanged retries
    assert _deletes(graph) == []
    assert len(graph.objects("advideo")) == 1 and len(graph.objects("campaign")) == 1
    row = service.store.find_open(ad_account_id="act_1234567890", name=spec.name)
    assert row is not None and row.status == Status.FAILED and row.video_id

    graph.clear_faults()  # Meta recovers; running the creation again finishes it
    summary = service.run_creation(row.id)
    assert summary.status == Status.CREATED
    assert len(graph.objects("advideo", include_deleted=True)) == 1  # not uploaded twice


def test_a_refusal_that_is_not_about_the_video_keeps_the_uploaded_video(
    graph: GraphEmulator, tmp_path: Path
) -> None:
    """Meta refuses the ad (a permanent 100): the rest is rolled back, the video stays."""
    waits = WaitRecorder()
    graph.inject(
        Fault(
            code=100,
            subcode=1487194,
            path_contains="/ads",
            method="POST",
            message="Invalid parameter",
            error_user_title="Ad Name Invalid",
            error_user_msg="Pick another name for the ad.",
        )
    )
    service = flaky_service(graph, tmp_path / "adbee.db", waits)

    with pytest.raises(PipelineError) as failure:
        service.create(service.validate(campaign_body()), requested_by="U_A", source="test")

    videos = graph.objects("advideo")
    assert len(videos) == 1
    assert f"video {videos[0]['id']} was kept" in failure.value.message
    for kind in ("campaign", "adset", "adcreative", "ad"):
        assert graph.objects(kind) == [], kind
    rows = service.store.list_campaigns(statuses=[Status.ROLLED_BACK], limit=10)
    assert [r.video_id for r in rows] == [videos[0]["id"]]
    assert "was kept in the ad account" in (rows[0].error or "")
