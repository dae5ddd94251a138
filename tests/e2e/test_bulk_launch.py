"""Alice launches a sheet of campaigns from Slack with ``/campaign bulk``; Bob approves them
with one click (issue 14, bulk launch in Slack).

Through the real bot (Socket Mode) and both emulators: the modal takes the CSV and the video it
names; a bad row refuses the whole sheet on the sheet's field, naming the row and the field,
before anything is sent to Meta; the fixed sheet makes one campaign per row, the video uploaded
once. The whole bulk is one message in the channel (Slack paces posts at about one per second per
channel): each row shows its progress there, then its own Approve and Reject; Bob rejects one
row, the others stay, and Approve all approves each one Bob may approve (a big budget waits on
its row for the big-budget approvers). A bulk longer than one message is approved with one
click too, and a row refused after the ack is named in the batch thread.
"""

from __future__ import annotations

import csv
import io
import json

from handlers.ids import CampaignAction, CampaignBulk
from meta.domain.states import Status
from tests.e2e.conftest import APPROVER, CAMPAIGNS, REQUESTER, start_in
from tests.e2e.test_campaign_story import ROOT_VIDEO, upload_disguised, upload_video
from tests.helpers import nothing_sent_but_budget_reads
from tests.media import distinct_copy

COLUMNS = ["account", "name", "daily_budget", "start_time", "countries", "video"]
COLUMNS += ["primary_texts", "headline", "link", "call_to_action"]


def sheet_csv(rows: int, **bad: dict[str, str]) -> bytes:
    start = start_in().isoformat()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for n in range(1, rows + 1):
        cells = {
            "account": "iflytek-sg",
            "name": f"AINOTE2 bulk {n}",
            "daily_budget": "50",
            "start_time": start,
            "countries": "SG",
            "video": "creatives/ainote2.mp4",  # matched by its file name, ainote2.mp4
            "primary_texts": "Meet AINOTE 2, the notebook that writes your meeting notes.",
            "headline": "AINOTE 2 is here",
            "link": "https://shop.example.com/sg/ainote2",
            "call_to_action": "SHOP_NOW",
            **bad.get(f"row{n + 1}", {}),
        }
        writer.writerow([cells[c] for c in COLUMNS])
    return out.getvalue().encode("utf-8-sig")


def upload_sheet(slack, content: bytes) -> str:
    return slack.upload_file(
        user=REQUESTER,
        filename="launches.csv",
        content=content,
        filetype="csv",
        mimetype="text/csv",
    )


def open_bulk_form(slack) -> dict:
    slack.slash_command(user=REQUESTER, channel=CAMPAIGNS, command="/campaign", text="bulk")
    return slack.wait_for_view(user=REQUESTER, timeout=5, callback_id=str(CampaignBulk.CALLBACK))


def approve_buttons(slack) -> dict[int, tuple[str, dict]]:
    """The Approve buttons the channel shows, by campaign id: (the message's ts, the button)."""
    return {
        json.loads(element["value"])["campaign_id"]: (message["ts"], element)
        for message in slack.messages(CAMPAIGNS)
        for block in message.get("blocks", [])
        for element in block.get("elements", []) or []
        if element.get("action_id") == CampaignAction.APPROVE
    }


def row_lines(message: dict) -> list[str]:
    return [
        block["text"]["text"]
        for block in message.get("blocks", [])
        if block["type"] == "section" and block["text"]["text"].startswith("*row ")
    ]


def batch_message(slack) -> dict:
    def found():
        for message in slack.messages(CAMPAIGNS):
            for block in message.get("blocks", []):
                for element in block.get("elements", []) or []:
                    if element.get("action_id") == CampaignBulk.APPROVE_ALL:
                        return message, element
        return None

    return slack.wait_until(found, timeout=60)


def test_a_bad_row_refuses_the_sheet_then_three_campaigns_are_approved_with_one_click(
    slack, graph, bot
):
    video = upload_video(slack)
    view = open_bulk_form(slack)
    bad = upload_sheet(slack, sheet_csv(3, row3={"daily_budget": "99999"}))
    ack = slack.submit_view(
        user=REQUESTER,
        view_id=view["id"],
        values={CampaignBulk.SHEET_BLOCK: [bad], CampaignBulk.VIDEOS_BLOCK: [video]},
    )
    error = (ack or {}).get("errors", {}).get(str(CampaignBulk.SHEET_BLOCK), "")
    assert "row 3, daily_budget: " in error and "above this account's limit" in error, ack
    assert "row 2" not in error and "row 4" not in error
    assert nothing_sent_but_budget_reads(graph)

    # Fixed; row 4 asks SGD 600 a day, above the account's approval.budget_above (SGD 500).
    fixed = upload_sheet(slack, sheet_csv(3, row4={"daily_budget": "600"}))
    ack = slack.submit_view(
        user=REQUESTER,
        view_id=view["id"],
        values={CampaignBulk.SHEET_BLOCK: [fixed], CampaignBulk.VIDEOS_BLOCK: [video]},
    )
    assert not (ack or {}).get("errors"), ack

    message, approve_all = batch_message(slack)
    assert approve_all["text"]["text"] == "Approve all 3"
    slack.wait_until(lambda: len(approve_buttons(slack)) == 3, timeout=120)
    assert len(graph.objects("campaign")) == 3 and len(graph.objects("ad")) == 3
    assert len(graph.objects("advideo", include_deleted=True)) == 1  # one video, uploaded once
    # ... and downloaded from Slack once for its three rows (each row has a link to that copy)
    first_hops = [
        d for d in slack.downloads if d["path"].startswith("/files-pri/") and video in d["path"]
    ]
    assert len(first_hops) == 1, slack.downloads

    # One message for the whole bulk: no progress message nor card per row.
    posted = [m for m in slack.messages(CAMPAIGNS) if m.get("bot_id") or m.get("app_id")]
    assert [m["ts"] for m in posted] == [message["ts"]], [m.get("text") for m in posted]
    versions = [row_lines(v) for v in slack.message_history(CAMPAIGNS, message["ts"])]
    assert all("queued" in line for line in versions[0]) and len(versions[0]) == 3
    assert any(
        ":hourglass_flowing_sand:" in line and "queued" not in line
        for lines in versions
        for line in lines
    ), "the rows' progress is shown in the batch message"
    buttons = approve_buttons(slack)
    assert {ts for ts, _button in buttons.values()} == {message["ts"]}
    final = slack.message(CAMPAIGNS, message["ts"])
    assert all("ready for approval" in line for line in row_lines(final))

    # Bob rejects the first row on its own Reject: that campaign only.
    by_name = {c.name: c for c in bot.services.store.list_campaigns(limit=None)}
    first = by_name["AINOTE2 bulk 1"]
    slack.click_button(
        user=APPROVER,
        channel=CAMPAIGNS,
        message_ts=message["ts"],
        action_id=str(CampaignAction.REJECT),
        value=buttons[first.id][1]["value"],
    )
    slack.wait_until(lambda: bot.services.store.get(first.id).status == Status.REJECTED, timeout=60)
    slack.wait_until(lambda: first.id not in approve_buttons(slack), timeout=30)
    lines = row_lines(slack.message(CAMPAIGNS, message["ts"]))
    assert ":no_entry_sign: rejected" in lines[0] and "AINOTE2 bulk 1" in lines[0]
    assert all("ready for approval" in line for line in lines[1:])
    assert len(approve_buttons(slack)) == 2  # the others stay, each with its Approve

    slack.click_button(
        user=APPROVER,
        channel=CAMPAIGNS,
        message_ts=message["ts"],
        action_id=str(CampaignBulk.APPROVE_ALL),
        value=approve_all["value"],
    )
    reply = slack.wait_until(
        lambda: next(
            (m for m in slack.thread(CAMPAIGNS, message["ts"]) if "approved" in m.get("text", "")),
            None,
        ),
        timeout=60,
    )
    # Each campaign under its own rules: the rejected one stays rejected, Bob may approve one;
    # the big budget needs its approvers.
    assert (
        "approved 1 of 3 campaigns" in reply["text"] and "Not approved: rows 2, 4." in reply["text"]
    )
    text = reply["blocks"][0]["text"]["text"]
    assert (
        ":warning: row 2 *AINOTE2 bulk 1*:" in text and ":warning: row 4 *AINOTE2 bulk 3*:" in text
    )
    assert ":white_check_mark: row 3 *AINOTE2 bulk 2*: approved" in text
    assert set(json.loads(approve_all["value"])) == {"batch"}  # its rows: read when clicked
    statuses = {c.name: c.status for c in bot.services.store.list_campaigns(limit=None)}
    assert statuses == {
        "AINOTE2 bulk 1": Status.REJECTED,
        "AINOTE2 bulk 2": Status.SCHEDULED,
        "AINOTE2 bulk 3": Status.CREATED,  # still on its row for a big-budget approver
    }
    lines = slack.wait_until(
        lambda: (
            (found := row_lines(slack.message(CAMPAIGNS, message["ts"])))
            and "approved by" in found[1]
            and found
        ),
        timeout=30,
    )
    assert "ready for approval" in lines[2] and list(approve_buttons(slack)) == [
        by_name["AINOTE2 bulk 3"].id
    ]
    assert len([m for m in slack.messages(CAMPAIGNS) if m.get("bot_id")]) == 1


def test_a_row_naming_a_video_not_attached_is_refused_naming_row_and_file(slack, graph, bot):
    video = upload_video(slack)
    view = open_bulk_form(slack)
    sheet = upload_sheet(
        slack,
        sheet_csv(2, row2={"primary_texts": "One|Two"}, row3={"video": "cut-b.mp4"}),
    )
    ack = slack.submit_view(
        user=REQUESTER,
        view_id=view["id"],
        values={CampaignBulk.SHEET_BLOCK: [sheet], CampaignBulk.VIDEOS_BLOCK: [video]},
    )
    error = (ack or {}).get("errors", {}).get(str(CampaignBulk.SHEET_BLOCK), "")
    assert "row 3, videos: cut-b.mp4 is not attached below nor among the " in error, ack
    assert "row 2, primary_texts: 2 texts for 1 videos" in error
    assert graph.objects("campaign") == [] and nothing_sent_but_budget_reads(graph)


def test_videos_already_shared_in_the_channel_need_not_be_attached_again(
    slack, graph, bot, tmp_path
):
    """Alice shared cut-b.mp4 in #campaigns last week; her sheet names it and attaches only
    ainote2.mp4. A row naming a file shared nowhere AdBee can see is refused on its own line
    before anything reaches Meta, as is a link to a file in a channel AdBee is not in; fixed, the
    rows use the channel's cut-b.mp4 (uploaded to
    Meta once, as the attached one)."""
    cut_b = distinct_copy(ROOT_VIDEO, tmp_path / "cut-b.mp4").read_bytes()
    shared = slack.upload_file(
        user=REQUESTER,
        filename="cut-b.mp4",
        content=cut_b,
        filetype="mp4",
        mimetype="video/mp4",
        channel=CAMPAIGNS,
    )
    slack.add_channel("C_DESIGN", "design", bot_member=False)
    hidden = slack.upload_file(
        user=REQUESTER,
        filename="cut-c.mp4",
        content=cut_b,
        filetype="mp4",
        mimetype="video/mp4",
        channel="C_DESIGN",
    )
    video = upload_video(slack)
    view = open_bulk_form(slack)
    sheet = upload_sheet(
        slack,
        sheet_csv(
            4,
            row3={"video": "cut-b.mp4"},
            row4={"video": "clips/cut-c.mp4"},
            row5={"video": f"https://adbee.slack.com/files/{REQUESTER}/{hidden}/cut-c.mp4"},
        ),
    )
    ack = slack.submit_view(
        user=REQUESTER,
        view_id=view["id"],
        values={CampaignBulk.SHEET_BLOCK: [sheet], CampaignBulk.VIDEOS_BLOCK: [video]},
    )
    error = (ack or {}).get("errors", {}).get(str(CampaignBulk.SHEET_BLOCK), "")
    assert "2 problem(s)" in error, ack
    assert "row 4, videos: cut-c.mp4 is not attached below nor among the 300 most recent " in error
    assert "row 5, videos: AdBee cannot read the Slack file https://adbee.slack.com/files/" in error
    assert f"/{hidden}/cut-c.mp4 (not_visible)" in error
    assert graph.objects("campaign") == [] and nothing_sent_but_budget_reads(graph)

    fixed = upload_sheet(
        slack, sheet_csv(3, row3={"video": "cut-b.mp4"}, row4={"video": "cut-b.mp4"})
    )
    ack = slack.submit_view(
        user=REQUESTER,
        view_id=view["id"],
        values={CampaignBulk.SHEET_BLOCK: [fixed], CampaignBulk.VIDEOS_BLOCK: [video]},
    )
    assert not (ack or {}).get("errors"), ack
    slack.wait_until(lambda: len(approve_buttons(slack)) == 3, timeout=120)
    assert len(graph.objects("campaign")) == 3 and len(graph.objects("ad")) == 3
    uploads = graph.objects("advideo", include_deleted=True)
    assert len(uploads) == 2, "ainote2.mp4 and the channel's cut-b.mp4, each uploaded once"
    assert any(shared in d["path"] for d in slack.downloads), "the channel's file was read"


def batch_messages(slack) -> list[tuple[dict, dict]]:
    """Each batch message in the channel with its Approve all button, oldest first."""
    return [
        (message, element)
        for message in slack.messages(CAMPAIGNS)
        for block in message.get("blocks", [])
        for element in block.get("elements", []) or []
        if element.get("action_id") == CampaignBulk.APPROVE_ALL
    ]


def test_one_click_approves_a_bulk_spread_over_two_messages_and_a_refused_row_is_named(
    slack, graph, bot
):
    """Twenty-two rows are two batch messages (twenty rows a message). Row 23 names a ZIP
    archive disguised as ad.mp4: refused after the ack, its reply in the batch thread says which
    row. Bob clicks Approve all once, in the second message: the twenty-one campaigns of both
    messages are approved, and his reply lists every row."""
    video = upload_video(slack)
    disguised = upload_disguised(slack)
    view = open_bulk_form(slack)
    sheet = upload_sheet(slack, sheet_csv(22, row23={"video": "ad.mp4"}))
    ack = slack.submit_view(
        user=REQUESTER,
        view_id=view["id"],
        values={CampaignBulk.SHEET_BLOCK: [sheet], CampaignBulk.VIDEOS_BLOCK: [video, disguised]},
    )
    assert not (ack or {}).get("errors"), ack

    slack.wait_until(lambda: len(approve_buttons(slack)) == 21, timeout=240)
    (first, first_all), (second, second_all) = batch_messages(slack)
    assert len(row_lines(first)) == 20 and len(row_lines(second)) == 2
    assert {b["text"]["text"] for b in (first_all, second_all)} == {"Approve all 22"}
    assert first_all["value"] == second_all["value"] and len(second_all["value"]) < 100

    refusal = slack.wait_until(
        lambda: next(
            (m for m in slack.thread(CAMPAIGNS, second["ts"]) if "Not created" in m["text"]),
            None,
        ),
        timeout=60,
    )
    assert refusal["text"].startswith(":x: row 23 (AINOTE2 bulk 22): Not created: "), refusal
    assert "ZIP" in refusal["text"]
    shown = slack.wait_until(
        lambda: (v := slack.view(view["id"]))["callback_id"].endswith("-refused") and v,
        timeout=30,
    )  # Alice stays in the bulk flow: her modal names the row, the others go on
    assert shown["title"]["text"] == "Bulk launch" and not shown.get("submit")
    assert "*row 23* (AINOTE2 bulk 22): " in str(shown["blocks"]) and "ZIP" in str(shown["blocks"])
    assert "21 other rows go on" in str(shown["blocks"])
    slack.wait_until(
        lambda: "not created" in row_lines(slack.message(CAMPAIGNS, second["ts"]))[1], timeout=30
    )

    slack.click_button(
        user=APPROVER,
        channel=CAMPAIGNS,
        message_ts=second["ts"],
        action_id=str(CampaignBulk.APPROVE_ALL),
        value=second_all["value"],
    )
    reply = slack.wait_until(
        lambda: next(
            (
                m
                for m in slack.thread(CAMPAIGNS, second["ts"])
                if "campaigns of this batch" in m.get("text", "")
            ),
            None,
        ),
        timeout=60,
    )
    assert reply["text"] == (
        f"<@{APPROVER}> approved 21 of 22 campaigns of this batch. Not approved: row 23."
    )
    lines = [line for b in reply["blocks"] for line in b["text"]["text"].splitlines()][1:]
    assert len(lines) == 22 and all(line.endswith(": approved") for line in lines[:21])
    assert lines[21].startswith(":warning: row 23 *AINOTE2 bulk 22*: not created: ")
    assert not [m for m in slack.thread(CAMPAIGNS, first["ts"])[1:] if "approved" in m["text"]]
    statuses = [c.status for c in bot.services.store.list_campaigns(limit=None)]
    assert len(statuses) == 21 and set(statuses) == {Status.SCHEDULED}
    for message in (first, second):  # both messages show their rows approved
        slack.wait_until(
            lambda m=message: all(
                "approved by" in line or "not created" in line
                for line in row_lines(slack.message(CAMPAIGNS, m["ts"]))
            ),
            timeout=30,
        )
    assert approve_buttons(slack) == {}


def test_rows_whose_names_were_taken_after_the_check_are_refused_on_their_rows_only(
    slack, graph, bot
):
    """Alice's first sheet made AINOTE2 bulk 1 and 2. Her next sheet repeats those two names
    beside a new one; each row is created on its own once the sheet passed, so the two taken
    names are refused on their rows (named in the batch thread and in her bulk modal, which
    stays the bulk's), nothing is doubled in Meta, and the third row is created."""
    video = upload_video(slack)
    view = open_bulk_form(slack)
    ack = slack.submit_view(
        user=REQUESTER,
        view_id=view["id"],
        values={
            CampaignBulk.SHEET_BLOCK: [upload_sheet(slack, sheet_csv(2))],
            CampaignBulk.VIDEOS_BLOCK: [video],
        },
    )
    assert not (ack or {}).get("errors"), ack
    slack.wait_until(lambda: len(approve_buttons(slack)) == 2, timeout=120)

    view = open_bulk_form(slack)
    ack = slack.submit_view(
        user=REQUESTER,
        view_id=view["id"],
        values={
            CampaignBulk.SHEET_BLOCK: [upload_sheet(slack, sheet_csv(3))],
            CampaignBulk.VIDEOS_BLOCK: [video],
        },
    )
    assert not (ack or {}).get("errors"), ack
    slack.wait_until(lambda: len(approve_buttons(slack)) == 3, timeout=120)
    second, _approve_all = batch_messages(slack)[-1]
    refusals = slack.wait_until(
        lambda: (
            (
                found := [
                    m["text"]
                    for m in slack.thread(CAMPAIGNS, second["ts"])
                    if "Not created" in m["text"]
                ]
            )
            and len(found) == 2
            and found
        ),
        timeout=60,
    )
    assert sorted(r.split(": Not created: ")[0] for r in refusals) == [
        ":x: row 2 (AINOTE2 bulk 1)",
        ":x: row 3 (AINOTE2 bulk 2)",
    ]
    assert all("already exists in iflytek-sg" in r for r in refusals), refusals
    lines = slack.wait_until(
        lambda: (
            (found := row_lines(slack.message(CAMPAIGNS, second["ts"])))
            and sum("not created" in line for line in found) == 2
            and found
        ),
        timeout=30,
    )
    assert "ready for approval" in lines[2] and "AINOTE2 bulk 3" in lines[2]

    shown = slack.wait_until(
        lambda: (v := slack.view(view["id"]))["callback_id"].endswith("-refused") and v,
        timeout=30,
    )
    text = str(shown["blocks"])
    assert "2 of the 3 rows were not created" in text and "1 other rows go on" in text
    assert "*row 2* (AINOTE2 bulk 1): " in text and "*row 3* (AINOTE2 bulk 2): " in text
    assert shown["title"]["text"] == "Bulk launch", "not the single-campaign form"

    names = sorted(c.name for c in bot.services.store.list_campaigns(limit=None))
    assert names == ["AINOTE2 bulk 1", "AINOTE2 bulk 2", "AINOTE2 bulk 3"]
    assert len(graph.objects("campaign")) == 3 and len(graph.objects("ad")) == 3
