"""Nothing accepted is lost: kill -9 and SIGTERM hit the real bot (``python -m bot``) mid-request.

Each story submits the create modal in the Slack emulator, lets the bot process (a subprocess
against both emulators, on a SQLite file) reach the moment that hurts most, kills or stops it
from outside, starts it again on the same database and checks the promise the modal made
("AdBee is creating…"): every accepted request ends as exactly one set of Meta objects (counted
in the Graph emulator, deleted ones included) and one message with Approve/Reject, or an honest
failure that says what to do.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest

from handlers.ids import CampaignAction, CampaignBulk
from handlers.ids import CampaignCreateBlock as B
from sandbox.graph_emulator import Fault, GraphEmulator
from sandbox.slack_emulator import SlackEmulator
from tests.e2e.conftest import CAMPAIGNS, REQUESTER, new_slack
from tests.e2e.test_bulk_launch import approve_buttons, sheet_csv
from tests.e2e.test_campaign_story import good_values, upload_video
from tests.media import make_test_image
from tests.reliability.bot_process import BotProcess, bot_env, bot_process, rows

pytestmark = pytest.mark.reliability

KINDS = ("campaign", "adset", "adcreative", "ad")


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with new_slack() as emulator:
        yield emulator


def submit_form(slack: SlackEmulator, name: str, file_id: str | None = None) -> dict:
    """Alice opens /campaign create, attaches the video (uploads it unless ``file_id``), submits
    and closes the modal it shows then; returns that modal."""
    slack.slash_command(user=REQUESTER, channel=CAMPAIGNS, command="/campaign", text="create")
    view = slack.wait_for_view(user=REQUESTER, timeout=30)
    values = {**good_values(file_id or upload_video(slack)), B.NAME: name}
    slack.submit_view(user=REQUESTER, view_id=view["id"], values=values, timeout=30)
    shown = slack.view(view["id"])
    slack.close_view(REQUESTER, view["id"])
    return shown


def approval_messages(slack: SlackEmulator) -> list[dict]:
    return [
        m
        for m in slack.messages(CAMPAIGNS)
        if any(
            element.get("action_id") == CampaignAction.APPROVE
            for block in m.get("blocks", [])
            for element in block.get("elements", []) or []
        )
    ]


def wait_for_approvals(slack: SlackEmulator, names: list[str], bot: BotProcess) -> None:
    def ready() -> bool:
        assert bot.alive(), bot.output
        shown = " ".join(str(m) for m in approval_messages(slack))
        return all(name in shown for name in names)

    slack.wait_until(ready, timeout=60, interval=0.2)


def assert_one_set_each(graph: GraphEmulator, slack: SlackEmulator, names: list[str]) -> None:
    """Exactly one campaign (and ad set, creative, ad) per request, none made twice."""
    for kind in KINDS:
        made = graph.objects(kind, include_deleted=True)
        assert len(made) == len(names), (kind, [o.get("name") for o in made])
        assert len(graph.objects(kind)) == len(names), kind
    # Each typed name once, inside the account's naming template (docs/creative-controls.md).
    made_names = [c["name"] for c in graph.objects("campaign")]
    assert all(
        sum(made == name or f"_{name}_" in made for made in made_names) == 1 for name in names
    ), made_names
    # Every request attached the same file: one upload for the account, shared by content.
    videos = graph.objects("advideo", include_deleted=True)
    assert len(videos) == 1, [(v.get("id"), v.get("title"), v.get("status")) for v in videos]
    assert all(c["status"] == "PAUSED" for c in graph.objects("campaign"))
    for name in names:  # one approval card per request, and the one message its creation ran in
        cards = [m for m in approval_messages(slack) if name in str(m)]
        assert len(cards) == 1, cards
        others = [m for m in slack.messages(CAMPAIGNS) if name in str(m) and m not in cards]
        assert len(others) <= 1, others


def _wait(slack: SlackEmulator, bot: BotProcess, what: Callable[[], object], why: str) -> None:
    def reached() -> object:
        assert bot.alive(), bot.output
        return what()

    slack.wait_until(reached, timeout=60, interval=0.05, message=why)


def test_kill_9_during_the_slack_download_then_the_restart_creates_it_once(
    slack: SlackEmulator, graph: GraphEmulator, tmp_path: Path
) -> None:
    env = bot_env(slack, graph, tmp_path)
    db = tmp_path / "adbee.db"
    slack.file_download_seconds = 60  # a big video over a slow link
    with bot_process(slack, env, tmp_path / "bot-1.log") as bot:
        modal = submit_form(slack, "Download crash SG")
        assert "creating" in str(modal).lower(), modal  # the promise the user was given
        _wait(
            slack,
            bot,
            lambda: [d for d in slack.file_downloads() if not d["finished"]],
            "the download never started",
        )
        bot.kill()
    assert rows(db, "campaigns") == []  # the crash came before the creation was recorded
    assert graph.objects("campaign") == []

    slack.file_download_seconds = 0
    with bot_process(slack, env, tmp_path / "bot-2.log") as bot:
        wait_for_approvals(slack, ["Download crash SG"], bot)
    assert_one_set_each(graph, slack, ["Download crash SG"])
    [request] = rows(db, "creation_requests")
    assert request["status"] == "started" and request["claimed_by"] is None


def _mid_upload(graph: GraphEmulator, db: Path) -> bool:
    videos = [r for r in rows(db, "meta_objects") if r["kind"] == "video"]
    session = json.loads((videos[-1] if videos else {}).get("upload_session") or "null")
    return bool(session) and 0 < int(session["next_offset"]) < int(session["file_size"])


def _processing(graph: GraphEmulator, db: Path) -> bool:
    """The video is uploaded and the creation parked while Meta processes it (no lease held).

    Not read from the row's step: that is whichever branch wrote last, often the ad set's
    ``create_adset`` after the video's ``wait_for_processing``, and waiting for the latter then
    timed out now and then (a clean CI run once).
    """
    row = (rows(db, "campaigns") or [{}])[-1]
    videos = [r for r in rows(db, "meta_objects") if r["kind"] == "video"]
    parked = row.get("status") == "creating" and row.get("claimed_by") is None
    return parked and bool(videos and videos[-1]["meta_id"])


@pytest.mark.parametrize("moment", ["mid_upload", "after_upload"])
def test_kill_9_mid_creation_with_the_kept_video_lost_still_ends_with_one_campaign(
    moment: str, slack: SlackEmulator, graph: GraphEmulator, tmp_path: Path
) -> None:
    """The upload folder goes with the container (or the replica that takes over lacks it).

    Mid-upload the video is fetched from Slack again (the request recorded its file id) and the
    saved session carries on; after the upload, Meta's copy is all the creation needs.
    """
    env = bot_env(slack, graph, tmp_path)
    db = tmp_path / "adbee.db"
    if moment == "mid_upload":  # seven small chunks, each answer held back a little
        graph.chunk_size = 16 * 1024
        graph.inject(
            Fault(delay_after_ms=300, path_contains="/advideos", method="POST", times=None)
        )
        reached = _mid_upload
    else:
        graph.video_processing_seconds = 600
        reached = _processing
    with bot_process(slack, env, tmp_path / "bot-1.log") as bot:
        submit_form(slack, "Upload crash SG")
        _wait(slack, bot, lambda: reached(graph, db), f"never reached {moment}")
        bot.kill()
    shutil.rmtree(tmp_path / "uploads")  # the kept video is lost with the container's disk
    graph.clear_faults()
    graph.video_processing_seconds = 0.2

    with bot_process(slack, env, tmp_path / "bot-2.log") as bot:
        wait_for_approvals(slack, ["Upload crash SG"], bot)
    assert_one_set_each(graph, slack, ["Upload crash SG"])
    [row] = rows(db, "campaigns")
    assert row["status"] == "created" and row["error"] is None, row
    assert len(graph.objects("advideo", include_deleted=True)) == 1  # the upload was resumed


def _all_processing(graph: GraphEmulator, db: Path, count: int) -> bool:
    """``count`` creations wait for Meta's processing, each video uploaded, none holding a lease
    (parked: the one worker is free), and the shared watch reads their status in one batch request."""
    campaigns = rows(db, "campaigns")
    videos = [r for r in rows(db, "meta_objects") if r["kind"] == "video" and r["meta_id"]]
    watched = {v["meta_id"] for v in videos}
    read = any(  # the shared watch's batch request reads every video in processing
        r.method == "POST" and all(v in r.body.get("batch", "") for v in watched)
        for r in graph.requests
    )
    return (
        len(campaigns) == count
        # (the row's step is the last either branch reached: the ad set's, often)
        and all(r["status"] == "creating" and r["claimed_by"] is None for r in campaigns)
        and {v["campaign_id"] for v in videos} == {c["id"] for c in campaigns}
        and read
    )


def test_kill_9_while_three_creations_wait_for_processing_with_one_worker_creates_each_once(
    slack: SlackEmulator, graph: GraphEmulator, tmp_path: Path
) -> None:
    """Meta's processing holds no worker: with WORKER_THREADS=1 all three creations upload and
    wait side by side, then kill -9 mid-wait; the restart carries each on from its creative."""
    env = bot_env(slack, graph, tmp_path, WORKER_THREADS="1")
    db = tmp_path / "adbee.db"
    names = ["Parked one SG", "Parked two SG", "Parked three SG"]
    graph.video_processing_seconds = 600
    with bot_process(slack, env, tmp_path / "bot-1.log") as bot:
        for name in names:
            assert "creating" in str(submit_form(slack, name)).lower()
        _wait(
            slack,
            bot,
            lambda: _all_processing(graph, db, len(names)),
            "the three never waited for processing side by side",
        )
        bot.kill()
    assert all(r["status"] == "creating" for r in rows(db, "campaigns"))
    assert graph.objects("adcreative") == []

    graph.video_processing_seconds = 0.2
    with bot_process(slack, env, tmp_path / "bot-2.log") as bot:
        wait_for_approvals(slack, names, bot)
    assert_one_set_each(graph, slack, names)
    assert len(graph.objects("advideo", include_deleted=True)) == 1  # one film, uploaded once


def _in_adset_call(graph: GraphEmulator, db: Path) -> bool:
    return any(r.method == "POST" and r.path.endswith("/adsets") for r in graph.requests)


@pytest.mark.parametrize("moment", ["processing", "inside_a_meta_call"])
def test_sigterm_with_creations_queued_stops_within_the_grace_and_the_restart_finishes_all(
    moment: str, slack: SlackEmulator, graph: GraphEmulator, tmp_path: Path
) -> None:
    """A deploy with one worker and three requests.

    ``processing``: all three wait while Meta processes their videos (600 s), parked, with no
    worker held, so the stop is at once (default grace, 8 s) and all three rows are left
    ``creating`` with no lease. ``inside_a_meta_call``: one creation is running, two wait for the
    worker; Meta applied its ad set but holds the answer back for 60 s; no checkpoint comes, so
    the grace (2 s here) bounds the stop, the lease is released at the deadline, and the restart
    finds that ad set instead of making a second one.
    """
    extra = {"WORKER_THREADS": "1"}
    names = ["Deploy one SG", "Deploy two SG", "Deploy three SG"]
    reached: Callable[[GraphEmulator, Path], bool] = partial(_all_processing, count=len(names))
    if moment == "inside_a_meta_call":
        extra["SHUTDOWN_GRACE_SECONDS"] = "2"
        graph.inject(Fault(delay_after_ms=60_000, path_contains="/adsets", method="POST"))
        # The shared upload is still going when the stop comes (it runs beside the ad set):
        # the restart must carry on the owner's upload, not wait 20 s and send it again.
        graph.chunk_size = 16 * 1024
        graph.inject(
            Fault(delay_after_ms=1500, path_contains="/advideos", method="POST", times=None)
        )
        # Stopped once the upload session is saved and some chunks are in: a stop while Meta
        # still holds the answer to the upload's start is a lost create (the orphan is deleted
        # and the video sent again, as the kill -9 [upload_start] story shows), not this story.
        reached = lambda g, d: _in_adset_call(g, d) and _mid_upload(g, d)  # noqa: E731

    env = bot_env(slack, graph, tmp_path, **extra)
    db = tmp_path / "adbee.db"
    graph.video_processing_seconds = 600  # far longer than any grace
    with bot_process(slack, env, tmp_path / "bot-1.log") as bot:
        for name in names:
            assert "creating" in str(submit_form(slack, name)).lower()
        _wait(slack, bot, lambda: reached(graph, db), f"the first never reached {moment}")
        stopped_in = bot.terminate(timeout=30)
    print(f"\nSIGTERM to exit ({moment}): {stopped_in:.2f} s")
    assert bot.process.returncode == 0, bot.output
    campaigns = rows(db, "campaigns")
    requests = rows(db, "creation_requests")
    if moment == "processing":  # all three parked: nothing was running
        assert [r["status"] for r in requests] == ["started"] * 3
    else:
        assert [r["status"] for r in requests] == ["started", "queued", "queued"]  # handed back
    assert len(campaigns) == (3 if moment == "processing" else 1)
    for campaign in campaigns:  # checkpointed
        assert campaign["status"] == "creating" and campaign["claimed_by"] is None, campaign
    assert all(r["claimed_by"] is None for r in requests)

    graph.clear_faults()
    graph.video_processing_seconds = 0.2
    with bot_process(slack, env, tmp_path / "bot-2.log") as bot:
        wait_for_approvals(slack, names, bot)
    assert_one_set_each(graph, slack, names)
    assert all(r["status"] == "created" for r in rows(db, "campaigns"))


def test_when_slack_lost_the_video_too_the_thread_asks_for_it_and_a_resubmission_continues(
    slack: SlackEmulator, graph: GraphEmulator, tmp_path: Path
) -> None:
    env = bot_env(slack, graph, tmp_path)
    db = tmp_path / "adbee.db"
    graph.chunk_size = 16 * 1024
    graph.inject(Fault(delay_after_ms=300, path_contains="/advideos", method="POST", times=None))
    video = upload_video(slack)
    with bot_process(slack, env, tmp_path / "bot-1.log") as bot:
        submit_form(slack, "Lost video SG", video)
        _wait(slack, bot, lambda: _mid_upload(graph, db), "never reached mid-upload")
        bot.kill()
    shutil.rmtree(tmp_path / "uploads")
    slack.delete_file(video)  # Alice deleted it in Slack meanwhile
    graph.clear_faults()

    with bot_process(slack, env, tmp_path / "bot-2.log") as bot:
        [row] = rows(db, "campaigns")

        def asked() -> str | None:
            assert bot.alive(), bot.output
            replies = slack.thread(row["slack_channel"], row["slack_ts"])[1:]
            return next((r["text"] for r in replies if "attach the video" in r["text"]), None)

        said = slack.wait_until(asked, timeout=60, interval=0.2)
        assert "same name" in said and "unexpected error" not in said, said
        assert rows(db, "campaigns")[0]["status"] == "failed"

        submit_form(slack, "Lost video SG")  # Alice attaches the video again, same name
        wait_for_approvals(slack, ["Lost video SG"], bot)
    for kind in KINDS:
        assert len(graph.objects(kind, include_deleted=True)) == 1, kind
    [row] = rows(db, "campaigns")
    assert row["status"] == "created", row
    assert len(graph.objects("advideo")) == 1


def _image_posts(graph: GraphEmulator) -> int:
    return sum(1 for r in graph.requests if r.method == "POST" and r.path.endswith("/adimages"))


def test_kill_9_while_the_image_uploads_with_the_kept_image_lost_fetches_it_from_slack_again(
    slack: SlackEmulator, graph: GraphEmulator, tmp_path: Path
) -> None:
    """A video and a picture in one form; Meta stored the picture but its answer was on its way
    when the bot was killed, and the upload folder went with the container. The restart reads
    the picture from Slack again (the form's picture 1), finds Meta's image by its md5 instead
    of uploading it a second time, and finishes both ads."""
    env = bot_env(slack, graph, tmp_path)
    db = tmp_path / "adbee.db"
    picture = tmp_path / "ainote2-hero.jpg"
    make_test_image(picture, width=1080, height=1080)
    graph.inject(Fault(delay_after_ms=60_000, path_contains="/adimages", method="POST"))
    with bot_process(slack, env, tmp_path / "bot-1.log") as bot:
        slack.slash_command(user=REQUESTER, channel=CAMPAIGNS, command="/campaign", text="create")
        view = slack.wait_for_view(user=REQUESTER, timeout=30)
        image = slack.upload_file(
            user=REQUESTER,
            filename=picture.name,
            content=picture.read_bytes(),
            filetype="jpg",
            mimetype="image/jpeg",
        )
        values = {
            **good_values(upload_video(slack)),
            B.NAME: "Image crash SG",
        }
        values[B.VIDEO] = [*values[B.VIDEO], image]
        slack.submit_view(user=REQUESTER, view_id=view["id"], values=values, timeout=30)
        _wait(slack, bot, lambda: _image_posts(graph) == 1, "the picture was never sent")
        bot.kill()
    shutil.rmtree(tmp_path / "uploads")  # the kept picture is lost with the container's disk
    graph.clear_faults()

    with bot_process(slack, env, tmp_path / "bot-2.log") as bot:
        wait_for_approvals(slack, ["Image crash SG"], bot)
        assert "fetched image 1 from Slack again" in bot.output
    [row] = rows(db, "campaigns")
    assert row["status"] == "created" and row["error"] is None, row
    assert _image_posts(graph) == 1, "adopted by its md5, not uploaded twice"
    assert len(graph.objects("ad", include_deleted=True)) == 2


def test_kill_9_in_the_middle_of_a_ten_row_slack_bulk_resumes_in_its_one_batch_message(
    slack: SlackEmulator, graph: GraphEmulator, tmp_path: Path
) -> None:
    """Alice launches ten campaigns with /campaign bulk; the bot is killed while the ten wait
    for Meta's processing of their shared video. The restart carries each on in the same batch
    message: ten campaigns, none made twice, the video uploaded once, every row's Approve in that
    one message and no message of a row's own.

    (The kill waits until every request has become its campaign: a kill between a campaign's
    first row and its request's ``started`` is a window of its own, for single creations too.)"""
    env = bot_env(slack, graph, tmp_path)
    db = tmp_path / "adbee.db"
    graph.video_processing_seconds = 600
    with bot_process(slack, env, tmp_path / "bot-1.log") as bot:
        video = upload_video(slack)
        sheet = slack.upload_file(
            user=REQUESTER,
            filename="launches.csv",
            content=sheet_csv(10),
            filetype="csv",
            mimetype="text/csv",
        )
        slack.slash_command(user=REQUESTER, channel=CAMPAIGNS, command="/campaign", text="bulk")
        view = slack.wait_for_view(
            user=REQUESTER, timeout=30, callback_id=str(CampaignBulk.CALLBACK)
        )
        ack = slack.submit_view(
            user=REQUESTER,
            view_id=view["id"],
            values={CampaignBulk.SHEET_BLOCK: [sheet], CampaignBulk.VIDEOS_BLOCK: [video]},
            timeout=30,
        )
        assert not (ack or {}).get("errors"), ack
        _wait(
            slack,
            bot,
            lambda: (
                [r["status"] for r in rows(db, "creation_requests")] == ["started"] * 10
                and len(graph.objects("advideo")) == 1
                # the upload is finished and recorded: Meta has the video (a kill in the middle
                # of the upload is its own story, test_crash_recovery's)
                and [bool(r["meta_id"]) for r in rows(db, "shared_videos")] == [True]
            ),
            "the ten rows never all waited for Meta's processing",
        )
        bot.kill()
    assert len(rows(db, "creation_requests")) == 10
    assert all(r["status"] == "creating" for r in rows(db, "campaigns"))

    graph.video_processing_seconds = 0.2
    with bot_process(slack, env, tmp_path / "bot-2.log") as bot:
        _wait(slack, bot, lambda: len(approve_buttons(slack)) == 10, "not every row got Approve")
    names = [f"AINOTE2 bulk {n}" for n in range(1, 11)]
    for kind in KINDS:
        made = graph.objects(kind, include_deleted=True)
        assert len(made) == 10 and len(graph.objects(kind)) == 10, (kind, len(made))
    assert len(graph.objects("advideo", include_deleted=True)) == 1
    assert sorted(r["name"] for r in rows(db, "campaigns")) == sorted(names)  # each row once
    posted = [m for m in slack.messages(CAMPAIGNS) if m.get("bot_id")]
    assert len(posted) == 1, [m.get("text") for m in posted]  # the batch message, no other
    assert {ts for ts, _button in approve_buttons(slack).values()} == {posted[0]["ts"]}
