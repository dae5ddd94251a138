"""The creation's progress listener: the pipeline's events, each naming its ad, become the
message's file lines, handed to the coalescing ``ProgressEdits`` (one edit per flush)."""

from __future__ import annotations

from bot.slack.creation_flow import _Progress
from meta.domain.states import ProgressEvent, Step
from tests.handlers.blocks.test_progress import file_lines, several


def test_the_listener_keeps_each_ads_events_apart():
    """The pipeline's events name their ad; the message's file lines follow them."""
    sent = []

    class Edits:
        def edit(self, channel, ts, payload):
            sent.append(payload)

    progress = _Progress(Edits(), "C1", "1.1", several(2), interval=0)
    progress(ProgressEvent(12, Step.UPLOAD, "progress", "", 30, ad=1))
    progress(ProgressEvent(12, Step.UPLOAD, "progress", "", 80, ad=2))
    progress(ProgressEvent(12, Step.CAMPAIGN, "done", "campaign 9"))
    assert file_lines(sent[-1]) == [
        ":hourglass_flowing_sand: 1. `ainote2-1.mp4` — uploading 30% `███░░░░░░░`",
        ":hourglass_flowing_sand: 2. `ainote2-2.mp4` — uploading 80% `████████░░`",
    ]
