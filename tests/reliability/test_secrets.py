"""Tokens and the app secret never leave AdBee except to the service they belong to.

The flows run with distinctive secrets (a Meta token, a Meta app secret that makes every call
carry ``appsecret_proof``, the Slack bot and app tokens), through the CLI and the Slack bot,
successes and failures alike: validate, dry run, create, a permanent Meta error, a lost
connection, the Slack create flow, approval, activation, an alert, a Meta failure in the thread.
Then everything they left behind is searched: the log as production formats it (at DEBUG, urllib3
and the SDK included), every Slack message version, ephemeral, modal version, response_url post
and Web API call, the SQLite files, CLI output and error texts.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.logs import configure_logging
from handlers.ids import CampaignAction
from handlers.metadata import ActionMetadata
from jobs.activation import flush_alerts_job
from meta.domain.errors import AdBeeError
from sandbox.graph_emulator import Fault, GraphEmulator
from tests.e2e.test_campaign_story import approval_message, good_values, open_form, upload_video
from tests.reliability.conftest import (
    ALERTS,
    APPROVER,
    CAMPAIGNS,
    REQUESTER,
    ROOT,
    new_graph,
    world,
    write_campaign,
)

pytestmark = pytest.mark.reliability

# Shaped like a real Meta token (so the redaction patterns must catch it) but fake; assembled at
# run time so no token-looking literal sits in the repository.
META_TOKEN = "EAAG" + "m0PX4ZCpsBAGreatBigSecretMetaTokenZZ9x7Q"
APP_SECRET = "f00dfacecafe5ecret0123456789abcd"


@pytest.fixture
def production_log() -> Iterator[io.StringIO]:
    """The log exactly as ``configure_logging`` formats it, but at DEBUG for every library."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    noisy = {name: logging.getLogger(name).level for name in ("urllib3", "facebook_business")}
    configure_logging(logging.DEBUG)
    buffer = io.StringIO()
    root.handlers[0].setStream(buffer)  # type: ignore[attr-defined]
    for name in noisy:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        root.handlers[:], root.level = saved
        for name, level in noisy.items():
            logging.getLogger(name).setLevel(level)


def _leaks(text: str, secrets: list[str]) -> list[str]:
    return [secret for secret in secrets if secret in text]


def _cli(*argv: str) -> str:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return f"[exit {code}]\n{out.getvalue()}"


def test_the_cli_never_shows_or_stores_a_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, production_log: io.StringIO
) -> None:
    db = tmp_path / "adbee.db"
    with new_graph(META_TOKEN) as graph:
        graph.app_secret = APP_SECRET
        graph.video_processing_seconds = 0.1
        monkeypatch.chdir(ROOT)
        for key, value in {
            "META_ACCESS_TOKEN": META_TOKEN,
            "META_APP_SECRET": APP_SECRET,
            "META_GRAPH_URL": graph.url,
            "META_VIDEO_URL": graph.url,
            "META_API_VERSION": "v26.0",
            "DATABASE_URL": f"sqlite:///{db}",
            "VIDEO_POLL_INTERVAL": "0.05",
            "META_RETRY_BASE_DELAY": "0.01",
            "META_RETRY_ATTEMPTS": "2",
            "META_MAX_THROTTLE_WAIT": "1",
            "ADBEE_SANDBOX": "1",
        }.items():
            monkeypatch.setenv(key, value)
        outputs = []
        good = write_campaign(tmp_path, "good.yaml", name="Secrets CLI")
        outputs.append(_cli("validate", str(good)))
        outputs.append(_cli("create", str(good), "--dry-run"))
        outputs.append(_cli("create", str(good)))
        # A permanent error: rolled back, Meta's message shown.
        graph.inject(Fault(code=100, subcode=1885272, path_contains="/adsets", method="POST"))
        outputs.append(_cli("create", str(write_campaign(tmp_path, "b.yaml", name="Secrets 2"))))
        # A lost connection, on a create and on every read after it: the transport error text.
        graph.inject(Fault(drop_connection=True, path_contains="/campaigns", times=None))
        outputs.append(_cli("create", str(write_campaign(tmp_path, "c.yaml", name="Secrets 3"))))
        graph.clear_faults()
        outputs.append(_cli("health"))
        assert "everything PAUSED" in outputs[2], outputs[2]
        assert "Lost the connection" in outputs[4] or "Could not reach Meta" in outputs[4]
        assert any(r.params.get("appsecret_proof") for r in graph.requests)

    texts = {
        "CLI output": "\n".join(outputs),
        "log": production_log.getvalue(),
        "database": _database_text(db),
    }
    assert "access_token" in texts["log"], "the log did capture Graph traffic"
    for where, text in texts.items():
        assert _leaks(text, [META_TOKEN, APP_SECRET]) == [], where


def test_the_slack_bot_never_shows_or_stores_a_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, production_log: io.StringIO
) -> None:
    monkeypatch.chdir(ROOT)
    errors: list[str] = []
    with world(
        tmp_path,
        start=False,
        token=META_TOKEN,
        meta_app_secret=APP_SECRET,
        meta_retry_attempts=2,
    ) as here:
        here.graph.app_secret = APP_SECRET
        bot = here.start_bot(
            meta_access_token=META_TOKEN, meta_app_secret=APP_SECRET, meta_retry_attempts=2
        )
        slack = here.slack
        secrets = [META_TOKEN, APP_SECRET, slack.bot_token, slack.app_token]

        # Alice creates a campaign; Bob approves it and makes it go live now; the alert goes out.
        view = open_form(slack)
        slack.submit_view(
            user=REQUESTER, view_id=view["id"], values=good_values(upload_video(slack))
        )
        message = approval_message(slack)
        row = bot.services.store.list_campaigns()[0]
        value = ActionMetadata(campaign_id=row.id).model_dump_json()
        slack.click_button(
            user=APPROVER,
            channel=CAMPAIGNS,
            message_ts=message["ts"],
            action_id=CampaignAction.APPROVE,
            value=value,
        )
        slack.wait_until(lambda: bot.services.store.get(row.id).status == "scheduled")
        slack.slash_command(
            user=APPROVER, channel=CAMPAIGNS, command="/campaign", text=f"activate {row.id}"
        )
        slack.wait_until(lambda: bot.services.store.get(row.id).status == "active", timeout=10)
        # The "live" alert is queued just after the status changes; flush until it is out.
        slack.wait_until(lambda: flush_alerts_job() or slack.messages(ALERTS), timeout=5)

        # Meta drops every connection of a status refresh: the transport error reaches the user.
        here.graph.inject(Fault(drop_connection=True, method="GET", times=None))
        seen = len(slack.ephemerals(APPROVER))
        slack.slash_command(
            user=APPROVER, channel=CAMPAIGNS, command="/campaign", text=f"sync {row.id}"
        )
        slack.wait_until(
            lambda: any("no_entry" in e.get("text", "") for e in slack.ephemerals(APPROVER)[seen:]),
            timeout=10,
        )
        here.graph.clear_faults()
        try:
            bot.slack.status_sync.sync(row.id)
        except AdBeeError as exc:
            errors.append(exc.message)

        # A Meta failure during a second creation is told in the thread.
        here.graph.inject(
            Fault(code=100, subcode=1885272, path_contains="/campaigns", method="POST")
        )
        view = open_form(slack)
        values = good_values(upload_video(slack))
        values["campaign-create-name"] = "Second launch"
        slack.submit_view(user=REQUESTER, view_id=view["id"], values=values)
        slack.wait_until(
            lambda: any(
                "deleted" in r.get("text", "")
                for m in slack.messages(CAMPAIGNS)
                for r in slack.thread(CAMPAIGNS, m["ts"])[1:]
            ),
            timeout=15,
        )
        slack_text = _everything_slack_saw(here.slack)
        here.stop_bot()

    texts = {
        "Slack": slack_text,
        "log": production_log.getvalue(),
        "database": _database_text(tmp_path / "adbee.db"),
        "error texts": "\n".join(errors),
    }
    assert "Lost the connection" in slack_text or "Could not reach Meta" in slack_text
    assert "access_token" in texts["log"], "the log did capture Graph traffic"
    for where, text in texts.items():
        assert _leaks(text, secrets) == [], where


def _everything_slack_saw(slack) -> str:  # type: ignore[no-untyped-def]
    parts: list[str] = []
    for channel in list(slack.ws.channels):
        for message in slack.messages(channel, include_replies=True):
            parts.append(repr(slack.message_history(channel, message["ts"])))
    with slack.ws.lock:
        parts.append(repr([m.versions for m in slack.ws.ephemerals]))
        parts.append(repr([v.history for v in slack.ws.views.values()]))
    parts.append(repr(slack.responses))
    parts.append(repr(slack.calls))
    return "\n".join(parts)


def _database_text(db: Path) -> str:
    """Every byte of the SQLite database, its WAL and journal, as text."""
    chunks = [p.read_bytes() for p in sorted(db.parent.glob(db.name + "*"))]
    assert chunks, f"no database at {db}"
    return b"\n".join(chunks).decode("latin-1")


def test_a_secret_in_an_exception_is_masked_in_the_log(production_log: io.StringIO) -> None:
    """Library exceptions carry full URLs; a logged traceback must not carry the token."""
    log = logging.getLogger("adbee.test")
    try:
        raise ConnectionError(f"GET https://graph.facebook.com/v26.0/me?access_token={META_TOKEN}")
    except ConnectionError:
        log.exception("call failed for token %s", META_TOKEN)
    text = production_log.getvalue()
    assert "call failed" in text and "ConnectionError" in text
    assert META_TOKEN not in text


def test_dry_run_output_has_no_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, graph: GraphEmulator
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("META_ACCESS_TOKEN", META_TOKEN)
    monkeypatch.setenv("META_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    out = _cli("create", str(write_campaign(tmp_path)), "--dry-run")
    assert "Dry run" in out and graph.requests == []
    assert _leaks(out, [META_TOKEN, APP_SECRET]) == []
