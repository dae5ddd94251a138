"""``python -m bench.ack_latency``: how fast slash commands and modal submissions are acked.

50 simulated users drive the Slack emulator for ``--seconds``: ``/campaign create`` (the modal
opens), think, submit the filled modal (a real campaign creation starts in the background against
the Graph emulator: 300 ms per call, 5 s video processing), close the working modal, think,
``/campaign list``, think; think times uniform in 0.5-2 s. The bot is ``python -m bot``, the
production entry point, in its own process.

Latency is measured by the emulator: from the moment it sends an envelope on the Socket Mode
socket (``Envelope.sent_at``) to the moment the app's ack frame arrives (``Envelope.acked_at``).
The baseline is the same users and the same emulator against ``bench.trivial_app``, a Bolt app
that only acks (same Bolt, same Socket Mode handler, same modal opened after the ack), so the
difference is AdBee's own work before ``ack()``. Slack shows an error after 3 s; the target is
p99 <= 100 ms.

Slack's rate tiers are off in this bench's emulator. Its 50 users open a modal every 3-4 s each,
about 850 ``views.open`` a minute, where Slack allows one app about 100 a minute in a workspace
(Tier 4): with the tiers on, both apps' listener threads sit in 429 waits, Bolt's workers fill up,
and the figures measure that, not the acks. The other benches keep the tiers on.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import (
    VIDEO,
    Figure,
    GraphServer,
    bot_env,
    child,
    percentile,
    quiet_logs,
    report,
    widen_listen_backlog,
    workdir,
)

USERS = 50
SECONDS = 30.0
THINK = (0.5, 2.0)
LATENCY_MS = 300
PROCESSING_SECONDS = 5.0
TARGET_MS = 100.0
CHANNEL = "C_CAMPAIGNS"
APPROVER = "U_APPROVER"


@dataclass
class Run:
    latencies: dict[str, list[float]] = field(default_factory=dict)  # kind -> ms
    unacked: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    iterations: int = 0
    background: str = ""

    def all(self, *prefixes: str) -> list[float]:
        return [v for k, vs in self.latencies.items() if k.startswith(prefixes) for v in vs]


def _start_time() -> datetime:
    local = datetime.now(UTC) + timedelta(days=2)
    return datetime(local.year, local.month, local.day, 12, 0, tzinfo=UTC)


def _values(file_id: str, name: str) -> dict[str, Any]:
    from handlers.ids import CampaignCreateBlock as B

    return {
        B.ACCOUNT: "iflytek-sg",
        B.NAME: name,
        B.DAILY_BUDGET: "50",
        B.START_TIME: _start_time(),
        B.COUNTRIES: ["SG"],
        B.PRIMARY_TEXT: "Meet AINOTE 2, the notebook that writes your meeting notes.",
        B.HEADLINE: "AINOTE 2 is here",
        B.LINK: "https://shop.example.com/sg/ainote2",
        B.CALL_TO_ACTION: "SHOP_NOW",
        B.VIDEO: [file_id],
    }


def _iteration(slack: Any, user: str, file_id: str, name: str, think: Any) -> None:
    """One round of a user: open the create modal, submit it, list the campaigns."""
    from handlers.ids import CampaignCreate

    slack.slash_command(user=user, channel=CHANNEL, command="/campaign", text="create")
    view = slack.wait_for_view(user, timeout=10, callback_id=CampaignCreate.CALLBACK)
    think()
    slack.submit_view(user=user, view_id=view["id"], values=_values(file_id, name))
    top = slack.ws.top_view(user)
    if top is not None:  # AdBee's "working on it" modal; the trivial app's ack closed its own
        slack.close_view(user, top.id)
    think()
    slack.slash_command(user=user, channel=CHANNEL, command="/campaign", text="list")
    think()


_lock = threading.Lock()


def _user(slack: Any, user: str, file_id: str, deadline: float, seed: int, run: Run) -> None:
    rng = random.Random(seed)
    iteration = 0

    def think() -> None:
        time.sleep(rng.uniform(*THINK))

    time.sleep(rng.uniform(0, THINK[1]))  # users do not all start in the same millisecond
    while time.monotonic() < deadline:
        try:
            _iteration(slack, user, file_id, f"Ack bench {user} {seed} {iteration}", think)
        except Exception as exc:  # counted and reported; the user carries on
            with _lock:
                run.errors[f"{type(exc).__name__}: {str(exc)[:120]}"] += 1
            time.sleep(0.5)
        iteration += 1
    with _lock:
        run.iterations += iteration


def _slack(users: list[str]):  # type: ignore[no-untyped-def]
    from sandbox.slack_emulator import SlackEmulator

    slack = SlackEmulator()
    slack.rate_limits = False  # ~850 views.open a minute: past Slack's Tier 4 (module docstring)
    for user in [*users, APPROVER]:
        slack.add_user(user, name=user.lower(), tz="Asia/Singapore")
    slack.add_channel(CHANNEL, "campaigns")
    return slack


def run_variant(kind: str, users: int, seconds: float) -> Run:
    """``kind``: "adbee" (python -m bot) or "baseline" (bench.trivial_app)."""
    names = [f"U_USER{i:03d}" for i in range(users)]
    run = Run()
    folder = workdir(f"ack-{kind}")
    with contextlib.ExitStack() as stack:
        slack = stack.enter_context(_slack(names))
        graph = None
        if kind == "adbee":
            graph = stack.enter_context(
                GraphServer(
                    latency_ms=LATENCY_MS,
                    video_processing_seconds=PROCESSING_SECONDS,
                    log_name="ack_latency",
                )
            )
        env = bot_env(
            graph_url=graph.url if graph else "http://127.0.0.1:9",
            database=folder / "adbee.db",
            slack=slack,
            channel=CHANNEL,
            approvers=APPROVER,
        )
        module = "bot" if kind == "adbee" else "bench.trivial_app"
        proc = stack.enter_context(child(["-m", module], env=env, log_name=f"ack_latency-{kind}"))
        try:
            slack.wait_for_connection(timeout=60)
        except TimeoutError:
            raise RuntimeError(f"{module} did not connect (exit {proc.poll()})") from None
        content = VIDEO.read_bytes()
        files = {
            user: slack.upload_file(
                user=user,
                filename="ainote2.mp4",
                content=content,
                filetype="mp4",
                mimetype="video/mp4",
            )
            for user in names
        }
        # Warm-up outside the measurement: first imports, connections and SQLite file.
        _iteration(slack, names[0], files[names[0]], "Ack bench warm-up", lambda: None)
        mark = len(slack.envelopes)
        deadline = time.monotonic() + seconds
        threads = [
            threading.Thread(
                target=_user, args=(slack, user, files[user], deadline, i + 1, run), daemon=True
            )
            for i, user in enumerate(names)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 60)
        time.sleep(0.5)
        for env_ in slack.envelopes[mark:]:
            payload = env_.payload
            if env_.type == "slash_commands":
                kind_ = f"slash {payload.get('command')} {payload.get('text', '').split()[0]}"
            elif payload.get("type") == "view_submission":
                kind_ = "view_submission"
            else:
                kind_ = f"{env_.type} {payload.get('type')}"
            if env_.acked_at is None or env_.sent_at is None:
                run.unacked[f"{kind_} ({env_.status})"] += 1
                continue
            run.latencies.setdefault(kind_, []).append((env_.acked_at - env_.sent_at) * 1000)
        run.problems = slack.problems
        if graph is not None:
            records = graph.requests()
            started = sum(1 for r in records if r.get("params", {}).get("upload_phase") == "start")
            finished = sum(
                1 for r in records if r["method"] == "POST" and r["path"].endswith("/ads")
            )
            run.background = (
                f"{started} campaign creations started and {finished} finished in the "
                f"background during the run ({len(records)} Graph calls at {LATENCY_MS} ms)"
            )
    return run


def run(users: int = USERS, seconds: float = SECONDS) -> dict[str, Any]:
    quiet_logs()
    widen_listen_backlog()
    print(f"  baseline: {users} users for {seconds:g} s against bench.trivial_app", flush=True)
    base = run_variant("baseline", users, seconds)
    print(f"  AdBee: {users} users for {seconds:g} s against python -m bot", flush=True)
    adbee = run_variant("adbee", users, seconds)

    def stats(values: list[float]) -> tuple[float, float, float, int]:
        return (percentile(values, 50), percentile(values, 99), max(values, default=0), len(values))

    def p99(result: Run, kind: str) -> float:
        return percentile(result.latencies.get(kind, []), 99)

    own = {
        "slash command": (
            "before ack() AdBee records the command in SQLite (redelivery de-duplication; the "
            "commit can queue behind the background creations' writes) and '/campaign list' "
            "reads the database: p99 create "
            f"{p99(adbee, 'slash /campaign create'):.0f} ms (trivial "
            f"{p99(base, 'slash /campaign create'):.0f}), list "
            f"{p99(adbee, 'slash /campaign list'):.0f} ms (trivial "
            f"{p99(base, 'slash /campaign list'):.0f})"
        ),
        "modal submission": (
            "before ack() AdBee only validates the form in memory; the de-duplication write "
            "and the creation come after the ack"
        ),
    }
    figures: list[Figure] = []
    notes: list[str] = []
    for label, prefixes in (("slash command", ("slash",)), ("modal submission", ("view_sub",))):
        a50, a99, amax, n = stats(adbee.all(*prefixes))
        b50, b99, bmax, bn = stats(base.all(*prefixes))
        figures.append(
            Figure(
                f"{label} ack p50",
                a50,
                "ms",
                b50,
                "trivial Bolt app",
                "",
                None,
                limit=(
                    "Bolt (process_before_response=False) waits for the listener's ack() in "
                    "10 ms sleeps, so even the trivial app's median is above 10 ms"
                ),
            )
        )
        figures.append(
            Figure(
                f"{label} ack p99",
                a99,
                "ms",
                b99,
                "trivial Bolt app",
                f"<= {TARGET_MS:g} ms",
                a99 <= TARGET_MS,
                limit=(
                    f"{n} acks (trivial app {bn}), max {amax:.0f} ms (trivial {bmax:.0f}); the "
                    f"tail is thread scheduling on {os.cpu_count()} cores shared by Bolt's 10 "
                    "Socket Mode workers and 5 listener threads, the emulators and 50 user "
                    f"threads; AdBee's own share at p99 is {a99 - b99:+.0f} ms: {own[label]}"
                ),
            )
        )
    for name, result in (("AdBee", adbee), ("baseline", base)):
        parts = [
            f"{k}: p50 {percentile(v, 50):.1f} / p99 {percentile(v, 99):.1f} ms (n={len(v)})"
            for k, v in sorted(result.latencies.items())
        ]
        notes.append(f"{name}: " + "; ".join(parts))
        if result.unacked:
            notes.append(f"{name} envelopes without an ack: {dict(result.unacked)}")
        if result.errors:
            notes.append(f"{name} user-side errors: {dict(result.errors.most_common(3))}")
        if result.problems:
            notes.append(
                f"{name}: {len(result.problems)} Slack-side problems, e.g. {result.problems[:2]}"
            )
        notes.append(f"{name}: {result.iterations} user iterations")
    if adbee.background:
        notes.append(f"AdBee: {adbee.background}")
    return report(
        "ack_latency",
        figures,
        setup=(
            f"{users} concurrent users for {seconds:g} s (create -> submit -> list, think "
            f"{THINK[0]:g}-{THINK[1]:g} s), Slack emulator Socket Mode, bot in its own process, "
            f"Graph emulator {LATENCY_MS} ms per call, video processing {PROCESSING_SECONDS:g} s"
        ),
        notes=notes,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ack_latency")
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--seconds", type=float, default=SECONDS)
    args = parser.parse_args(argv)
    run(users=args.users, seconds=args.seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
