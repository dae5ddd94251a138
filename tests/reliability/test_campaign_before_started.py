"""kill -9 between a campaign's first row and its request's "started": one campaign, in its message.

A create request becomes its campaign in two writes: the campaign row is inserted, then the
request (``creation_requests``) is marked started with it. A process killed between the two
left a campaign being created and a request still queued; the restart resumed the campaign
(whose card was posted), then ran the request again, which found the name taken and told the
requester "already exists" in the message of the campaign it had just made.

The bot runs as its own process (``python -m bot``) on PostgreSQL, so that the test can stop it
at exactly that moment without any timing: the Slack emulator holds the video's download while
the test takes a row lock on the request (``SELECT ... FOR UPDATE`` in an open transaction),
then lets the download go. The campaign's insert goes through; the request's update waits for
the lock; the bot is killed there, and the lock rolled back.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import pytest

from handlers.ids import CampaignBulk
from sandbox.graph_emulator import GraphEmulator
from sandbox.slack_emulator import SlackEmulator
from tests.e2e.conftest import CAMPAIGNS, REQUESTER, new_slack
from tests.e2e.test_bulk_launch import approve_buttons, sheet_csv, upload_sheet
from tests.e2e.test_campaign_story import upload_video
from tests.reliability.bot_process import BotProcess, bot_env, bot_process
from tests.reliability.test_durable_requests import KINDS, approval_messages, submit_form

pytestmark = [pytest.mark.reliability, pytest.mark.postgres]
T = TypeVar("T")
NAME = "Orphan crash SG"


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with new_slack() as emulator:
        yield emulator


@pytest.fixture
def database() -> Iterator[str]:
    """A fresh, empty database on the server named by ADBEE_TEST_POSTGRES_URL, dropped after."""
    url = os.environ.get("ADBEE_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("ADBEE_TEST_POSTGRES_URL is not set; this story needs PostgreSQL's row locks")
    import psycopg

    try:
        admin = psycopg.connect(url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server reachable: {exc}".strip())
    name = f"adbee_test_{secrets.token_hex(4)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def query(url: str, sql: str, *args: object) -> list[dict[str, Any]]:
    """Read the bot's database as another process would (nothing, before its tables exist)."""
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(url, autocommit=True, row_factory=dict_row) as conn:
        try:
            return conn.execute(sql, args).fetchall()  # type: ignore[arg-type]
        except psycopg.errors.UndefinedTable:
            return []


def reach(slack: SlackEmulator, bot: BotProcess, what: Callable[[], T], why: str) -> T:
    def reached() -> T:
        assert bot.alive(), bot.output
        return what()

    return slack.wait_until(reached, timeout=60, interval=0.05, message=why)


def kill_between_the_insert_and_started(
    slack: SlackEmulator, bot: BotProcess, database: str, request_id: int
) -> None:
    """Hold request ``request_id``'s row locked (it is leased and counted, its download held)
    and let the download go: its campaign is inserted and its "started" waits for the lock.
    kill -9 the bot there, then roll the lock back."""
    import psycopg

    with psycopg.connect(database) as lock:  # a transaction, open until the rollback
        lock.execute("select id from creation_requests where id = %s for update", (request_id,))
        slack.release_file_downloads()
        [request] = query(database, "select form from creation_requests where id = %s", request_id)

        def stuck_after_the_insert() -> bool:
            made = query(
                database, "select id from campaigns where name = %s", request["form"]["name"]
            )
            waiting = query(
                database,
                "select query from pg_stat_activity where datname = current_database() "
                "and wait_event_type = 'Lock' and query ilike 'update creation_requests%%' "
                "and query ilike '%%campaign_id%%'",
            )
            return bool(made and waiting)

        reach(slack, bot, stuck_after_the_insert, "the insert never came before the lock")
        bot.kill()
        lock.rollback()


def test_kill_9_after_the_campaign_row_before_its_request_started_makes_it_once_in_its_message(
    slack: SlackEmulator, graph: GraphEmulator, tmp_path: Path, database: str
) -> None:
    env = bot_env(slack, graph, tmp_path, DATABASE_URL=database)
    slack.hold_file_downloads()
    with bot_process(slack, env, tmp_path / "bot-1.log") as bot:
        assert "creating" in str(submit_form(slack, NAME)).lower()  # the promise
        # Leased, counted and shown in its progress message; its video's download has begun.
        [request] = reach(
            slack,
            bot,
            lambda: [
                r
                for r in query(database, "select * from creation_requests")
                if r["attempts"] == 1 and r["slack_ts"] and slack.file_downloads()
            ],
            "the request never reached its download",
        )
        kill_between_the_insert_and_started(slack, bot, database, request["id"])
    [campaign] = query(database, "select * from campaigns")
    assert campaign["status"] == "creating", campaign
    [request] = query(database, "select * from creation_requests")
    assert request["status"] == "queued" and request["campaign_id"] is None, request

    # The order that hurt: the campaign is resumed to its card before the request's own run
    # (which downloads its video again) reaches the name; the download waits until it has.
    slack.hold_file_downloads()
    with bot_process(slack, env, tmp_path / "bot-2.log") as bot:
        reach(
            slack,
            bot,
            lambda: [m for m in approval_messages(slack) if NAME in str(m)],
            "the campaign never got its Approve",
        )
        slack.release_file_downloads()

        def settled() -> bool:
            """The request carried on, and the campaign's message is its card (recorded)."""
            carried_on = query(
                database, "select id from creation_requests where status <> 'queued'"
            )
            cards = {m["ts"] for m in approval_messages(slack) if NAME in str(m)}
            shown = query(database, "select slack_ts from campaigns where status = 'created'")
            return bool(carried_on) and any(row["slack_ts"] in cards for row in shown)

        reach(slack, bot, settled, "the request was never carried on, or the card not recorded")

        def said_how_it_ended() -> str:
            shown = str(slack.message(request["slack_channel"], request["slack_ts"]))
            return shown if "is ready" in shown or "Not created" in shown else ""

        ended = reach(slack, bot, said_how_it_ended, "the request's message never said the end")

    for kind in KINDS:  # one campaign in Meta, none made and deleted
        assert len(graph.objects(kind, include_deleted=True)) == 1, kind
    [campaign] = query(database, "select * from campaigns")
    assert campaign["status"] == "created", campaign
    [request] = query(database, "select * from creation_requests")
    assert request["status"] == "started", (request["status"], request["error"])
    assert request["campaign_id"] == campaign["id"]
    # Its card, as a normal creation's, posted under the request's message, which points at it.
    [card] = [m for m in approval_messages(slack) if NAME in str(m)]
    assert campaign["slack_channel"] == request["slack_channel"]
    assert campaign["slack_ts"] == card["ts"]
    assert "is ready" in ended and "Not created" not in ended, ended  # it points at the card
    said = [
        *slack.messages(CAMPAIGNS, include_replies=True),
        *slack.message_history(request["slack_channel"], request["slack_ts"]),
        *slack.ephemerals(REQUESTER),
    ]
    assert not [m for m in said if "already exists" in str(m)], said


def test_kill_9_after_a_bulk_rows_campaign_row_before_its_request_started_keeps_it_in_its_batch(
    slack: SlackEmulator, graph: GraphEmulator, tmp_path: Path, database: str
) -> None:
    """The same moment for row 1 of a two-row ``/campaign bulk``: every row is shown in the one
    batch message, so the row's name tells its campaign from the other row's."""
    env = bot_env(slack, graph, tmp_path, DATABASE_URL=database)
    names = ["AINOTE2 bulk 1", "AINOTE2 bulk 2"]
    slack.hold_file_downloads(named="ainote2.mp4")  # the rows' video; the sheet is read at once
    with bot_process(slack, env, tmp_path / "bot-1.log") as bot:
        video = upload_video(slack)
        sheet = upload_sheet(slack, sheet_csv(2))
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
        [first] = reach(
            slack,
            bot,
            lambda: [
                r
                for r in query(database, "select * from creation_requests")
                if r["form"]["name"] == names[0] and r["attempts"] == 1 and r["slack_ts"]
            ],
            "row 1 never started",
        )
        kill_between_the_insert_and_started(slack, bot, database, first["id"])
    [request] = query(database, "select * from creation_requests where id = %s", first["id"])
    assert request["status"] == "queued" and request["campaign_id"] is None, request

    slack.hold_file_downloads(named="ainote2.mp4")  # row 1's own run waits behind its campaign
    with bot_process(slack, env, tmp_path / "bot-2.log") as bot:
        reach(
            slack,
            bot,
            lambda: len(query(database, "select id from campaigns where status = 'created'")) == 2,
            "the two rows' campaigns were never both ready",
        )
        slack.release_file_downloads()

        def settled() -> bool:
            """Both requests carried on, and the batch shows each row's Approve or a refusal."""
            queued = query(database, "select id from creation_requests where status = 'queued'")
            said = str(slack.messages(CAMPAIGNS, include_replies=True))
            return not queued and (len(approve_buttons(slack)) == 2 or "Not created" in said)

        reach(slack, bot, settled, "the rows never settled in the batch message")

    for kind in KINDS:  # one campaign per row in Meta, none made and deleted
        assert len(graph.objects(kind, include_deleted=True)) == 2, kind
    campaigns = {r["name"]: r for r in query(database, "select * from campaigns")}
    assert sorted(campaigns) == names
    requests = query(database, "select * from creation_requests order by id")
    assert [(r["status"], r["error"]) for r in requests] == [("started", None)] * 2
    assert {r["form"]["name"]: r["campaign_id"] for r in requests} == {
        name: row["id"] for name, row in campaigns.items()
    }
    posted = [m for m in slack.messages(CAMPAIGNS) if m.get("bot_id")]
    assert len(posted) == 1, [m.get("text") for m in posted]  # the batch message, no other
    assert {ts for ts, _button in approve_buttons(slack).values()} == {posted[0]["ts"]}
    said = slack.messages(CAMPAIGNS, include_replies=True)
    assert not [m for m in said if "already exists" in str(m)], said
