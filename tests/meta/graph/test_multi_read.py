"""Many nodes read in one request (a batch of GETs), and what happens when one of them is gone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from meta.domain.errors import MetaApiError
from meta.graph.client import GraphClient, MetaConfig
from meta.graph.multi_read import read_many
from meta.graph.upload import VideoUploader
from sandbox.graph_emulator import Fault, GraphEmulator
from sandbox.seeding import SANDBOX_META_TOKEN

ROOT = Path(__file__).resolve().parents[3]
ACCOUNT = "act_1234567890"


@pytest.fixture
def meta(graph: GraphEmulator) -> Iterator[GraphClient]:
    yield GraphClient(
        MetaConfig(access_token=SANDBOX_META_TOKEN, graph_url=graph.url, retry_attempts=1)
    )


def upload(graph: GraphEmulator) -> str:
    uploader = VideoUploader(
        video_url=graph.url,
        api_version="v26.0",
        access_token=SANDBOX_META_TOKEN,
        appsecret_proof=None,
    )
    return str(
        uploader.upload(account_id=ACCOUNT, path=ROOT / "creatives" / "ainote2.mp4", title="t")
    )


def batches(graph: GraphEmulator) -> list[int]:
    """How many operations each batch request carried."""
    return [
        len(json.loads(r.body["batch"]))
        for r in graph.requests
        if r.method == "POST" and "batch" in r.body
    ]


def test_up_to_50_reads_go_in_one_request_and_a_gone_video_reads_as_none(
    graph: GraphEmulator, meta: GraphClient
) -> None:
    videos = [upload(graph) for _ in range(3)]
    graph.clear_requests()
    found = read_many(meta, [*videos * 20, "4040404"], fields="status")
    assert set(found) == {*videos, "4040404"}
    assert found["4040404"] is None  # gone: an answer, not a failure
    assert all(found[v] and found[v]["status"]["video_status"] for v in videos)
    assert batches(graph) == [4]  # duplicates read once, one request


def test_a_read_that_fails_for_every_node_is_raised(graph: GraphEmulator, meta: GraphClient):
    graph.inject(Fault(code=80004, method="POST", times=None))
    with pytest.raises(MetaApiError):
        read_many(meta, ["1", "2"], fields="status")


def test_prefetched_reads_come_from_one_batch_and_the_rest_go_to_meta(
    graph: GraphEmulator, meta: GraphClient
) -> None:
    from meta.graph.multi_read import Prefetched

    videos = [upload(graph) for _ in range(2)]
    graph.clear_requests()
    reads = Prefetched(meta, [(v, {"fields": "status"}) for v in videos])
    assert batches(graph) == [2]
    assert all(reads.get(v, {"fields": "status"})["id"] == v for v in videos)
    assert len(graph.requests) == 1 + 2  # the batch and its two operations, nothing since
    assert reads.get(videos[0], {"fields": "title"})["id"] == videos[0]  # not prefetched
    assert len(graph.requests) == 4
