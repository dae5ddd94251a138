"""``python -m bot demo``: the whole story offline, with the real bot and both emulators.

Alice asks for a campaign in Slack, the video goes up, Bob approves, AdBee activates it at the
start time (time is compressed until then: one real second is a simulated minute), the channel hears it is
live, and a later status change is alerted. The transcript shows what each channel and modal
showed. Exit 0 means the campaign ended ACTIVE in the (emulated) Meta.
"""

from __future__ import annotations

import logging
import re
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from bot.bootstrap import PROJECT_ROOT
from bot.runner import RunningBot, start_bot
from bot.settings import Settings
from bot.transcript import render_message, render_view
from handlers.ids import CampaignAction, CampaignCreateBlock
from meta.domain.accounts import load_accounts
from sandbox.graph_emulator import GraphEmulator
from sandbox.seeding import SANDBOX_META_TOKEN, seed_graph
from sandbox.slack_emulator import SlackEmulator

ALICE, BOB = "U0ALICE", "U0BOB"
CAMPAIGNS, ALERTS = "C0CAMPAIGNS", "C0ALERTS"
NAMES = {ALICE: "alice", BOB: "bob"}
LEAD_MINUTES = 5


class CompressedClock:
    """Wall-clock time running ``factor`` times faster, so a start time minutes away comes soon.

    Only until ``settle_at``'s moment (the campaign's start): from then on one real second is one
    second again. Compressed past the start, the bot's own reaction time would be stretched too:
    the scan that finds the campaign due runs every real second, which at ``--speed 2`` is two
    simulated minutes, exactly when AdBee calls an activation late (``LATE_AFTER``), so "is live"
    or "went live late" depended on where the scan fell and how loaded the machine was.

    ``hold`` runs it at the real rate until ``release``: the demo holds it while the campaign is
    created and approved, so a slow machine's creation (seconds, that is minutes compressed) can
    never carry the clock past the start before Bob has approved it.
    """

    def __init__(self, factor: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._base = datetime.now(UTC)  # the time at ``_t0``, from which ``_rate`` runs
        self._t0 = monotonic()
        self._factor = factor
        self._rate = factor
        self._settle: datetime | None = None

    def settle_at(self, moment: datetime) -> None:
        """Run at the real rate from ``moment`` on (never earlier than now: time never goes back;
        once running at the real rate, it stays so)."""
        now = self()
        if self._settle is None or now < self._settle:
            self._settle = max(moment, now)

    def hold(self) -> None:
        """Real time from now on, until ``release``."""
        self._rebase(1.0)

    def release(self) -> None:
        """Compressed again from now on (until the settling moment)."""
        self._rebase(self._factor)

    def _rebase(self, rate: float) -> None:
        now, ticks = self(), self._monotonic()
        self._base, self._t0, self._rate = now, ticks, rate

    def __call__(self) -> datetime:
        elapsed = self._monotonic() - self._t0
        compressed = self._base + timedelta(seconds=elapsed * self._rate)
        settle = self._settle
        if settle is None or compressed <= settle:
            return compressed
        if self._base >= settle:  # rebased after the settling moment: real time already
            return self._base + timedelta(seconds=elapsed)
        reached = (settle - self._base).total_seconds() / self._rate  # real seconds
        return settle + timedelta(seconds=elapsed - reached)


class Transcript:
    def __init__(self, out: TextIO) -> None:
        self._out = out

    def step(self, text: str) -> None:
        print(f"\n=== {text}", file=self._out, flush=True)

    def lines(self, prefix: str, lines: list[str]) -> None:
        for line in lines:
            print(f"{prefix}{line}", file=self._out, flush=True)

    def message(self, where: str, message: dict[str, Any]) -> None:
        self.lines(f"  #{where} | ", render_message(message, NAMES))


def run_demo(*, out: TextIO, speed: float = 1.0) -> int:
    logging.basicConfig(level=logging.WARNING)
    say = Transcript(out)
    clock = CompressedClock(factor=60 * speed)
    accounts = load_accounts(PROJECT_ROOT / "configs" / "accounts.yaml")
    graph = GraphEmulator()
    graph.video_processing_seconds = 3.0
    # Meta's review is still running when the campaign goes live; the story ends it (below),
    # so the status change it alerts never depends on how fast this machine is.
    graph.ad_review_seconds = 3600.0
    seed_graph(graph, accounts)
    slack = SlackEmulator()
    slack.add_user(ALICE, name="alice", real_name="Alice Tan", tz="Asia/Singapore")
    slack.add_user(BOB, name="bob", real_name="Bob Lim", tz="Asia/Singapore")
    slack.add_channel(CAMPAIGNS, "campaigns")
    slack.add_channel(ALERTS, "campaign-alerts")
    with graph, slack, tempfile.TemporaryDirectory(prefix="adbee-demo-") as tmp:
        settings = Settings(
            _env_file=None,
            meta_access_token=SANDBOX_META_TOKEN,
            meta_graph_url=graph.url,
            meta_video_url=graph.url,
            database_url=f"sqlite:///{Path(tmp) / 'adbee.db'}",
            # Beside its database: the checkout's data/uploads may be a running bot's (or, under
            # pytest, another worker's), whose request-1 folder would be this one's too.
            upload_dir=Path(tmp) / "uploads",
            accounts_file=PROJECT_ROOT / "configs" / "accounts.yaml",
            slack_bot_token=slack.bot_token,
            slack_app_token=slack.app_token,
            slack_api_url=slack.api_url,
            campaigns_channel=CAMPAIGNS,
            alerts_channel=ALERTS,
            approver_ids=[BOB],
            adbee_sandbox=True,
            video_poll_interval=0.5,
            scan_interval_seconds=1,
            sync_interval_seconds=3,
        )
        say.step(
            "AdBee starts: the real bot in Socket Mode, against the Slack and Graph API emulators"
        )
        bot = start_bot(settings, clock=clock, base_dir=PROJECT_ROOT)
        try:
            slack.wait_for_connection(timeout=10)
            return _story(slack, graph, bot, clock, say)
        finally:
            # Sockets closing at exit are expected; keep the resulting log noise out of the transcript.
            logging.disable(logging.ERROR)
            slack.close_handler(bot.handler)
            bot.stop()
            logging.disable(logging.NOTSET)


def _story(
    slack: SlackEmulator,
    graph: GraphEmulator,
    bot: RunningBot,
    clock: CompressedClock,
    say: Transcript,
) -> int:
    say.step("@alice types /campaign create in #campaigns")
    slack.slash_command(user=ALICE, channel=CAMPAIGNS, command="/campaign", text="create")
    view = slack.wait_for_view(user=ALICE, timeout=10)
    say.lines("  ", render_view(view))

    start = clock() + timedelta(minutes=LEAD_MINUTES)
    say.step(
        f"@alice fills the form, attaches creatives/ainote2.mp4 and presses Create "
        f"(start in {LEAD_MINUTES} simulated minutes)"
    )
    starts_at = start.replace(second=0, microsecond=0) + timedelta(minutes=1)
    clock.settle_at(starts_at)  # from the start on, the bot's reaction time is real time
    # Real time while the campaign is created and approved: on a loaded machine the creation
    # takes seconds, minutes compressed, and had carried the clock past the start before Bob
    # approved (the card went straight to Live, the approved card was never seen).
    clock.hold()
    video = (PROJECT_ROOT / "creatives" / "ainote2.mp4").read_bytes()
    file_id = slack.upload_file(
        user=ALICE, filename="ainote2.mp4", content=video, filetype="mp4", mimetype="video/mp4"
    )
    B = CampaignCreateBlock
    ack = slack.submit_view(
        user=ALICE,
        view_id=view["id"],
        values={
            B.ACCOUNT: "iflytek-sg",
            B.NAME: "AINOTE2 launch SG",
            B.DAILY_BUDGET: "50",
            B.START_TIME: starts_at,
            B.COUNTRIES: ["SG"],
            B.PRIMARY_TEXT: "Meet AINOTE 2, the e-ink notebook that writes your meeting notes for you.",
            B.HEADLINE: "AINOTE 2 is here",
            B.DESCRIPTION: "Free shipping in Singapore",
            B.LINK: "https://shop.example.com/sg/ainote2",
            B.CALL_TO_ACTION: "SHOP_NOW",
            B.VIDEO: [file_id],
        },
    )
    if ack and ack.get("view"):
        say.lines("  ", render_view(ack["view"]))

    say.step("#campaigns shows live progress, updated in place")
    message = _wait(lambda: _with_button(slack, CampaignAction.APPROVE), 60, "the approval message")
    # The card is a message of its own, under the progress message (which ends pointing at it).
    progress = next(m for m in slack.messages(CAMPAIGNS) if m["ts"] != message["ts"])
    shown = _show_edits(slack, say, progress["ts"], [])
    say.step("the approval card, posted on its own (it mentions @alice)")
    say.message("campaigns", message)
    for reply in slack.thread(CAMPAIGNS, message["ts"])[1:]:
        say.message("campaigns (thread)", reply)

    say.step("@bob (an approver) clicks Approve")
    button = _button(message, CampaignAction.APPROVE)
    if button is None:
        raise SystemExit("demo: the approval card has no Approve button")
    slack.click_button(
        user=BOB,
        channel=CAMPAIGNS,
        message_ts=message["ts"],
        action_id=CampaignAction.APPROVE,
        value=button["value"],
    )
    # Approved shows "Activates <start>"; a start within ARM_AHEAD_MINUTES is armed at once
    # ("Armed: ACTIVE in Meta"), which may replace that line before it is seen.
    scheduled = _wait(
        lambda: (
            _text_has(slack.message(CAMPAIGNS, message["ts"]), "Activates")
            or _text_has(slack.message(CAMPAIGNS, message["ts"]), "*Armed*")
        ),
        15,
        "the scheduled message",
    )
    say.message("campaigns", scheduled)
    _wait(
        lambda: _text_has(slack.message(CAMPAIGNS, progress["ts"]), "approval card is below"),
        30,
        "the progress message pointing at the card",
    )
    say.step("the progress message above the card now points at it")
    _show_edits(slack, say, progress["ts"], shown)
    clock.release()  # now the minutes until the start pass in seconds

    say.step(
        "Time passes (1 real second = 1 simulated minute) until the start time, then runs at its real pace"
    )
    live = _wait(lambda: _alert(slack, "live"), 30 + LEAD_MINUTES * 2, "the live alert")
    say.message("campaign-alerts", live)
    campaign = graph.objects("campaign")[0]
    say.lines("  ", [f"Meta (emulated): campaign {campaign['id']} status {campaign['status']}"])

    seen = len(graph.requests)
    _wait(lambda: _synced_since(graph, campaign["id"], seen), 30, "a status sync after going live")
    say.step("Meta finishes reviewing the ad; the status sync notices and alerts once")
    graph.finish_ad_review(graph.objects("ad")[0]["id"])
    change = _wait(lambda: _alert(slack, "ad:"), 30, "the status change alert")
    say.message("campaign-alerts", change)

    final = graph.get_object(campaign["id"]) or {}
    ok = final.get("status") == "ACTIVE"
    say.step(
        "Done: the campaign is ACTIVE in Meta (emulated)" if ok else "FAILED: campaign not active"
    )
    return 0 if ok else 1


def _show_edits(slack: SlackEmulator, say: Transcript, ts: str, shown: list[str]) -> list[str]:
    """Print each new state of message ``ts`` in one line (its own summary), after ``shown``."""
    edits = [
        render_message({"text": v.get("text", "")}, NAMES)[0]
        for v in slack.message_history(CAMPAIGNS, ts)
    ]
    for number, edit in enumerate(edits[len(shown) :], start=len(shown)):
        if number == 0 or edit != edits[number - 1]:
            say.lines("  #campaigns | (edit) ", [edit])
    return edits


def _wait(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise SystemExit(f"demo: timed out waiting for {what}")


def _button(message: dict[str, Any], action_id: str) -> dict[str, Any] | None:
    for block in message.get("blocks", []):
        for element in block.get("elements", []) or []:
            if element.get("action_id") == action_id:
                return element
    return None


def _with_button(slack: SlackEmulator, action_id: str) -> dict[str, Any] | None:
    return next((m for m in slack.messages(CAMPAIGNS) if _button(m, action_id)), None)


def _text_has(message: dict[str, Any] | None, words: str) -> dict[str, Any] | None:
    return message if message and words in str(message) else None


def _synced_since(graph: GraphEmulator, campaign_id: str, index: int) -> bool:
    """The status sync read the campaign (its ads expanded) after request number ``index``:
    alone, or in its ad account's paged ``campaigns`` read filtered on AdBee's ids."""
    return any(
        r.method == "GET"
        and _ADS_EXPANDED.search(r.params.get("fields", ""))
        and (
            r.path.endswith(campaign_id)
            or (r.path.endswith("/campaigns") and campaign_id in r.params.get("filtering", ""))
        )
        for r in graph.requests[index:]
    )


_ADS_EXPANDED = re.compile(r"\bads(\.limit\(\d+\))?\{")


def _alert(slack: SlackEmulator, words: str) -> dict[str, Any] | None:
    return next((m for m in slack.messages(ALERTS) if words in m.get("text", "")), None)
