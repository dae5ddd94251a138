"""``/campaign bulk``'s modal, working view, batch message and Approve all outcome (pure
builders), and the sheet row that becomes a create form."""

from __future__ import annotations

import json

from handlers.blocks.bulk import (
    ROWS_PER_MESSAGE,
    BatchOutcome,
    BoardRow,
    build_batch_board,
    build_batch_outcome,
    build_bulk_modal,
    build_bulk_working_modal,
    bulk_channel,
    progress_text,
)
from handlers.blocks.progress import StepState
from handlers.bulk_sheet import row_form, video_names
from handlers.forms import split_headlines, split_primary_texts
from handlers.ids import CampaignAction, CampaignBulk
from handlers.uploads import SlackFile
from meta.domain.states import Step
from tests.handlers.factories import HOSTILE, assert_slack_accepts, make_summary


def test_the_modal_takes_one_csv_and_up_to_ten_videos():
    view = build_bulk_modal()
    assert_slack_accepts("modal", view)
    assert view["callback_id"] == CampaignBulk.CALLBACK
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs[CampaignBulk.SHEET_BLOCK]["filetypes"] == ["csv"]
    assert inputs[CampaignBulk.SHEET_BLOCK]["max_files"] == 1
    assert inputs[CampaignBulk.VIDEOS_BLOCK]["max_files"] == 10
    assert "mp4" in inputs[CampaignBulk.VIDEOS_BLOCK]["filetypes"]
    assert_slack_accepts("modal", build_bulk_working_modal(12))


def test_the_modal_remembers_the_channel_whose_shared_files_it_may_use():
    view = build_bulk_modal("C_CAMPAIGNS")
    assert_slack_accepts("modal", view)
    assert bulk_channel(view) == "C_CAMPAIGNS"
    assert bulk_channel(build_bulk_modal()) is None
    assert bulk_channel({"private_metadata": "not json"}) is None


def test_a_cell_may_name_a_file_or_give_its_slack_link():
    link = "https://adbee.slack.com/files/U_ALICE/F0ABC12345/cut-b.mp4"
    assert video_names({"videos": ["clips/cut-a.mp4", link]}) == ["cut-a.mp4", link]


def test_the_batch_message_shows_every_row_with_its_own_approve_and_reject_once_ready():
    rows = [
        BoardRow(row=2, name=f"{HOSTILE} queued"),
        BoardRow(
            row=3,
            name="uploading",
            summary=make_summary(id=3, status="creating"),
            progress="Uploading video 40%",
        ),
        BoardRow(row=4, name="ready", summary=make_summary(id=4, status="created")),
        BoardRow(
            row=5,
            name="approved",
            summary=make_summary(id=5, status="scheduled", approved_by="U0BOB123"),
        ),
        BoardRow(
            row=6,
            name="rejected",
            summary=make_summary(id=6, status="rejected", error="rejected by U0BOB123"),
        ),
        BoardRow(row=7, name="refused", failed="the video is 3:2, not 9:16"),
    ]
    value = json.dumps({"batch": "B1", "rows": [[r.row, r.row] for r in rows]})
    message = build_batch_board(batch="B1", rows=rows, requested_by="U_ALICE", total=6, value=value)
    assert_slack_accepts("message", message)
    text = json.dumps(message)
    for shown in (
        "queued",
        "Uploading video 40%",
        "ready for approval",
        "approved by <@U0BOB123>",
        "rejected by <@U0BOB123>",
        "not created: the video is 3:2",
    ):
        assert shown in text
    decisions = [
        b for b in message["blocks"] if b.get("block_id", "").startswith(CampaignBulk.BATCH_ROW)
    ]
    [ready] = decisions  # only the row ready for approval can be decided
    approve, reject = ready["elements"]
    assert (approve["action_id"], reject["action_id"]) == (
        CampaignAction.APPROVE,
        CampaignAction.REJECT,
    )
    assert json.loads(approve["value"])["campaign_id"] == 4
    [approve_all] = next(
        b for b in message["blocks"] if b.get("block_id") == CampaignBulk.BATCH_ACTIONS
    )["elements"]
    assert approve_all["action_id"] == CampaignBulk.APPROVE_ALL and approve_all["value"] == value
    assert approve_all["confirm"]["text"]["type"] == "plain_text"
    assert "<!channel>" not in text  # names are escaped, never a mention


def test_a_full_message_of_ready_rows_stays_within_slacks_fifty_blocks():
    rows = [
        BoardRow(row=n, name=HOSTILE * 3, summary=make_summary(id=n, status="created"))
        for n in range(1, ROWS_PER_MESSAGE + 1)
    ]
    message = build_batch_board(
        batch="B1",
        rows=rows,
        requested_by="U_ALICE",
        total=50,
        part=2,
        parts_count=3,
        value="{}",
    )
    assert_slack_accepts("message", message)
    assert len(message["blocks"]) <= 50
    assert "part 2 of 3" in message["blocks"][0]["text"]["text"]


def test_a_rows_progress_is_the_step_it_is_at():
    assert progress_text({}) == "starting"
    assert progress_text({}, StepState("running")) == "downloading the videos from Slack"
    steps = {Step.UPLOAD: StepState("done"), Step.PROCESS: StepState("running", 50)}
    assert progress_text(steps) == "Meta is processing the video 50%"


def test_the_outcome_says_how_many_and_why_each_other_one_was_not_approved():
    outcomes = [
        BatchOutcome(2, "AINOTE2 launch 1", True, "approved"),
        BatchOutcome(3, "AINOTE2 launch 2", False, "needs a big-budget approver"),
        BatchOutcome(4, "AINOTE2 launch 3", False, "still being created; approve it on its card"),
    ]
    reply = build_batch_outcome(outcomes, approver="U_BOB")
    assert_slack_accepts("message", reply)
    text = reply["blocks"][0]["text"]["text"]
    assert reply["text"] == "<@U_BOB> approved 1 of 3 campaigns of this batch."
    assert "row 3 *AINOTE2 launch 2*: needs a big-budget approver" in text
    assert "row 4 *AINOTE2 launch 3*: still being created" in text
    assert "row 2" not in text


def test_a_row_becomes_the_create_form_its_campaign_would_have_had():
    cut = SlackFile(id="F1", name="ainote2.mp4")
    fields = {
        "account": "iflytek-sg",
        "name": "AINOTE2 launch 1",
        "daily_budget": "50",
        "countries": ["sg", "MY"],
        "videos": ["creatives/ainote2.mp4"],
        "primary_texts": ["Meet AINOTE 2", "Notes that\nwrite themselves"],
        "headlines": ["AINOTE 2 is here", "E-ink"],
        "call_to_action": "SHOP_NOW",
    }
    assert video_names(fields) == ["ainote2.mp4"]  # a path's folders are not a Slack file's name
    form = row_form(fields, [cut])
    assert form.countries == ("SG", "MY") and form.files == (cut,)
    assert split_primary_texts(form.primary_text) == [
        "Meet AINOTE 2",
        "Notes that\nwrite themselves",
    ]
    assert split_headlines(form.headline) == ["AINOTE 2 is here", "E-ink"]
    assert form.to_request()["video"] is None  # the file comes from Slack afterwards
    assert video_names({"video": "launch.mp4"}) == ["launch.mp4"]
