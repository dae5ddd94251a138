"""``/campaign bulk``'s modal, working view, batch message and Approve all outcome (pure
builders), and the sheet row that becomes a create form."""

from __future__ import annotations

import json

import pytest

from handlers.blocks.bulk import (
    ROWS_PER_MESSAGE,
    ApproveAll,
    BatchOutcome,
    BoardRow,
    build_batch_board,
    build_batch_outcome,
    build_bulk_modal,
    build_bulk_refused_rows_modal,
    build_bulk_working_modal,
    bulk_channel,
    progress_text,
    read_approve_all,
    row_state,
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


def test_rows_refused_after_the_ack_are_named_in_the_bulk_modal_the_others_go_on():
    """Alice is still looking at the bulk modal: it stays the bulk's, names each refused row
    and why, and says the other rows are still being created (not the single-campaign form)."""
    view = build_bulk_refused_rows_modal(
        12,
        [(7, "AINOTE2 bulk 6", "ad.mp4 is a ZIP archive, not a video"), (9, HOSTILE, "taken")],
    )
    assert_slack_accepts("modal", view)
    assert view["callback_id"].startswith(str(CampaignBulk.CALLBACK)) and "submit" not in view
    assert view["title"]["text"] == "Bulk launch"
    text = "\n".join(b["text"]["text"] for b in view["blocks"] if b["type"] == "section")
    assert "2 of the 12 rows were not created" in text
    assert "10 other rows" in text and "batch message" in text
    assert "*row 7* (AINOTE2 bulk 6): ad.mp4 is a ZIP archive, not a video" in text
    assert "<!channel>" not in text  # a row's name is the user's text, escaped


def test_a_hundred_refused_rows_fit_in_one_modal():
    view = build_bulk_refused_rows_modal(100, [(n, "x" * 300, "y" * 3000) for n in range(2, 102)])
    assert_slack_accepts("modal", view)
    assert "100 of the 100 rows were not created" in view["blocks"][0]["text"]["text"]


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
    message = build_batch_board(batch="B1", rows=rows, requested_by="U_ALICE", total=6)
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
    assert approve_all["action_id"] == CampaignBulk.APPROVE_ALL
    assert read_approve_all(approve_all["value"]) == ApproveAll("B1")
    assert approve_all["text"]["text"] == "Approve all 6"
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
    )
    assert_slack_accepts("message", message)
    assert len(message["blocks"]) <= 50
    assert "part 2 of 3" in message["blocks"][0]["text"]["text"]


def test_after_a_restart_a_creating_row_shows_the_step_its_campaign_recorded():
    """The in-flight step (with its percent) is kept in memory; a new process has only the
    campaign row's persisted step until the next progress event, and shows that, not
    "creating"."""
    processing = make_summary(id=3, status="creating", step=Step.PROCESS.value)
    assert row_state(BoardRow(row=3, name="n", summary=processing)) == (
        ":hourglass_flowing_sand: Meta is processing the video"
    )
    live = BoardRow(
        row=3, name="n", summary=processing, progress="Meta is processing the video 40%"
    )
    assert row_state(live).endswith("the video 40%")  # what this process saw wins
    unknown = make_summary(id=4, status="creating", step="a step of a newer AdBee")
    assert row_state(BoardRow(row=4, name="n", summary=unknown)).endswith(" creating")
    assert row_state(BoardRow(row=4, name="n", summary=make_summary(id=4, status="creating")))


def test_a_rows_progress_is_the_step_it_is_at():
    assert progress_text({}) == "starting"
    assert progress_text({}, StepState("running")) == "downloading the videos from Slack"
    steps = {Step.UPLOAD: StepState("done"), Step.PROCESS: StepState("running", 50)}
    assert progress_text(steps) == "Meta is processing the video 50%"


def test_the_outcome_says_how_many_and_each_rows_outcome():
    outcomes = [
        BatchOutcome(4, "AINOTE2 launch 3", False, "still being created; approve it on its row"),
        BatchOutcome(2, "AINOTE2 launch 1", True, "approved"),
        BatchOutcome(3, "AINOTE2 launch 2", False, "needs a big-budget approver"),
    ]
    reply = build_batch_outcome(outcomes, approver="U_BOB")
    assert_slack_accepts("message", reply)
    text = reply["blocks"][0]["text"]["text"]
    assert reply["text"] == (
        "<@U_BOB> approved 1 of 3 campaigns of this batch. Not approved: rows 3, 4."
    )
    lines = text.splitlines()[1:]
    assert lines == [
        ":white_check_mark: row 2 *AINOTE2 launch 1*: approved",
        ":warning: row 3 *AINOTE2 launch 2*: needs a big-budget approver",
        ":warning: row 4 *AINOTE2 launch 3*: still being created; approve it on its row",
    ]


def test_the_outcome_of_a_hundred_rows_lists_every_row_within_slacks_limits():
    """Slack's largest bulk (100 rows, ``bulk_flow.MAX_SLACK_ROWS``) with long hostile names and
    long refusals: every row is in the reply, no section is cut (``section`` would truncate it
    silently at 3,000 characters) and the blocks stay within Slack's 50."""
    outcomes = [
        BatchOutcome(
            n + 1,
            f"{HOSTILE} {n}",
            n % 3 == 0,
            "approved" if n % 3 == 0 else f"Meta said no & <no> {'x' * 250}",
        )
        for n in range(1, 101)
    ]
    reply = build_batch_outcome(outcomes, approver="U_BOB")
    assert_slack_accepts("message", reply)
    assert len(reply["blocks"]) <= 50
    texts = [block["text"]["text"] for block in reply["blocks"]]
    assert all(len(text) <= 3000 and not text.endswith("…") for text in texts)
    assert sum(len(text) for text in texts) <= 40000
    lines = [line for text in texts for line in text.splitlines()][1:]
    assert [line.split(" *")[0].split(" row ")[1] for line in lines] == [
        str(n + 1) for n in range(1, 101)
    ]
    assert "<!channel>" not in json.dumps(reply)
    assert reply["text"].startswith("<@U_BOB> approved 33 of 100 campaigns of this batch.")


def test_every_part_of_a_batch_approves_the_whole_batch_with_a_small_value():
    rows = [
        BoardRow(row=n, name=f"AINOTE2 bulk {n}", summary=make_summary(id=n, status="created"))
        for n in range(21, 41)
    ]
    parts = [
        build_batch_board(
            batch="B12345", rows=rows, requested_by="U_ALICE", total=100, part=p, parts_count=5
        )
        for p in (1, 2, 5)
    ]
    buttons = []
    for message in parts:
        assert_slack_accepts("message", message)
        [approve_all] = next(
            b for b in message["blocks"] if b.get("block_id") == CampaignBulk.BATCH_ACTIONS
        )["elements"]
        buttons.append(approve_all)
    assert {b["value"] for b in buttons} == {'{"batch":"B12345"}'}
    assert {b["text"]["text"] for b in buttons} == {"Approve all 100"}
    confirm = buttons[0]["confirm"]
    assert confirm["title"]["text"] == "Approve all 100?"
    said = confirm["text"]["text"]
    assert "All 100 campaigns of this batch (all 5 messages)" in said
    assert "approval rules apply" in said and "still being created are left for later" in said
    assert not said.endswith("…")


def test_approve_all_reads_its_value_and_the_old_one_that_named_its_rows():
    assert read_approve_all('{"batch":"B7"}') == ApproveAll("B7")
    old = json.dumps({"batch": "B7", "rows": [[2, 7], [3, 8]]})  # messages posted before
    assert read_approve_all(old) == ApproveAll("B7", ((2, 7), (3, 8)))
    for bad in ("", "not json", "{}", '{"batch": 3}', '{"batch":"B7","rows":[["x"]]}'):
        with pytest.raises(ValueError):
            read_approve_all(bad)


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
