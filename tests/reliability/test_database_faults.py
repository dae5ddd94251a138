"""The database goes away under a running bot process; nothing that was promised is dropped.

Each test runs the real bot (``python -m bot run``) against both emulators and breaks its
database from outside: another process holds an exclusive SQLite lock longer than SQLite's busy
timeout (``DATABASE_BUSY_TIMEOUT_SECONDS``, 4 s here, 30 s by default) at the moment a date job fires and a creation writes a step; a private
PostgreSQL server is stopped and started in the middle of a creation. Afterwards the campaign
due during the outage goes live and is announced, the creation ends ready for approval, the
outage is alerted once, and ``python -m bot health`` tells a frozen scheduler from a live one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from handlers.ids import CampaignAction
from handlers.ids import CampaignCreateBlock as B
from handlers.metadata import ActionMetadata
from sandbox.graph_emulator import Fault, GraphEmulator
from sandbox.slack_emulator import SlackEmulator
from tests.e2e.conftest import new_slack
from tests.e2e.test_campaign_story import good_values, open_form, upload_video
from tests.reliability.conftest import (
    ALERTS,
    APPROVER,
    CAMPAIGNS,
    REQUESTER,
    ROOT,
    new_graph,
    run_cli,
)
from tests.reliability.db_bot_process import (
    bot_env,
    bot_process,
    health,
    hold_exclusive_lock,
    private_postgres,
    read_rows,
    start_bot_process,
    wait_until,
)

pytestmark = pytest.mark.reliability

BUSY_TIMEOUT_SECONDS = 4  # the bot's SQLite busy timeout in this test (30 s by default)
# Longer than that busy timeout (every waiting writer gives up once), and long enough for the
# health probe started 6 s into it to read the database while it is still locked: the probe is
# a new process (imports, Meta's and Slack's token checks), and in a loaded CI run it read the
# heartbeat after a 10 s lock had already ended, so it reported the recovered bot as healthy.
LOCK_SECONDS = 16
HOLD_ADSET_MS = 8000  # Meta's answer to the ad set is held back this long (the lock comes first)


def _submit(slack: SlackEmulator, name: str) -> None:
    for old in reversed(slack.views(REQUESTER)):  # the "creating..." modal of the last one
        slack.close_view(REQUESTER, old["id"])
    view = open_form(slack)
    values = {**good_values(upload_video(slack)), B.NAME: name}
    slack.submit_view(user=REQUESTER, view_id=view["id"], values=values)


def _approve(slack: SlackEmulator, campaign: dict[str, Any]) -> None:
    slack.click_button(
        user=APPROVER,
        channel=CAMPAIGNS,
        message_ts=campaign["slack_ts"],
        action_id=CampaignAction.APPROVE,
        value=ActionMetadata(campaign_id=campaign["id"]).model_dump_json(),
    )


def _created_and_approved(slack: SlackEmulator, db: Db, name: str) -> dict[str, Any]:
    """Alice creates ``name`` for two days ahead; Bob approves it."""
    _submit(slack, name)
    wait_until(lambda: db.status(name) == "created", 30)
    row = _with_card(slack, lambda: db.campaign(name))
    _approve(slack, row)
    wait_until(lambda: db.status(name) == "scheduled")
    return row


def _with_card(
    slack: SlackEmulator, read: Callable[[], dict[str, Any] | None], timeout: float = 15
) -> dict[str, Any]:
    """The campaign's row once its approval card is posted and recorded as its message (the card
    is a message of its own, posted after the row says "created")."""

    def carded() -> dict[str, Any] | None:
        row = read()
        return (
            row if row and row["slack_ts"] and _has_approve_button(slack, row["slack_ts"]) else None
        )

    return wait_until(carded, timeout)


def _campaign_threads(slack: SlackEmulator, name: str) -> str:
    """Every thread the campaign's messages hold: its progress message's (what the creation was
    told while it ran) and its approval card's."""
    return "\n".join(
        _thread_text(slack, m["ts"]) for m in slack.messages(CAMPAIGNS) if name in str(m)
    )


def _has_approve_button(slack: SlackEmulator, ts: str) -> bool:
    message = slack.message(CAMPAIGNS, ts)
    return any(
        element.get("action_id") == CampaignAction.APPROVE
        for block in message.get("blocks", [])
        for element in block.get("elements", []) or []
    )


class Db:
    def __init__(self, path: Path) -> None:
        self.path = path

    def campaign(self, name: str) -> dict[str, Any] | None:
        rows = read_rows(self.path, "select * from campaigns where name = ?", name)
        return rows[0] if rows else None

    def status(self, name: str) -> str | None:
        row = self.campaign(name)
        return row["status"] if row else None

    def job_fires_at(self, campaign_id: int) -> float | None:
        rows = read_rows(
            self.path,
            "select next_run_time from apscheduler_jobs where id = ?",
            f"activate-{campaign_id}",
        )
        return float(rows[0]["next_run_time"]) if rows else None


def _alerts(slack: SlackEmulator, *words: str) -> list[str]:
    return [m["text"] for m in slack.messages(ALERTS) if all(w in m["text"] for w in words)]


def _thread_text(slack: SlackEmulator, ts: str) -> str:
    return "\n".join(m.get("text", "") for m in slack.thread(CAMPAIGNS, ts))


def test_a_database_lock_at_a_start_time_delays_the_activation_and_the_creation_never_kills_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bob approved "Lock launch" for later, then moved it to a moment the database is locked;
    Alice's "Lock creation" writes its ad set under the same lock. Both carry on afterwards."""
    monkeypatch.chdir(ROOT)
    db_path = tmp_path / "adbee.db"
    db = Db(db_path)
    with new_graph() as graph, new_slack() as slack:
        env = bot_env(slack, graph, db_path)
        env["DATABASE_BUSY_TIMEOUT_SECONDS"] = str(BUSY_TIMEOUT_SECONDS)
        with bot_process(env, slack, tmp_path / "bot.log") as bot:
            launch, later = (
                _created_and_approved(slack, db, n) for n in ("Lock launch", "Later launch")
            )

            # Alice's creation: Meta applies the ad set, its answer is held back for a while.
            graph.inject(
                Fault(delay_after_ms=HOLD_ADSET_MS, path_contains="/adsets", method="POST")
            )
            _submit(slack, "Lock creation")
            wait_until(lambda: _adset_posts(graph) == 3, 30)
            asked = time.monotonic()

            # Bob moves the launch to two seconds after the lock begins.
            lock_at = asked + HOLD_ADSET_MS / 1000 - 2
            start = datetime.now(UTC) + timedelta(seconds=lock_at - time.monotonic() + 3)
            slack.slash_command(
                user=APPROVER,
                channel=CAMPAIGNS,
                command="/campaign",
                text=f"reschedule {launch['id']} {start.isoformat(timespec='seconds')}",
            )
            wait_until(lambda: (db.job_fires_at(launch["id"]) or 0) <= start.timestamp() + 1)
            assert time.monotonic() < lock_at, "the reschedule took too long to test the lock"
            time.sleep(lock_at - time.monotonic())

            lock = hold_exclusive_lock(db_path, LOCK_SECONDS)
            time.sleep(6)
            during, during_text = health(env)
            probed_within = time.monotonic() - lock.taken_at
            lock.wait()
            released = time.monotonic()

            # The launch due during the lock goes live and is announced, once.
            wait_until(lambda: db.status("Lock launch") == "active", 40)
            live_after = time.monotonic() - released
            wait_until(lambda: _alerts(slack, "Lock launch", "live"), 20)
            assert len(_alerts(slack, "Lock launch", "live")) == 1, slack.messages(ALERTS)
            # The scheduler still runs: a launch moved to a few seconds from now goes live.
            soon = datetime.now(UTC) + timedelta(seconds=3)
            slack.slash_command(
                user=APPROVER,
                channel=CAMPAIGNS,
                command="/campaign",
                text=f"reschedule {later['id']} {soon.isoformat(timespec='seconds')}",
            )
            wait_until(lambda: db.status("Later launch") == "active", 30)
            # The creation that wrote its ad set under the lock finished, ready for approval.
            wait_until(lambda: db.status("Lock creation") in ("created", "failed"), 40)
            creation = db.campaign("Lock creation")
            assert creation is not None and creation["status"] == "created", creation
            _with_card(slack, lambda: db.campaign("Lock creation"))
            assert "unexpected error" not in _campaign_threads(slack, "Lock creation")
            # The outage was told once in the alerts channel, and its end.
            wait_until(lambda: _alerts(slack, "can use its database again"), 20)
            assert len(_alerts(slack, "cannot use its database")) == 1, slack.messages(ALERTS)
            print(
                f"\nlock: {LOCK_SECONDS} s; launch live {live_after:.1f} s after the release "
                f"(seen by polling); health during the lock: {during_text.strip()!r}"
            )
            assert probed_within < LOCK_SECONDS, f"the health probe took {probed_within:.1f} s"
            assert during == 2 and "scheduler" in during_text, during_text  # 2: down

            # health: healthy now; a frozen bot (SIGSTOP) is reported, a thawed one healthy again.
            wait_until(lambda: health(env)[0] == 0, 20)
            bot.pause()
            try:
                time.sleep(5)  # > 3 beats of 1 s
                code, text = health(env)
            finally:
                bot.resume()
            assert code == 2, text  # down
            assert "last ran" in text and "Restart the bot" in text, text
            wait_until(lambda: health(env)[0] == 0, 20)


def _adset_posts(graph: GraphEmulator) -> int:
    return sum(
        1
        for r in graph.requests
        if r.method == "POST" and r.path.rstrip("/").endswith("/adsets") and r.status == 200
    )


def _pg_campaign(url: str, name: str) -> dict[str, Any] | None:
    import psycopg
    from psycopg.rows import dict_row

    try:
        with psycopg.connect(url, connect_timeout=2, row_factory=dict_row) as conn:
            return conn.execute("select * from campaigns where name = %s", (name,)).fetchone()
    except psycopg.Error:
        return None


def test_postgresql_restarts_during_creations_pause_them_and_they_finish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server restarts while Meta holds the ad set's answer: a short restart goes unnoticed;
    one longer than DATABASE_RETRY_SECONDS is reported with its cause and what AdBee will do,
    and AdBee does it (the creation finishes once the server is back)."""
    monkeypatch.chdir(ROOT)
    with private_postgres() as pg, new_graph() as graph, new_slack() as slack:
        env = bot_env(slack, graph, tmp_path / "unused.db", DATABASE_URL=pg.url)
        env["DATABASE_RETRY_SECONDS"] = "3"
        with bot_process(env, slack, tmp_path / "bot.log") as bot:
            for n, down in enumerate((0.0, 8.0), start=1):
                name = f"Restart creation {n}"
                graph.inject(Fault(delay_after_ms=1500, path_contains="/adsets", method="POST"))
                _submit(slack, name)
                wait_until(lambda n=n: _adset_posts(graph) == n, 30)
                time.sleep(0.5)
                pg.stop("fast")  # every connection dies; the ad set's answer arrives meanwhile
                time.sleep(max(down, 1.5))
                pg.start()
                back = time.monotonic()
                wait_until(
                    lambda name=name: (_pg_campaign(pg.url, name) or {}).get("status") == "created",
                    60,
                )
                _with_card(slack, lambda name=name: _pg_campaign(pg.url, name))
                thread = _campaign_threads(slack, name)
                assert "unexpected error" not in thread, thread
                if down > 3:
                    assert "the database was unavailable for" in thread, thread
                    assert "AdBee will resume this creation when it is back" in thread, thread
                else:
                    assert "unavailable" not in thread, thread
                assert len(graph.objects("adset")) == n, "no ad set was created twice"
                print(
                    f"\npostgres down {max(down, 1.5):.1f} s: creation {n} ready "
                    f"{time.monotonic() - back:.1f} s after the server was back (seen by polling)"
                )
            assert bot.process.poll() is None, bot.output()[-2000:]


def test_a_deleted_database_file_is_noticed_and_never_replaced_by_an_empty_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone deletes data/adbee.db under the running bot. Health says so and creates nothing;
    the bot stops with exit code 3 and tells the alerts channel; a restart refuses to start on
    an empty database while Meta holds AdBee's videos; `init-db` is the way to start afresh."""
    monkeypatch.chdir(ROOT)
    db_path = tmp_path / "adbee.db"
    db = Db(db_path)
    with new_graph() as graph, new_slack() as slack:
        env = bot_env(slack, graph, db_path)
        bot = start_bot_process(env, slack, tmp_path / "bot.log")
        try:
            _created_and_approved(slack, db, "Kept launch")
            wait_until(lambda: health(env)[0] == 0, 20)

            db_path.unlink()
            deleted = time.monotonic()
            code, text = health(env)
            assert code == 2 and "does not exist" in text, text  # down
            assert not db_path.exists(), "health must not create the database"

            assert bot.process.wait(timeout=30) == 3, bot.output()[-3000:]
            print(f"\ndeleted database: the bot exited 3 after {time.monotonic() - deleted:.1f} s")
            assert "was deleted while AdBee was running" in bot.output()
            wait_until(lambda: _alerts(slack, "database file is gone"), 10)
        finally:
            bot.stop()

        code, out = run_cli(env, "run", timeout=60)
        assert code == 2, out
        assert "AdBee has worked here before" in out and "AdBee uploaded" in out, out
        assert "init-db" in out, out
        assert not db_path.exists() or not read_rows(
            db_path, "select name from sqlite_master where name = 'campaigns'"
        ), "a refused start must not create the schema"

        code, out = run_cli(env, "init-db", timeout=60)
        assert code == 0, out
        with bot_process(env, slack, tmp_path / "bot-2.log"):
            wait_until(lambda: health(env)[0] == 0, 20)
