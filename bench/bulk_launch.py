"""``python -m bench.bulk_launch``: a bulk launch of 20 and of 50 campaigns through the real bot
(``/campaign bulk``: one sheet, one video), until every row shows its Approve button in the
batch message (its campaign ready for approval), beside one creation through the create form in
the same run (``bench.bot_submissions.run``).

The bot is ``python -m bot`` in its own process, in Socket Mode against the Slack emulator with
Slack's rate tiers on, and the Graph API emulator in another process (300 ms per call, 5 s video
processing, Meta's rate-limit score kept). Each run starts a fresh bot, database and workspace.

* baseline   one user submits the create form; seconds until its card carries Approve;
* figures    one user submits a sheet of N rows naming one video; seconds from the submission
             until all N rows carry Approve (the batch message shows a row's Approve only once
             its campaign is ready for approval); rows lost; top-level messages the bulk posted; video uploads Meta received (the video
             is uploaded once per ad account); the account's busiest rate-limit score; 429s Slack
             answered; the bot's peak RSS.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import time
from dataclasses import dataclass
from typing import Any

from bench.bot_submissions import (
    APPROVER,
    CHANNEL,
    LATENCY_MS,
    PROCESSING_SECONDS,
    TIMEOUT_SECONDS,
    _peak_rss_mib,
)
from bench.bot_submissions import run as run_submissions
from bench.common import VIDEO, Figure, GraphServer, bot_env, child, quiet_logs, report, workdir

REQUESTER = "U_BULK"


def ready_rows(slack: Any, channel: str) -> int:
    """Campaigns whose Approve button the channel shows, each counted once: a bulk row's is in
    its batch message, which renders it only while the campaign is ready for approval."""
    from handlers.forms import parse_action_value
    from handlers.ids import CampaignAction

    return len(
        {
            parse_action_value(e.get("value")).campaign_id
            for m in slack.messages(channel)
            for b in m.get("blocks", [])
            for e in b.get("elements", []) or []
            if e.get("action_id") == CampaignAction.APPROVE
        }
    )


@dataclass
class Bulk:
    rows: int
    seconds: float
    cards: int
    posts: int
    uploads: int
    score: tuple[int, int]
    refused: int
    peak_rss_mib: float


def sheet(rows: int, start: str) -> bytes:
    """A launch sheet of ``rows`` campaigns in one account, all naming the one video."""
    out = io.StringIO()
    writer = csv.writer(out)
    columns = ["account", "name", "daily_budget", "start_time", "countries", "video"]
    columns += ["primary_text", "headline", "link", "call_to_action"]
    writer.writerow(columns)
    for n in range(1, rows + 1):
        writer.writerow(
            [
                "iflytek-sg",
                f"Bulk bench {n}",
                "50",
                start,
                "SG",
                VIDEO.name,
                "Meet AINOTE 2, the notebook that writes your meeting notes.",
                "AINOTE 2 is here",
                "https://shop.example.com/sg/ainote2",
                "SHOP_NOW",
            ]
        )
    return out.getvalue().encode()


def run(rows: int) -> Bulk:
    from bench.ack_latency import _start_time
    from handlers.ids import CampaignBulk
    from sandbox.slack_emulator import SlackEmulator

    folder = workdir(f"bulk-{rows}")
    with contextlib.ExitStack() as stack:
        slack = stack.enter_context(SlackEmulator())  # Slack's rate tiers on (the default)
        for user in (REQUESTER, APPROVER):
            slack.add_user(user, name=user.lower(), tz="Asia/Singapore")
        slack.add_channel(CHANNEL, "campaigns")
        graph = stack.enter_context(
            GraphServer(
                latency_ms=LATENCY_MS,
                video_processing_seconds=PROCESSING_SECONDS,
                log_name=f"bulk_launch-{rows}-graph",
            )
        )
        env = bot_env(
            graph_url=graph.url,
            database=folder / "adbee.db",
            slack=slack,
            channel=CHANNEL,
            approvers=APPROVER,
        )
        proc = stack.enter_context(child(["-m", "bot"], env=env, log_name=f"bulk_launch-{rows}"))
        slack.wait_for_connection(timeout=60)
        video = slack.upload_file(
            user=REQUESTER,
            filename=VIDEO.name,
            content=VIDEO.read_bytes(),
            filetype="mp4",
            mimetype="video/mp4",
        )
        csv_file = slack.upload_file(
            user=REQUESTER,
            filename="launches.csv",
            content=sheet(rows, _start_time().isoformat()),
            filetype="csv",
            mimetype="text/csv",
        )
        slack.slash_command(user=REQUESTER, channel=CHANNEL, command="/campaign", text="bulk")
        view = slack.wait_for_view(REQUESTER, timeout=10, callback_id=CampaignBulk.CALLBACK)
        started = time.monotonic()
        ack = slack.submit_view(
            user=REQUESTER,
            view_id=view["id"],
            values={CampaignBulk.SHEET_BLOCK: [csv_file], CampaignBulk.VIDEOS_BLOCK: [video]},
        )
        if (ack or {}).get("errors"):
            raise RuntimeError(f"the sheet was refused: {ack}")
        deadline = started + TIMEOUT_SECONDS
        while ready_rows(slack, CHANNEL) < rows and time.monotonic() < deadline:
            time.sleep(0.05)
        seconds = time.monotonic() - started
        uploads = sum(
            1
            for r in graph.requests()
            if r["method"] == "POST" and (r.get("params") or {}).get("upload_phase") == "start"
        )
        return Bulk(
            rows,
            seconds,
            ready_rows(slack, CHANNEL),
            sum(1 for m in slack.messages(CHANNEL) if m.get("bot_id")),
            uploads,
            graph.busiest_score(),
            len(slack.rate_limited),
            _peak_rss_mib(proc.pid),
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bulk_launch")
    parser.add_argument("--rows", type=int, nargs="+", default=[20, 50])
    args = parser.parse_args(argv)
    quiet_logs()
    one = run_submissions(1, "one")
    figures: list[Figure] = []
    lost = 0
    for rows in args.rows:
        bulk = run(rows)
        lost += bulk.rows - bulk.cards
        score, max_score = bulk.score
        figures += [
            Figure(
                f"bulk of {rows} until every row has Approve",
                bulk.seconds,
                "s",
                baseline=one.seconds,
                baseline_label="1 creation (create form)",
                target="<= 1.30x" if rows == 20 else "",
                passed=bulk.seconds <= 1.3 * one.seconds if rows == 20 else None,
                limit="one batch message per 20 rows (Slack's 50 blocks per message): each row's "
                "progress and Approve/Reject are coalesced chat.update edits of it "
                "(Tier 3, ~50/min per workspace), not posts paced at ~1/s per channel",
            ),
            Figure(
                f"bulk of {rows}: top-level messages posted",
                float(bulk.posts),
                "",
                target=f"{-(-rows // 20)}",
                passed=bulk.posts == -(-rows // 20),
                limit="the batch message(s) only; no progress message nor card per row",
            ),
            Figure(
                f"bulk of {rows}: rows lost (no Approve)",
                float(bulk.rows - bulk.cards),
                "",
                target="0",
                passed=bulk.cards == bulk.rows,
                limit="every row's end goes through the alert outbox, retried until Slack takes it",
            ),
            Figure(
                f"bulk of {rows}: video uploads Meta received",
                float(bulk.uploads),
                "",
                target="1",
                passed=bulk.uploads == 1,
                limit="one video per ad account and content (shared_videos, sha256 of the bytes)",
            ),
            Figure(
                f"bulk of {rows}: busiest ad account's rate-limit score",
                float(score),
                "",
                target=f"<= {max_score // 2} (half of {max_score})",
                passed=score <= max_score // 2,
            ),
            Figure(f"bulk of {rows}: 429s Slack answered", float(bulk.refused), ""),
            Figure(
                f"bulk of {rows}: bot peak RSS",
                bulk.peak_rss_mib,
                "MiB",
                baseline=one.peak_rss_mib,
                baseline_label="1 creation",
            ),
        ]
    report(
        "bulk_launch",
        figures,
        setup=f"python -m bot in Socket Mode, /campaign bulk with one sheet naming one video; "
        f"Slack emulator with rate tiers on; Graph emulator {LATENCY_MS} ms per call, "
        f"{PROCESSING_SECONDS:.0f} s video processing",
    )
    return 0 if lost == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
