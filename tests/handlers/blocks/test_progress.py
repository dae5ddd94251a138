"""The creation progress message: the Slack download, then the pipeline's six steps."""

from __future__ import annotations

from handlers.blocks.progress import (
    DOWNLOAD_LABEL,
    StepState,
    build_created_note,
    build_progress_message,
    build_usage_wait_message,
)
from meta.domain.states import STEP_LABELS, ProgressEvent, Step, steps_of
from tests.handlers.factories import (
    HOSTILE,
    assert_escaped,
    assert_slack_accepts,
    hostile_summary,
    make_summary,
)


def step_lines(message):
    section = next(b for b in message["blocks"] if b.get("block_id") == "campaign-message-steps")
    return section["text"]["text"].split("\n")


def test_every_step_starts_waiting():
    message = build_progress_message(summary=make_summary(), steps={})
    lines = step_lines(message)
    assert len(lines) == 6
    for line, step in zip(lines, steps_of(with_images=False), strict=True):
        assert line == f":white_circle: {STEP_LABELS[step]} — waiting"
    assert message["text"] == "Creating AINOTE2 launch SG: 0 of 6 steps done"
    assert_slack_accepts("message", message)


def test_download_upload_and_processing_show_their_progress():
    steps = {
        Step.UPLOAD: StepState("running", 45, "13.5 MB of 30.0 MB"),
        Step.CAMPAIGN: StepState("done", detail="campaign 900000000000003"),
        Step.ADSET: StepState("running"),
        Step.PROCESS: StepState("running", 120),
    }
    message = build_progress_message(
        summary=make_summary(), steps=steps, download=StepState("done", detail="30.0 MB")
    )
    lines = step_lines(message)
    assert lines[0] == f":white_check_mark: {DOWNLOAD_LABEL} — 30.0 MB"
    assert lines[1] == (
        ":hourglass_flowing_sand: Uploading video — 45% `████░░░░░░` — 13.5 MB of 30.0 MB"
    )
    assert lines[2].startswith(":hourglass_flowing_sand: Meta is processing the video — 100%")
    assert lines[4] == ":white_check_mark: Creating campaign — campaign 900000000000003"
    assert lines[5] == ":hourglass_flowing_sand: Creating ad set"
    assert message["text"].endswith("1 of 6 steps done")


def test_the_image_upload_step_shows_once_an_image_ad_reports_it():
    steps = {Step.IMAGE: StepState("running", 0, "image 3 of 3: hero.jpg")}
    message = build_progress_message(summary=make_summary(), steps=steps)
    lines = step_lines(message)
    assert len(lines) == 7
    assert (
        lines[2]
        == ":hourglass_flowing_sand: Uploading images — 0% `░░░░░░░░░░` — image 3 of 3: hero.jpg"
    )
    assert message["text"].endswith("0 of 7 steps done")


def test_a_failed_step_shows_why():
    steps = {Step.AD: StepState("failed", detail="Invalid parameter (code 100)")}
    message = build_progress_message(summary=make_summary(), steps=steps)
    assert step_lines(message)[-1] == ":x: Creating ad — *failed*: Invalid parameter (code 100)"
    assert message["text"].endswith(": stopped")


def test_pipeline_events_become_step_states():
    event = ProgressEvent(
        campaign_id=12, step=Step.UPLOAD, state="progress", detail="1 MB", percent=5
    )
    assert StepState.from_event(event) == StepState("running", 5, "1 MB")
    for raw, state in [("started", "running"), ("retry", "retrying"), ("done", "done"),
                       ("skipped", "skipped"), ("failed", "failed"), ("odd", "running")]:  # fmt: skip
        assert StepState.from_event(ProgressEvent(12, Step.AD, raw)).state == state


def test_hostile_details_are_escaped_and_bounded():
    steps = {step: StepState("failed", detail=HOSTILE * 50) for step in Step}
    message = build_progress_message(
        summary=hostile_summary(), steps=steps, download=StepState("failed", detail=HOSTILE * 50)
    )
    assert_slack_accepts("message", message)
    assert_escaped(message)


# ---------------------------------------------------------------- several files


def several(count: int = 4):
    from meta.services.summary import AdLine

    return make_summary(
        ads=tuple(
            AdLine(n, f"ainote2-{n}.mp4", f"Text {n}", f"Headline {n}", None, None, None)
            for n in range(1, count + 1)
        )
    )


def file_lines(message):
    section = next(b for b in message["blocks"] if b.get("block_id") == "campaign-message-files")
    return section["text"]["text"].split("\n")


def test_each_file_has_its_own_line_uploading_processing_ready_or_failed():
    ad_steps = {
        1: {Step.UPLOAD: StepState("done", 100), Step.PROCESS: StepState("done", 100),
            Step.CREATIVE: StepState("done", detail="creative 7")},
        2: {Step.UPLOAD: StepState("done", 100), Step.PROCESS: StepState("running", 40)},
        3: {Step.UPLOAD: StepState("running", 45, "video 3 of 4: 1.0 MB of 2.2 MB")},
        4: {Step.UPLOAD: StepState("failed", detail="Meta refused <it>")},
    }  # fmt: skip
    steps = {
        Step.CAMPAIGN: StepState("done", detail="campaign 9"),
        Step.ADSET: StepState("running"),
    }
    message = build_progress_message(summary=several(), steps=steps, ad_steps=ad_steps)
    assert file_lines(message) == [
        ":white_check_mark: 1. `ainote2-1.mp4` — ready",
        ":hourglass_flowing_sand: 2. `ainote2-2.mp4` — processing 40% `████░░░░░░`",
        ":hourglass_flowing_sand: 3. `ainote2-3.mp4` — uploading 45% `████░░░░░░`",
        ":x: 4. `ainote2-4.mp4` — *failed*: Meta refused &lt;it&gt;",
    ]
    assert step_lines(message) == [
        ":white_check_mark: Creating campaign — campaign 9",
        ":hourglass_flowing_sand: Creating ad set",
        ":hourglass_flowing_sand: Creating ad creatives — 1 of 4",
        ":white_circle: Creating ads — 0 of 4",
    ]
    assert message["text"] == "Creating AINOTE2 launch SG: stopped"
    assert_slack_accepts("message", message)


def test_ten_files_waiting_then_all_ready_fit_one_message():
    waiting = build_progress_message(summary=several(10), steps={})
    assert file_lines(waiting)[9] == ":white_circle: 10. `ainote2-10.mp4` — waiting"
    assert waiting["text"].endswith("0 of 10 files ready, 0 of 10 ads created")
    done = {
        n: {Step.CREATIVE: StepState("skipped"), Step.AD: StepState("done")} for n in range(1, 11)
    }
    message = build_progress_message(summary=several(10), steps={}, ad_steps=done)
    assert message["text"].endswith("10 of 10 files ready, 10 of 10 ads created")
    assert ":white_check_mark: Creating ads — 10 of 10" in step_lines(message)
    assert_slack_accepts("message", message)


def test_an_image_file_is_uploading_then_ready_without_processing():
    from meta.services.summary import AdLine

    summary = make_summary(
        ads=(
            AdLine(1, "ainote2.mp4", "Text 1", "Headline 1", None, None, None),
            AdLine(2, "hero.jpg", "Text 2", "Headline 2", None, None, None),
        )
    )
    uploading = {2: {Step.IMAGE: StepState("running", 0, "image 2 of 2: hero.jpg")}}
    message = build_progress_message(summary=summary, steps={}, ad_steps=uploading)
    assert (
        file_lines(message)[1]
        == ":hourglass_flowing_sand: 2. `hero.jpg` — uploading 0% `░░░░░░░░░░`"
    )
    uploaded = {2: {Step.IMAGE: StepState("done", 100, "image 2 of 2: image 1f2e")}}
    message = build_progress_message(summary=summary, steps={}, ad_steps=uploaded)
    assert file_lines(message)[1] == ":white_check_mark: 2. `hero.jpg` — ready"


def test_once_its_card_is_posted_the_progress_message_points_at_it():
    note = build_created_note(several(3))
    assert_slack_accepts("message", note)
    text = str(note["blocks"])
    assert "ready and PAUSED" in text and "3 ads" in text and "approval card" in text
    assert "is below" in note["text"]


def test_the_created_note_escapes_the_users_text():
    note = build_created_note(hostile_summary())
    assert_slack_accepts("message", note)
    assert_escaped(note)


def test_a_request_held_for_its_accounts_usage_says_why_and_that_nothing_was_sent():
    held = build_usage_wait_message(
        name="AINOTE2 launch SG",
        requested_by="U0ALICE",
        account_name="iFlytek SG",
        percent=73.4,
        ceiling=50,
    )
    assert_slack_accepts("message", held)
    assert "<@U0ALICE>" in held["text"] and "73 %" in held["text"] and "below 50 %" in held["text"]
    assert "nothing was sent to Meta yet" in held["text"]
    hostile = build_usage_wait_message(
        name=HOSTILE, requested_by="U0BOB", account_name=HOSTILE, percent=90, ceiling=50
    )
    assert_escaped(hostile)
