"""``python -m bench.bot_submissions``: 20 create-form submissions through the real bot until
every Approve card is posted, beside one submission in the same run.

The bot is ``python -m bot`` (the production entry point) in its own process, in Socket Mode
against the Slack emulator with Slack's rate tiers on (chat.postMessage ~1/s per channel,
chat.update Tier 3 ~50/min, 429 + Retry-After) and the Graph API emulator in another process
(300 ms per call, 5 s video processing). Each run starts a fresh bot, database and workspace.

* baseline   one user submits the form; seconds until its card carries Approve;
* figure     20 users submit back to back; seconds until all 20 cards carry Approve, how many
             never did within the timeout (cards lost), the 429s Slack answered, and the bot
             process's peak RSS (VmHWM) at the end of the run.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.ack_latency import _values
from bench.common import VIDEO, Figure, GraphServer, bot_env, child, quiet_logs, report, workdir

LATENCY_MS = 300
PROCESSING_SECONDS = 5.0
CHANNEL = "C_CAMPAIGNS"
APPROVER = "U_APPROVER"
TIMEOUT_SECONDS = 600.0


@dataclass
class Run:
    submissions: int
    seconds: float
    cards: int
    refused: int
    peak_rss_mib: float


def _approve_cards(slack: Any) -> int:
    from handlers.ids import CampaignAction

    return sum(
        any(
            e.get("action_id") == CampaignAction.APPROVE
            for b in m.get("blocks", [])
            for e in b.get("elements", []) or []
        )
        for m in slack.messages(CHANNEL)
    )


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(submissions: int, label: str) -> Run:
    from handlers.ids import CampaignCreate
    from sandbox.slack_emulator import SlackEmulator

    users = [f"U_SUB{n:03d}" for n in range(submissions)]
    folder = workdir(f"submissions-{label}")
    with contextlib.ExitStack() as stack:
        slack = stack.enter_context(SlackEmulator())  # Slack's rate tiers on (the default)
        for user in [*users, APPROVER]:
            slack.add_user(user, name=user.lower(), tz="Asia/Singapore")
        slack.add_channel(CHANNEL, "campaigns")
        graph = stack.enter_context(
            GraphServer(
                latency_ms=LATENCY_MS,
                video_processing_seconds=PROCESSING_SECONDS,
                log_name=f"bot_submissions-{label}-graph",
            )
        )
        env = bot_env(
            graph_url=graph.url,
            database=folder / "adbee.db",
            slack=slack,
            channel=CHANNEL,
            approvers=APPROVER,
        )
        proc = stack.enter_context(
            child(["-m", "bot"], env=env, log_name=f"bot_submissions-{label}")
        )
        slack.wait_for_connection(timeout=60)
        content = VIDEO.read_bytes()
        forms = []
        for user in users:  # the forms are open and the videos attached before the clock runs
            file_id = slack.upload_file(
                user=user,
                filename="ainote2.mp4",
                content=content,
                filetype="mp4",
                mimetype="video/mp4",
            )
            slack.slash_command(user=user, channel=CHANNEL, command="/campaign", text="create")
            view = slack.wait_for_view(user, timeout=10, callback_id=CampaignCreate.CALLBACK)
            forms.append((user, view["id"], file_id))
        started = time.monotonic()
        for user, view_id, file_id in forms:
            slack.submit_view(user=user, view_id=view_id, values=_values(file_id, f"Bench {user}"))
        deadline = started + TIMEOUT_SECONDS
        while _approve_cards(slack) < submissions and time.monotonic() < deadline:
            time.sleep(0.05)
        seconds = time.monotonic() - started
        cards = _approve_cards(slack)
        peak = _peak_rss_mib(proc.pid)
        return Run(submissions, seconds, cards, len(slack.rate_limited), peak)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bot_submissions")
    parser.add_argument("--submissions", type=int, default=20)
    args = parser.parse_args(argv)
    quiet_logs()
    one = run(1, "one")
    many = run(args.submissions, "many")
    lost = many.submissions - many.cards
    figures = [
        Figure(
            f"{many.submissions} submissions until every Approve card",
            many.seconds,
            "s",
            baseline=one.seconds,
            baseline_label="1 submission",
            limit="the bot's fixed worker pool (WORKER_THREADS=4) holding a thread through each "
            "creation, Meta's video processing included: 20 creations run in 5 rounds of about "
            "one creation's time; under that, Slack's posting rate in the campaigns channel "
            "(each creation posts its message and a thread reply: 40 chat.postMessage at ~1/s "
            "per channel, about 40 s)",
        ),
        Figure(
            "cards lost",
            float(lost),
            "",
            target="0",
            passed=lost == 0,
            limit="the card goes through the alert outbox, retried until Slack takes it",
        ),
        Figure(
            "429s Slack answered",
            float(many.refused),
            "",
            baseline=float(one.refused),
            baseline_label="1 submission",
            limit="the shared Slack budget paces every sender below Slack's tiers",
        ),
        Figure(
            f"bot peak RSS, {many.submissions} submissions",
            many.peak_rss_mib,
            "MiB",
            baseline=one.peak_rss_mib,
            baseline_label="1 submission",
        ),
    ]
    report(
        "bot_submissions",
        figures,
        setup=f"python -m bot in Socket Mode; Slack emulator with rate tiers on; Graph emulator "
        f"{LATENCY_MS} ms per call, {PROCESSING_SECONDS:.0f} s video processing",
    )
    return 0 if lost == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
