"""An ad-ops person launches with the video file their editor exported, whatever format Meta takes.

Each file is checked by AdBee, uploaded to the Graph API emulator (which processes only the formats
on Meta's own list), and becomes a paused ad; files that break Meta's rules never leave the machine.
"""

from __future__ import annotations

import io
import os

import pytest
import requests

from bot.cli import main
from sandbox.graph_emulator import GraphEmulator
from sandbox.seeding import SANDBOX_META_TOKEN
from tests.helpers import nothing_sent_but_budget_reads, write_campaign
from tests.media import META_ACCEPTED_FORMATS, make_sparse_video, make_test_video


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def video_length(graph: GraphEmulator, video_id: str) -> float:
    reply = requests.get(
        f"{graph.url}/{os.environ['META_API_VERSION']}/{video_id}",
        params={"fields": "length", "access_token": SANDBOX_META_TOKEN},
        timeout=10,
    )
    return float(reply.json()["length"])


@pytest.mark.usefixtures("meta_env")
@pytest.mark.parametrize("name", sorted(META_ACCEPTED_FORMATS))
def test_a_video_in_any_format_meta_accepts_becomes_a_paused_ad(graph, tmp_path, name):
    video = make_test_video(tmp_path / name, **META_ACCEPTED_FORMATS[name])  # type: ignore[arg-type]

    code, out = run("create", str(write_campaign(tmp_path, video=str(video))))

    assert code == 0, out
    assert "everything PAUSED" in out
    assert "libdav1d" not in out
    (uploaded,) = graph.objects("advideo")
    assert uploaded["video_status"] == "ready"
    assert video_length(graph, uploaded["id"]) == pytest.approx(1.0, abs=0.05)
    assert len(graph.objects("ad")) == 1


@pytest.mark.usefixtures("meta_env")
@pytest.mark.parametrize(
    ("name", "make", "words"),
    [
        (
            "short.webm",
            lambda p: make_test_video(p, codec="libvpx-vp9", container="webm", seconds=0.5),
            "short.webm is 0.5 s long; Meta needs at least 1 s.",
        ),
        (
            "wide.mkv",
            lambda p: make_test_video(p, container="matroska", width=420, height=180),
            "wide.mkv is 21:9 (420x180)",
        ),
        (
            "long.mkv",
            lambda p: make_sparse_video(p, seconds=242 * 60),
            "long.mkv is 4 h 2 min long; Meta accepts at most 4 h 1 min.",
        ),
    ],
)
def test_a_video_breaking_metas_rules_is_refused_before_any_upload(
    graph, tmp_path, name, make, words
):
    video = make(tmp_path / name)

    code, out = run("create", str(write_campaign(tmp_path, video=str(video))))

    assert code == 1, out
    assert f"  - video: {words}" in out
    assert nothing_sent_but_budget_reads(graph)  # no upload; at most the budget read
