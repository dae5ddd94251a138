"""`python -m bot health` tells the truth: each dependency broken in turn, and the probe.

Meta is the Graph API emulator (its ``/debug_token`` reports the token's expiry and scopes),
Slack the Slack emulator, the database a real SQLite file made by the bot's own start-up step
(or a stopped PostgreSQL address). Exit codes: 0 healthy, 1 degraded, 2 down.
"""

from __future__ import annotations

import io
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.runner import RunningBot, health, probe, start_bot
from bot.settings import Settings
from sandbox.graph_emulator import GraphEmulator
from sandbox.seeding import SANDBOX_META_TOKEN
from sandbox.slack_emulator import SlackEmulator
from storage.db import create_schema, make_engine, make_session_factory
from storage.repository import CampaignStore
from tests.e2e.conftest import ROOT, bot_settings, new_slack

STOPPED_POSTGRES = "postgresql://adbee:secret@127.0.0.1:9/adbee"


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with new_slack() as emulator:
        yield emulator


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "adbee.db"
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)  # what the bot does at its first start
    engine.dispose()
    return path


def settings(slack: SlackEmulator, graph: GraphEmulator, db: Path, **extra: object) -> Settings:
    return bot_settings(slack, graph, db, **{"meta_api_version": "v26.0", **extra})


def check(settings: Settings, **kwargs: object) -> tuple[int, str]:
    out = io.StringIO()
    code = health(settings, out=out, base_dir=ROOT, **kwargs)  # type: ignore[arg-type]
    return code, out.getvalue()


def test_everything_working_is_healthy(slack, graph, db):
    code, out = check(settings(slack, graph, db))
    assert code == 0, out
    first = out.splitlines()[0]
    assert first.startswith("healthy: settings complete, 3 accounts, database ok (schema ")
    assert "Meta token valid (never expires)" in first and "Slack token valid" in first


def test_no_env_at_all_is_down_like_the_bot_that_would_exit_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no .env here
    for key in ("META_ACCESS_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "CAMPAIGNS_CHANNEL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("ACCOUNTS_FILE", str(ROOT / "configs/accounts.yaml"))
    out = io.StringIO()
    assert main(["health"], out=out) == 2
    text = out.getvalue()
    assert text.startswith("down:")
    assert "settings incomplete, the bot would not start: SLACK_BOT_TOKEN; SLACK_APP_TOKEN" in text
    assert not (tmp_path / "data").exists()  # health created nothing


def test_a_missing_database_file_is_down_and_not_created(slack, graph, tmp_path):
    missing = tmp_path / "gone.db"
    code, out = check(settings(slack, graph, missing))
    assert code == 2
    assert f"down: the database file {missing} does not exist (health created nothing)" in out
    assert not missing.exists()


def test_a_stopped_database_is_down(slack, graph, db):
    code, out = check(settings(slack, graph, db, database_url=STOPPED_POSTGRES))
    assert code == 2
    assert "down: the database does not answer" in out
    assert "secret" not in out


def test_a_database_not_migrated_to_head_is_down(slack, graph, tmp_path):
    from tests.storage.test_schema_upgrades import previous_release_database

    path = tmp_path / "old.db"
    previous_release_database(f"sqlite:///{path}")
    code, out = check(settings(slack, graph, path))
    assert code == 2
    assert "the database is at schema revision none, this AdBee needs" in out


def test_an_expired_meta_token_is_down_even_with_no_campaign_syncing(slack, graph, db):
    graph.add_token(SANDBOX_META_TOKEN, expires_at=time.time() - 60)
    code, out = check(settings(slack, graph, db))
    assert code == 2
    assert "down: Meta refuses the token" in out
    assert "renew the system-user token" in out


def test_a_token_expiring_within_a_week_is_degraded_with_its_date(slack, graph, db):
    expires = time.time() + 3 * 86_400 + 600
    graph.add_token(SANDBOX_META_TOKEN, expires_at=expires)
    code, out = check(settings(slack, graph, db))
    assert code == 1
    when = datetime.fromtimestamp(int(expires), UTC)
    assert f"degraded: the Meta token expires {when:%Y-%m-%d %H:%M} UTC (in 3 days)" in out


def test_a_token_missing_a_permission_is_down_and_names_it(slack, graph, db):
    graph.add_token(SANDBOX_META_TOKEN, scopes=["ads_read", "business_management"])
    code, out = check(settings(slack, graph, db))
    assert code == 2
    assert "down: the Meta token lacks ads_management" in out


def test_a_wrong_slack_token_is_down(slack, graph, db):
    code, out = check(settings(slack, graph, db, slack_bot_token="xoxb-0-wrong"))
    assert code == 2
    assert "down: Slack refuses SLACK_BOT_TOKEN (invalid_auth)" in out


def test_alerts_stuck_in_the_outbox_are_degraded(slack, graph, db):
    engine = make_engine(f"sqlite:///{db}")
    store = CampaignStore(make_session_factory(engine))
    store.enqueue_alert(kind="meta_auth", dedupe_key="x", payload={"detail": "d"})
    engine.dispose()
    later = lambda: datetime.now(UTC) + timedelta(minutes=20)  # noqa: E731
    code, out = check(settings(slack, graph, db), clock=later)
    assert code == 1
    assert "degraded: 1 alert(s) stuck in the outbox, the oldest for 20 min" in out


def test_an_api_version_near_its_expiry_is_degraded(slack, graph, db):
    soon = lambda: datetime(2027, 2, 1, 9, 0, tzinfo=UTC)  # noqa: E731
    code, out = check(settings(slack, graph, db, meta_api_version="v25.0"), clock=soon)
    assert code == 1, out  # degraded: alive, and a restart would not help
    assert "degraded: META_API_VERSION=v25.0 expires on 2027-02-23 (in 22 days)" in out


def test_json_for_machines(slack, graph, db):
    out = io.StringIO()
    code = health(settings(slack, graph, db), out=out, base_dir=ROOT, as_json=True)
    report = json.loads(out.getvalue())
    assert code == 0 and report["status"] == "healthy"
    names = {c["name"] for c in report["checks"]}
    assert names >= {"settings", "accounts", "database", "outbox", "meta_token", "slack"}
    assert all(c["status"] == "ok" for c in report["checks"])


@pytest.fixture
def running(slack, graph, tmp_path, monkeypatch) -> Iterator[RunningBot]:
    monkeypatch.chdir(ROOT)
    bot = start_bot(settings(slack, graph, tmp_path / "adbee.db", health_port=0), base_dir=ROOT)
    slack.wait_for_connection(timeout=10)
    yield bot
    slack.close_handler(bot.handler)
    bot.stop()


def get(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_the_probe_sees_the_socket_and_the_scheduler_and_answers_503_when_down(running):
    assert running.health is not None
    port = running.health.port
    status, body = get(port)
    assert status == 200 and body["status"] == "healthy", body
    details = {c["name"]: c["detail"] for c in body["checks"]}
    assert "connected" in details["slack"]
    assert details["scheduler"].startswith(("scheduler ran", "scheduler started"))

    out = io.StringIO()
    assert probe(running.services.settings.model_copy(update={"health_port": port}), out=out) == 0

    running.scheduling.scheduler.shutdown()  # the scheduler thread is gone
    status, body = get(port)
    assert status == 503 and body["status"] == "down"
    assert any(c["name"] == "scheduler" and c["status"] == "down" for c in body["checks"]), body
    out = io.StringIO()
    assert probe(running.services.settings.model_copy(update={"health_port": port}), out=out) == 1
    assert "down: the bot's scheduler is not running" in out.getvalue()
