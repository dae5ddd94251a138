"""What an operator gets wrong gives one clear line, not a traceback, from a real ``python -m bot``.

A wrong Slack token, a database that is not running, a ``postgres://`` URL, a ``data/`` folder
the bot's user cannot write; and ``validate`` works with no database at all. A reader that
leaves early (``| head``) ends the command quietly.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from sandbox.slack_emulator import SlackEmulator
from tests.e2e.conftest import CAMPAIGNS, new_slack
from tests.helpers import cli_env
from tests.reliability.conftest import ROOT

CAMPAIGN_FILE = str(ROOT / "configs" / "campaigns" / "ainote2-sg.yaml")
# Nothing listens on port 9 (discard) on loopback: what a stopped PostgreSQL looks like.
STOPPED_POSTGRES = "postgresql://adbee:secret@127.0.0.1:9/adbee"


def bot(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def one_error_line(done: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    return errors[0]


@pytest.fixture
def slack() -> SlackEmulator:
    with new_slack() as emulator:
        yield emulator


def slack_env(graph, slack: SlackEmulator, tmp_path: Path, **extra: str) -> dict[str, str]:
    values = {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_APP_TOKEN": slack.app_token,
        "SLACK_API_URL": slack.api_url,
        "CAMPAIGNS_CHANNEL": CAMPAIGNS,
        "APPROVER_IDS": "U_BOB",
    }
    return cli_env(graph, tmp_path / "adbee.db", **{**values, **extra})


@contextmanager
def read_only_folder(path: Path) -> Iterator[Path]:
    """A folder on a read-only filesystem, like a volume mounted ``:ro`` (EROFS even for root).

    Root ignores permission bits, so as root a read-only tmpfs is mounted; otherwise the folder
    is made read-only for this user.
    """
    path.mkdir()
    if os.getuid() != 0:
        path.chmod(0o555)
        yield path
        path.chmod(0o755)
        return
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(path)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a read-only filesystem here: {mounted.stderr!r}")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)


def test_a_wrong_slack_token_is_one_line_naming_the_token(graph, slack, tmp_path):
    env = slack_env(graph, slack, tmp_path, SLACK_BOT_TOKEN="xoxb" + "-1-not-the-real-token")
    done = bot(env)
    assert done.returncode == 2
    line = one_error_line(done)
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth" in line
    assert "OAuth & Permissions" in line


def test_a_stopped_database_is_one_line_for_the_bot_and_for_create(graph, slack, tmp_path):
    env = slack_env(graph, slack, tmp_path, DATABASE_URL=STOPPED_POSTGRES)
    for argv in ((), ("create", CAMPAIGN_FILE)):
        done = bot(env, *argv)
        assert done.returncode == 2, argv
        line = one_error_line(done)
        assert "the database does not answer" in line
        assert "secret" not in done.stderr  # the password in DATABASE_URL is never printed


def test_validate_needs_no_database(graph, tmp_path):
    env = cli_env(graph, tmp_path / "adbee.db", DATABASE_URL=STOPPED_POSTGRES)
    done = bot(env, "validate", CAMPAIGN_FILE)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: ready to create." in done.stdout


def test_a_postgres_scheme_url_is_one_line(graph, tmp_path):
    env = cli_env(graph, tmp_path / "a.db", DATABASE_URL="postgres://adbee:pw@db:5432/adbee")
    done = bot(env, "create", CAMPAIGN_FILE)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "DATABASE_URL: write postgresql://" in done.stderr


def test_a_read_only_data_folder_is_one_line(graph, slack, tmp_path):
    with read_only_folder(tmp_path / "data") as data:
        env = slack_env(graph, slack, tmp_path, DATABASE_URL=f"sqlite:///{data}/adbee.db")
        for argv in ((), ("create", CAMPAIGN_FILE)):
            done = bot(env, *argv)
            assert done.returncode == 2, done.stderr
            line = one_error_line(done)
            assert "cannot write" in line and "writable" in line


def test_a_reader_that_leaves_early_ends_the_command_quietly(graph, tmp_path):
    env = cli_env(graph, tmp_path / "adbee.db")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "create", CAMPAIGN_FILE, "--dry-run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # `| head` that already has its lines
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141
    assert "BrokenPipeError" not in stderr and "Traceback" not in stderr
