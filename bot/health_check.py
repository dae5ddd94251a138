"""The scheduler's heartbeat, judged for ``python -m bot health`` (``bot.health``).

This replica's scheduler must have written its heartbeat row within three of its intervals
(``SCHEDULER_HEARTBEAT_SECONDS``). A bot whose
scheduler thread died still answers Slack, so only the heartbeat shows that activations, scans,
alert flushes and resumes still run. A database on which no bot has run yet (no heartbeat row at
all, e.g. right after set-up) is healthy; a stopped or stale replica is not.
"""

from __future__ import annotations

from datetime import UTC, datetime

from storage.heartbeats import Beat

MISSED_BEATS = 3  # stale after this many intervals without a beat


def judge_heartbeats(beats: list[Beat], replica: str) -> tuple[str | None, str]:
    """Judge this replica's heartbeat; with no row of its own, the others' (health run elsewhere)."""
    if not beats:
        return None, "no bot has run on this database yet"
    mine = [b for b in beats if b.replica == replica]
    judged = mine or [b for b in beats if b.state != "stopped"] or beats
    now = datetime.now(UTC)
    problems, fine = [], []
    for beat in judged:
        age = beat.age(now)
        who = f"replica {beat.replica} (pid {beat.pid})"
        if beat.state == "stopped":
            problems.append(f"the bot's scheduler on {who} is stopped (since {age:.0f} s)")
        elif age > MISSED_BEATS * beat.interval_seconds + 1:
            problems.append(
                f"the scheduler on {who} last ran {age:.0f} s ago (it beats every "
                f"{beat.interval_seconds} s): it has stopped, or cannot write to the database; "
                "activations, scans and alerts wait. Restart the bot if this lasts"
                + (f" (its last state: {beat.state})" if beat.state != "running" else "")
            )
        elif beat.state != "running":
            problems.append(f"the scheduler on {who} is {beat.state}")
        else:
            fine.append(f"scheduler on {beat.replica} ran {age:.0f} s ago")
    if problems and (mine or not fine):
        return "; ".join(problems), ""
    return None, ", ".join(fine)
