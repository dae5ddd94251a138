"""``python -m bench.bot_submissions``: 20 and 50 create-form submissions through the real bot
until every Approve card is posted, beside one submission in the same run.

The bot is ``python -m bot`` (the production entry point) in its own process, in Socket Mode
against the Slack emulator with Slack's rate tiers on (chat.postMessage ~1/s per channel,
chat.update Tier 3 ~50/min, 429 + Retry-After) and the Graph API emulator in another process
(300 ms per call, 5 s video processing). Each run starts a fresh bot, database and workspace.

* baseline   one user submits the form; seconds until its card carries Approve;
* figures    N users submit back to back; seconds until all N cards carry Approve, how many
             never did within the timeout (cards lost), the 429s Slack answered, the bot
             process's peak RSS (VmHWM) and the highest rate-limit score any ad account reached
             (sampled from the Graph emulator every half second).

Two layouts: the agency's (``--clients`` client ad accounts, each with its own Slack channel in
accounts.yaml, the submitters spread over them round robin), and everyone in one campaigns
channel, where Slack's posting rate of about one message per second per channel is the floor.
"""

from __future__ import annotations

import argparse
import contextlib
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench.ack_latency import _values
from bench.common import (
    ROOT,
    VIDEO,
    Figure,
    GraphServer,
    bot_env,
    child,
    quiet_logs,
    report,
    workdir,
)

LATENCY_MS = 300
PROCESSING_SECONDS = 5.0
CHANNEL = "C_CAMPAIGNS"
APPROVER = "U_APPROVER"
TIMEOUT_SECONDS = 600.0
TEMPLATE_ACCOUNT = "iflytek-sg"


@dataclass
class Run:
    submissions: int
    clients: int  # 0: everyone in CHANNEL, the example account
    seconds: float
    cards: int
    refused: int
    peak_rss_mib: float
    score_peak: dict[str, int] = field(default_factory=dict)
    max_score: int = 0

    @property
    def lost(self) -> int:
        return self.submissions - self.cards

    @property
    def where(self) -> str:
        return f"{self.clients} client channels" if self.clients else "one channel"


def _is_card(message: dict) -> bool:
    from handlers.ids import CampaignAction

    return any(
        e.get("action_id") == CampaignAction.APPROVE
        for b in message.get("blocks", [])
        for e in b.get("elements", []) or []
    )


def _approve_cards(slack: Any, channels: list[str]) -> int:
    return sum(_is_card(m) for channel in channels for m in slack.messages(channel))


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def client_accounts(folder: Path, clients: int) -> tuple[Path, list[tuple[str, str]]]:
    """An accounts file with ``clients`` copies of the example account, each its own ad account
    and Slack channel (an agency's clients); returns it and the (account, channel) pairs."""
    source = yaml.safe_load((ROOT / "configs" / "accounts.yaml").read_text())
    template = source["accounts"][TEMPLATE_ACCOUNT]
    accounts: dict[str, Any] = {}
    pairs = []
    for n in range(1, clients + 1):
        key, channel = f"client-{n:02d}", f"C_CLIENT_{n:02d}"
        accounts[key] = {
            **template,
            "name": f"Client {n:02d}",
            "ad_account_id": f"act_{9_000_000_000 + n}",
            "channel": channel,
        }
        pairs.append((key, channel))
    path = folder / "accounts.yaml"
    path.write_text(yaml.safe_dump({"accounts": accounts}, sort_keys=False))
    return path, pairs


class ScoreWatch:
    """The highest rate-limit score each ad account reached, sampled every half second."""

    def __init__(self, graph: GraphServer) -> None:
        self._graph = graph
        self.peak: dict[str, int] = {}
        self.max_score = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ScoreWatch:
        self._thread.start()
        return self

    def _sample(self) -> None:
        scores, self.max_score = self._graph.scores()
        for account, score in scores.items():
            self.peak[account] = max(self.peak.get(account, 0), score)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self._sample()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


def run(submissions: int, label: str, *, clients: int = 0) -> Run:
    from handlers.ids import CampaignCreate
    from handlers.ids import CampaignCreateBlock as B
    from sandbox.slack_emulator import SlackEmulator

    users = [f"U_SUB{n:03d}" for n in range(submissions)]
    folder = workdir(f"submissions-{label}")
    accounts_file, pairs = client_accounts(folder, clients) if clients else (None, [])
    targets = pairs or [(TEMPLATE_ACCOUNT, CHANNEL)]
    channels = [channel for _account, channel in targets]
    with contextlib.ExitStack() as stack:
        slack = stack.enter_context(SlackEmulator())  # Slack's rate tiers on (the default)
        for user in [*users, APPROVER]:
            slack.add_user(user, name=user.lower(), tz="Asia/Singapore")
        slack.add_channel(CHANNEL, "campaigns")
        for _account, channel in pairs:
            slack.add_channel(channel, channel.lower())
        graph = stack.enter_context(
            GraphServer(
                latency_ms=LATENCY_MS,
                video_processing_seconds=PROCESSING_SECONDS,
                log_name=f"bot_submissions-{label}-graph",
                accounts_file=accounts_file,
            )
        )
        extra = {"ACCOUNTS_FILE": str(accounts_file)} if accounts_file else {}
        env = bot_env(
            graph_url=graph.url,
            database=folder / "adbee.db",
            slack=slack,
            channel=CHANNEL,
            approvers=APPROVER,
            **extra,
        )
        proc = stack.enter_context(
            child(["-m", "bot"], env=env, log_name=f"bot_submissions-{label}")
        )
        slack.wait_for_connection(timeout=60)
        content = VIDEO.read_bytes()
        forms = []
        for n, user in enumerate(users):  # forms open, videos attached before the clock runs
            account, channel = targets[n % len(targets)]
            file_id = slack.upload_file(
                user=user,
                filename="ainote2.mp4",
                content=content,
                filetype="mp4",
                mimetype="video/mp4",
            )
            slack.slash_command(user=user, channel=channel, command="/campaign", text="create")
            view = slack.wait_for_view(user, timeout=10, callback_id=CampaignCreate.CALLBACK)
            values = {**_values(file_id, f"Bench {user}"), B.ACCOUNT: account}
            forms.append((user, view["id"], values))
        graph.reset_usage()  # the score counts the submissions, not the set-up
        with ScoreWatch(graph) as scores:
            started = time.monotonic()
            for user, view_id, values in forms:
                slack.submit_view(user=user, view_id=view_id, values=values)
            deadline = started + TIMEOUT_SECONDS
            while _approve_cards(slack, channels) < submissions and time.monotonic() < deadline:
                time.sleep(0.05)
            seconds = time.monotonic() - started
        cards = _approve_cards(slack, channels)
        peak = _peak_rss_mib(proc.pid)
        return Run(
            submissions,
            clients,
            seconds,
            cards,
            len(slack.rate_limited),
            peak,
            scores.peak,
            scores.max_score,
        )


def _score_figure(many: Run) -> Figure:
    account, score = max(many.score_peak.items(), key=lambda kv: kv[1], default=("-", 0))
    share = score / many.max_score if many.max_score else 0.0
    return Figure(
        f"{many.submissions} submissions ({many.where}): highest ad-account score",
        float(score),
        f" of {many.max_score}",
        target="< 50 % of the score",
        passed=share < 0.5,
        limit=f"{share:.0%} in {account}; each creation costs about 25 score points (writes 3, "
        "reads 1); new work in an account waits while Meta's usage headers show "
        "META_USAGE_CEILING (50 %) used",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bot_submissions")
    parser.add_argument("--submissions", type=int, nargs="+", default=[20, 50])
    parser.add_argument(
        "--clients", type=int, default=5, help="client ad accounts, each with its own channel"
    )
    parser.add_argument(
        "--one-channel",
        type=int,
        default=20,
        help="also N submissions all in one campaigns channel (0: skip)",
    )
    args = parser.parse_args(argv)
    quiet_logs()
    one = run(1, "one")
    runs = [run(n, f"{n}-clients", clients=args.clients) for n in args.submissions]
    if args.one_channel:
        runs.append(run(args.one_channel, f"{args.one_channel}-one-channel"))
    figures: list[Figure] = []
    for many in runs:
        spread = bool(many.clients)
        figures.append(
            Figure(
                f"{many.submissions} submissions ({many.where}) until every Approve card",
                many.seconds,
                "s",
                baseline=one.seconds,
                baseline_label="1 submission",
                target="<= 1.30x" if spread and many.submissions == 20 else "",
                passed=(many.seconds <= 1.3 * one.seconds)
                if spread and many.submissions == 20
                else None,
                limit=(
                    "each card is a chat.postMessage of its own in its client's channel (~1/s "
                    "per channel, not chat.update's Tier 3 for the workspace): "
                    f"{2 * many.submissions // max(many.clients, 1)} posts per channel (a start "
                    "message and a card per creation); what is left is the creations' own "
                    "spread on a shared 2-CPU machine (submitted back to back, parked at Meta's "
                    "processing seconds apart); Meta's 5 s processing holds no worker"
                    if spread
                    else f"Slack's posting rate in the one channel: {2 * many.submissions} "
                    "chat.postMessage (a start message and a card per creation) at "
                    "~1/s, about "
                    f"{2 * many.submissions - 3} s; the creations themselves overlap"
                ),
            )
        )
        figures.append(
            Figure(
                f"{many.submissions} submissions ({many.where}): cards lost",
                float(many.lost),
                "",
                target="0",
                passed=many.lost == 0,
                limit="the card goes through the alert outbox, retried until Slack takes it",
            )
        )
        figures.append(
            Figure(
                f"{many.submissions} submissions ({many.where}): 429s Slack answered",
                float(many.refused),
                "",
                baseline=float(one.refused),
                baseline_label="1 submission",
                limit="the shared Slack budget paces every sender below Slack's tiers",
            )
        )
        figures.append(
            Figure(
                f"{many.submissions} submissions ({many.where}): bot peak RSS",
                many.peak_rss_mib,
                "MiB",
                baseline=one.peak_rss_mib,
                baseline_label="1 submission",
            )
        )
        figures.append(_score_figure(many))
    report(
        "bot_submissions",
        figures,
        setup=f"python -m bot in Socket Mode; Slack emulator with rate tiers on; Graph emulator "
        f"{LATENCY_MS} ms per call, {PROCESSING_SECONDS:.0f} s video processing; "
        f"{args.clients} client ad accounts with a channel each",
    )
    return 0 if all(r.lost == 0 for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
