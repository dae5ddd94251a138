"""Meta refuses the ad set while the video is on its way: the upload stops within one chunk.

Issue 13's "refusals come before the long work", as a user meets it: Alice submits the create
form through the Slack emulator to the real bot; the Graph emulator answers each upload chunk
slowly (small windows, each answer held back, as on a slow uplink) and refuses the ad set. At
most one chunk goes out after the refusal's answer, the half-sent video and the campaign are
deleted, and Meta's own words are in the campaign's thread.
"""

from __future__ import annotations

from pathlib import Path

from sandbox.graph_emulator import Fault
from sandbox.graph_emulator.wire import RecordedRequest
from tests.e2e.conftest import CAMPAIGNS, REQUESTER
from tests.e2e.test_campaign_story import ROOT_VIDEO, good_values, open_form, upload_video
from tests.helpers import refused_ad_set

CHUNK = 2048  # ainote2.mp4 is ~96 KB: about 48 windows
CHUNK_DELAY_MS = 100  # ~5 s for the whole upload, were it not stopped
REFUSAL_DELAY_MS = 500  # Meta takes a while to refuse: several chunks go out first
META_TITLE = "Ad Set Budget Not Allowed"


def _transfers(requests: list[RecordedRequest]) -> list[RecordedRequest]:
    return [r for r in requests if r.params.get("upload_phase") == "transfer"]


def test_a_refused_ad_set_stops_the_upload_within_one_chunk(slack, graph, bot):
    graph.chunk_size = CHUNK
    graph.inject(
        Fault(method="POST", path_contains="/advideos", delay_after_ms=CHUNK_DELAY_MS, times=None)
    )
    # Meta takes a while to refuse: some chunks are on their way when the refusal comes.
    graph.inject(refused_ad_set(delay_ms=REFUSAL_DELAY_MS))
    view = open_form(slack)
    slack.submit_view(user=REQUESTER, view_id=view["id"], values=good_values(upload_video(slack)))

    def refusal_reply() -> dict | None:
        for message in slack.messages(CAMPAIGNS):
            for reply in slack.thread(CAMPAIGNS, message["ts"]):
                if META_TITLE in reply.get("text", ""):
                    return reply
        return None

    reply = slack.wait_until(refusal_reply, timeout=15)
    assert "remove the ad set budget" in reply["text"]  # Meta's own words, where Alice looks
    assert "deleted" in reply["text"]

    requests = list(graph.requests)
    refused = next(
        i
        for i, r in enumerate(requests)
        if r.method == "POST" and r.path.endswith("/adsets") and r.status >= 400
    )
    # Recorded in the order answered: the chunks that came in after the refusal went out.
    after = _transfers(requests[refused + 1 :])
    assert len(after) <= 1, f"{len(after)} chunks were sent after Meta refused the ad set"
    size = (Path(__file__).resolve().parents[2] / ROOT_VIDEO).stat().st_size
    assert 0 < len(_transfers(requests)) < size // CHUNK  # the upload was under way, not done
    assert not [r for r in requests if r.params.get("upload_phase") == "finish"]
    # A permanent refusal: the campaign and the half-sent video are gone from the account.
    assert graph.objects("campaign") == [] and graph.objects("advideo") == []
    assert graph.objects("adset") == []
