"""A newcomer's first two experiences: the offline demo, and starting without tokens."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from bot.cli import main
from meta.services.activation import LATE_AFTER
from sandbox.demo import CompressedClock

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_plays_the_whole_story_and_ends_active():
    out = io.StringIO()
    assert main(["demo", "--speed", "2"], out=out) == 0, out.getvalue()
    transcript = out.getvalue()
    for seen in (
        "[modal] New campaign",
        "[Approve] [Reject]",
        "Approved* by @bob",
        "is live",
        "changed status in Meta",
        "Done: the campaign is ACTIVE in Meta (emulated)",
    ):
        assert seen in transcript, seen
    # Live progress is shown (edits are coalesced: some states may be skipped), and the progress
    # message ends pointing at the card, which is a message of its own.
    assert re.search(r"\(edit\) Creating AINOTE2 launch SG: \d of 6 steps done", transcript)
    assert "(edit) AINOTE2 launch SG is ready and PAUSED; its approval card is below" in transcript


def test_starting_the_bot_without_slack_tokens_says_what_is_missing(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "META_"))}
    env.update(
        {"META_ACCESS_TOKEN": "EAAB" + "x" * 10, "DATABASE_URL": f"sqlite:///{tmp_path}/a.db"}
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT), "ACCOUNTS_FILE": str(ROOT / "configs/accounts.yaml")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    # Errors go to stderr, so `python -m bot ... > out.txt` still shows them.
    assert "SLACK_BOT_TOKEN (xoxb-...)" in result.stderr
    assert "SLACK_APP_TOKEN (xapp-...)" in result.stderr
    assert "manifest.yml" in result.stderr
    assert "python -m bot demo" in result.stderr


class _Monotonic:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_demo_clock_is_compressed_until_the_start_then_real_so_a_scan_late_is_not_late():
    ticks = _Monotonic()
    clock = CompressedClock(factor=120, monotonic=ticks)  # --speed 2
    begin = clock()
    start = begin + timedelta(minutes=6)
    clock.settle_at(start)
    ticks.now += 1.0
    assert clock() - begin == timedelta(minutes=2)  # compressed before the start
    ticks.now += 2.0  # 3 real seconds: the start is reached
    assert clock() == start
    # The scan that finds it due comes a real second and a half later (one scan interval plus
    # a loaded machine): that is 1.5 s late, not the 3 simulated minutes a compressed clock
    # would make of it (LATE_AFTER is 2 minutes).
    ticks.now += 1.5
    assert clock() - start == timedelta(seconds=1.5) < LATE_AFTER
    # Settling on a moment already past never turns the clock back.
    before = clock()
    clock.settle_at(start - timedelta(hours=1))
    assert clock() == before
    ticks.now += 1.0
    assert clock() - before == timedelta(seconds=1)


def test_the_demo_clock_runs_real_time_while_held_so_a_slow_creation_never_passes_the_start():
    ticks = _Monotonic()
    clock = CompressedClock(factor=120, monotonic=ticks)
    begin = clock()
    start = begin + timedelta(minutes=6)
    clock.settle_at(start)
    clock.hold()  # the campaign is being created and approved
    ticks.now += 20.0  # a loaded machine: 20 real seconds, which compressed were 40 minutes
    assert clock() - begin == timedelta(seconds=20) and clock() < start
    clock.release()  # approved: the rest of the wait is compressed again
    ticks.now += 1.0
    assert clock() - begin == timedelta(seconds=20, minutes=2)
    ticks.now += 10.0  # past the start: real time from the start on
    reached = (start - begin - timedelta(seconds=20, minutes=2)).total_seconds() / 120
    assert clock() == start + timedelta(seconds=10 - reached)
    clock.release()  # released past the start: still real time
    before = clock()
    ticks.now += 1.0
    assert clock() - before == timedelta(seconds=1)
