"""``python -m bench.activation_burst``: 500 campaigns due in the same minute, armed ahead.

Set-up (Graph latency 0, then the rate-limit score reset): one processed video and creative, then
per campaign a real PAUSED campaign, ad set and ad in the emulator, and a SCHEDULED row holding
their ids with ``activate_at`` = the start, all in ONE ad account (the worst case for Meta's
per-ad-account limits). Then, with the Graph emulator at 300 ms per HTTP request and Meta's
limits on (the ad account's score, 9000 points per 5 minutes, and the per-second mutation limit,
100 a second, each operation of a batch counted alone), the scheduler runs as the bot runs it
(``bot.bootstrap.build_scheduling``: one date job per campaign at ``start - ARM_AHEAD_MINUTES``,
the scan every 30 s):

* baseline   one campaign alone, through the same path;
* burst      500 campaigns with the same start.

For each: when every campaign was armed (ACTIVE in Meta, its ad set's ``start_time`` at the
start), how many were armed by the start (Meta delivers them from their start by itself), Graph
HTTP requests in the start minute (from the start to 60 s after), top-level alert messages sent
within 10 s of the start (the burst summary is one message), when every row was announced live,
throttle answers, objects written ACTIVE more than once and campaigns announced twice (both must
be 0), and the ad account's score. Alerts go through AdBee's own ``SlackNotifier`` to the Slack
emulator with Slack's rate tiers on; the top-level messages are counted in its alerts channel.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import (
    ROOT,
    Figure,
    GraphServer,
    bench_settings,
    campaign_raw,
    is_throttle,
    quiet_logs,
    report,
    widen_listen_backlog,
    workdir,
)
from meta.graph.batch import DEFAULT_MUTATIONS_PER_SECOND

LATENCY_MS = 300
COUNT = 500
APPROVER = "U_BOB"
# Armed this long before the start (ARM_AHEAD_MINUTES; 30 in production, 2 here so a run takes
# minutes): long enough for 500 campaigns' writes at Meta's mutation rate.
ARM_AHEAD_MINUTES = 2.0
MUTATIONS_PER_SECOND = 100  # Meta's real-time mutation limit per app and ad account (about)
PACE = DEFAULT_MUTATIONS_PER_SECOND  # AdBee's own pace (meta.graph.batch)
START_MINUTE_TARGET = 60  # Graph HTTP requests from the start to 60 s after
ALERTS_TARGET = 5  # top-level alert messages within 10 s of the start
ALERT_WINDOW = 10.0
ANNOUNCED = ("live", "live_late", "activation_failed")  # the kinds a burst summary lists


ALERTS_CHANNEL = "C_BENCH_ALERTS"


class SlackAlerts:
    """AdBee's real ``SlackNotifier`` against the Slack emulator, Slack's rate tiers on: the
    alert outbox delivers through it, and it counts what it was asked to send."""

    def __init__(self, slack: Any) -> None:
        from bot.bootstrap import build_slack_client
        from bot.settings import Settings
        from bot.slack.campaign_messages import CampaignMessages, SlackNotifier

        settings = Settings(_env_file=None, slack_api_url=slack.api_url)  # type: ignore[call-arg]
        client = build_slack_client(settings, slack.bot_token)
        self._slack = slack
        self._notifier = SlackNotifier(
            client, channel=ALERTS_CHANNEL, messages=CampaignMessages(client)
        )
        self.sent: Counter[str] = Counter()
        self._lock = threading.Lock()

    def send(
        self, *, kind: str, summary: Any, detail: str | None, key: str, sent_before: Any = None
    ) -> None:
        with self._lock:
            self.sent[kind] += 1
        self._notifier.send(
            kind=kind, summary=summary, detail=detail, key=key, sent_before=sent_before
        )

    def send_burst(self, alerts: list[Any], *, key: str, sent_before: Any = None) -> None:
        with self._lock:
            self.sent["burst_summary"] += 1
            for alert in alerts:
                self.sent[alert.kind] += 1
        self._notifier.send_burst(alerts, key=key, sent_before=sent_before)

    @property
    def top_level(self) -> list[float]:
        """When each message of the alerts channel was posted (Slack's ``ts``, Unix time)."""
        return [float(m["ts"]) for m in self._slack.messages(ALERTS_CHANNEL)]

    @property
    def refused(self) -> int:
        return len(self._slack.rate_limited)


@dataclass
class Burst:
    label: str
    ids: list[int]
    due: datetime
    all_active_after: float | None = None
    returned_after: float | None = None
    cpu_seconds: float | None = None  # CPU this process used (all threads) during the burst
    emulator_cpu_seconds: float | None = None
    progress: list[tuple[float, int]] = field(default_factory=list)  # (s after due, ACTIVE rows)


class Harness:
    def __init__(self, graph: GraphServer, *, arm_ahead_minutes: float = ARM_AHEAD_MINUTES) -> None:
        from bot.bootstrap import build_services
        from meta.graph.upload import VideoUploader

        self.graph_server = graph
        self.folder = workdir("activation")
        self.settings = bench_settings(
            graph.url, self.folder / "adbee.db", arm_ahead_minutes=arm_ahead_minutes
        )
        self.services = build_services(self.settings, base_dir=ROOT)
        assert self.services.graph is not None
        self.graph = self.services.graph
        self.store = self.services.store
        self.spec = self.services.campaigns.validate(campaign_raw("Burst template"))
        account = self.services.accounts.get(self.spec.account_key)
        assert account is not None
        self.account = account
        meta = self.settings.meta_config()
        self.uploader = VideoUploader(
            video_url=meta.video_url,
            api_version=meta.api_version,
            access_token=meta.access_token,
            appsecret_proof=meta.appsecret_proof,
            retry=meta.retry_policy(),
        )
        self.creative_id, self.video_id = self._creative()
        self.serial = 0

    def _creative(self) -> tuple[str, str]:
        from meta.graph.payloads import creative_call
        from meta.video.processing import wait_until_ready

        video_id = self.uploader.upload(
            account_id=self.account.ad_account_id,
            path=self.spec.video_path,
            title=self.spec.video_path.name,
        )
        wait_until_ready(
            lambda: self.graph.get(video_id, {"fields": "status"}).get("status", {}), interval=0.2
        )
        thumbnail = self.graph.get(f"{video_id}/thumbnails")["data"][0]["uri"]
        call = creative_call(self.spec, self.account, video_id=video_id, thumbnail_url=thumbnail)
        return str(self.graph.post(call.path, call.params)["id"]), video_id

    def scheduled_campaigns(self, count: int, due: datetime) -> list[int]:
        """``count`` PAUSED campaign/ad set/ad triples in Meta and SCHEDULED rows naming them."""
        from meta.domain.states import Status
        from meta.graph.payloads import ad_call, adset_call, campaign_call
        from tests.store_fixtures import record_objects, set_columns

        def one(serial: int) -> int:
            spec = replace(self.spec, name=f"Burst {serial:04d}", names=None, start_time=due)
            call = campaign_call(spec, self.account)
            campaign = str(self.graph.post(call.path, call.params)["id"])
            call = adset_call(spec, self.account, campaign)
            adset = str(self.graph.post(call.path, call.params)["id"])
            call = ad_call(spec, self.account, adset_id=adset, creative_id=self.creative_id)
            ad = str(self.graph.post(call.path, call.params)["id"])
            row = self.store.add_campaign(
                account_key=self.account.key,
                ad_account_id=self.account.ad_account_id,
                name=spec.name,
                spec=spec.to_json(),
                status=Status.SCHEDULED,
                requested_by="U_ALICE",
                source="bench",
                start_time=due,
            )
            set_columns(self.store, row.id, approved_by=APPROVER, activate_at=due)
            record_objects(
                self.store,
                row.id,
                video=self.video_id,
                creative=self.creative_id,
                campaign=campaign,
                adset=adset,
                ad=ad,
            )
            return row.id

        serials = range(self.serial, self.serial + count)
        self.serial += count
        # Set-up is not the burst: lift the score limit while creating, then forget the score.
        limit = self.graph_server.busiest_score()[1]
        self.graph_server.set(max_score=10**9)
        try:
            with ThreadPoolExecutor(max_workers=8) as pool:
                return list(pool.map(one, serials))
        finally:
            self.graph_server.set(max_score=limit)
            self.graph_server.reset_usage()

    def context(self, notifier: SlackAlerts):  # type: ignore[no-untyped-def]
        from bot.bootstrap import build_job_context
        from meta.domain.access import StaticAccessPolicy

        return build_job_context(
            self.services, notifier, policy=StaticAccessPolicy(frozenset({APPROVER}))
        )

    def active_count(self, ids: list[int]) -> int:
        from sqlalchemy import func, select

        from storage.models import CampaignRow

        with self.services.engine.connect() as connection:
            return int(
                connection.execute(
                    select(func.count())
                    .select_from(CampaignRow)
                    .where(CampaignRow.status == "active", CampaignRow.id.in_(ids))
                ).scalar_one()
            )

    def watch(self, burst: Burst, stop: threading.Event) -> threading.Thread:
        """Record when every row of the burst is ACTIVE, seconds after its due time."""

        def run() -> None:
            next_sample = 0.0
            while not stop.is_set():
                active = self.active_count(burst.ids)
                after = (datetime.now(UTC) - burst.due).total_seconds()
                if after >= next_sample:
                    next_sample = after - after % 2 + 2
                    burst.progress.append((after, active))
                if active == len(burst.ids):
                    burst.all_active_after = after
                    if not burst.progress or burst.progress[-1] != (after, active):
                        burst.progress.append((after, active))
                    return
                time.sleep(0.1)

        thread = threading.Thread(target=run, name=f"watch-{burst.label}", daemon=True)
        thread.start()
        return thread

    def outcome(self, burst: Burst, records: list[dict[str, Any]]) -> dict[str, Any]:
        ids = set(burst.ids)
        rows = [self.store.get(i) for i in burst.ids]
        statuses = Counter(row.status for row in rows if row is not None)
        objects = {
            str(getattr(row, column)): row.id
            for row in rows
            if row is not None
            for column in ("meta_campaign_id", "adset_id", "ad_id")
        }
        writes = Counter(
            r["path"].rstrip("/").rsplit("/", 1)[-1]
            for r in records
            if r["method"] == "POST" and r.get("params", {}).get("status") == "ACTIVE"
        )
        twice = sum(1 for object_id, n in writes.items() if object_id in objects and n > 1)
        campaign_ids = {str(row.meta_campaign_id) for row in rows if row is not None}
        switch_times = [
            r["time"]
            for r in records
            if r["method"] == "POST"
            and r.get("params", {}).get("status") == "ACTIVE"
            and r["status"] == 200
            and r["path"].rstrip("/").rsplit("/", 1)[-1] in campaign_ids
        ]
        audits = Counter(
            event.campaign_id
            for event in self.store.audit_events()
            if event.action == "activated" and event.outcome == "ok" and event.campaign_id in ids
        )
        return {
            "statuses": dict(statuses),
            "objects_written_twice": twice,
            "activated_twice": sum(1 for n in audits.values() if n > 1),
            "throttled": sum(map(is_throttle, records)),
            "errors": sum(1 for r in records if r["status"] >= 400),
            "last_switch_after": (
                max(switch_times) - burst.due.timestamp() if switch_times else None
            ),
            "score": self.graph_server.busiest_score()[0],
            "calls": len(records),
        }


def _sleep_until(when: datetime) -> None:
    delay = (when - datetime.now(UTC)).total_seconds()
    if delay > 0:
        time.sleep(delay)


@dataclass
class Armed:
    """One run of the armed path: what happened before, at and after the start."""

    label: str
    count: int
    start: datetime
    all_armed_after: float | None = None  # s after the first date job fired
    armed_by_start: int = 0
    all_live_after: float | None = None  # s after the start
    start_minute_requests: int = 0
    start_minute_operations: int = 0
    alerts_in_window: int = 0
    alerts: dict[str, int] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)
    slack_refused: int = 0  # 429s the Slack emulator answered


def armed_burst(harness: Harness, count: int, label: str) -> Armed:
    """As in the running bot: date jobs at ``start - ARM_AHEAD_MINUTES``, the scan every 30 s."""
    from sandbox.slack_emulator import SlackEmulator

    with SlackEmulator() as slack:  # Slack's rate tiers on (the default)
        slack.add_channel(ALERTS_CHANNEL, "campaign-alerts")
        return _armed_burst(harness, count, label, SlackAlerts(slack))


def _armed_burst(harness: Harness, count: int, label: str, notifier: SlackAlerts) -> Armed:
    from bot.bootstrap import build_scheduling
    from meta.domain.access import StaticAccessPolicy

    scheduling = build_scheduling(
        harness.services,
        notifier,
        policy=StaticAccessPolicy(frozenset({APPROVER})),
        scan_seconds=harness.settings.scan_interval_seconds,
    )
    ahead = timedelta(minutes=harness.settings.arm_ahead_minutes)
    ids = harness.scheduled_campaigns(count, datetime.now(UTC) + timedelta(days=1))
    start = datetime.now(UTC).replace(microsecond=0) + ahead + timedelta(seconds=10)
    _move_due(harness, ids, start)
    harness.graph_server.set(latency_ms=LATENCY_MS, max_mutation_qps=MUTATIONS_PER_SECOND)
    harness.graph_server.reset_usage()
    harness.graph_server.clear()
    run = Armed(label, count, start)
    scheduling.start()
    try:
        for campaign_id in ids:  # what CampaignLifecycle.approve's on_schedule hook does
            scheduling.scheduler.schedule(campaign_id, start - ahead)
        fired = max(datetime.now(UTC), start - ahead)
        armed = ("armed", "active")
        all_armed = _wait_for(harness, ids, armed, until=start - timedelta(seconds=1))
        _sleep_until(start - timedelta(seconds=1))
        run.armed_by_start = _count(harness, ids, armed)
        if all_armed is None:
            all_armed = _wait_for(harness, ids, armed, until=start + timedelta(seconds=60))
        if all_armed is not None:
            run.all_armed_after = all_armed - (fired - start).total_seconds()
        live = _wait_for(harness, ids, ("active",), until=start + timedelta(seconds=120))
        run.all_live_after = live
        _sleep_until(start + timedelta(seconds=60))
    finally:
        scheduling.stop(wait=True)
    run.slack_refused = notifier.refused
    records = harness.graph_server.requests()
    begin, end = start.timestamp(), start.timestamp() + 60
    minute = [r for r in records if begin <= r["time"] < end]
    run.start_minute_requests = sum(1 for r in minute if not r.get("via_batch"))
    run.start_minute_operations = sum(1 for r in minute if r.get("via_batch"))
    run.alerts_in_window = sum(1 for t in notifier.top_level if begin <= t < begin + ALERT_WINDOW)
    run.alerts = dict(notifier.sent)
    run.result = harness.outcome(Burst(label, ids, start), records)
    harness.graph_server.set(latency_ms=0, max_mutation_qps=None)
    return run


def _count(harness: Harness, ids: list[int], statuses: tuple[str, ...]) -> int:
    from sqlalchemy import func, select

    from storage.models import CampaignRow

    with harness.services.engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count())
                .select_from(CampaignRow)
                .where(CampaignRow.status.in_(statuses), CampaignRow.id.in_(ids))
            ).scalar_one()
        )


def _wait_for(
    harness: Harness, ids: list[int], statuses: tuple[str, ...], *, until: datetime
) -> float | None:
    """Seconds after the start when every row is in ``statuses`` (negative: before it)."""
    start = _start_of(harness, ids)
    while datetime.now(UTC) < until:
        if _count(harness, ids, statuses) == len(ids):
            return (datetime.now(UTC) - start).total_seconds()
        time.sleep(0.2)
    return None


def _start_of(harness: Harness, ids: list[int]) -> datetime:
    row = harness.store.get(ids[0])
    assert row is not None and row.activate_at is not None
    return row.activate_at


def _move_due(harness: Harness, ids: list[int], due: datetime) -> None:
    from sqlalchemy import update

    from storage.models import CampaignRow

    with harness.services.engine.begin() as connection:
        connection.execute(
            update(CampaignRow)
            .where(CampaignRow.id.in_(ids))
            .values(activate_at=due, start_time=due)
        )


def run(count: int = COUNT, arm_ahead_minutes: float = ARM_AHEAD_MINUTES) -> dict[str, Any]:
    quiet_logs()
    widen_listen_backlog()
    with GraphServer(latency_ms=0, video_processing_seconds=0.2, log_name="activation") as graph:
        graph.set(ad_review_seconds=0.5)
        harness = Harness(graph, arm_ahead_minutes=arm_ahead_minutes)
        single = armed_burst(harness, 1, "one campaign")
        print(f"  one campaign: armed {_s(single.all_armed_after)}", flush=True)
        burst = armed_burst(harness, count, f"{count} campaigns")
        print(f"  {count} campaigns: armed {_s(burst.all_armed_after)}", flush=True)

    def clean(run: Armed) -> bool:
        r = run.result
        return r["objects_written_twice"] == 0 and r["activated_twice"] == 0

    def checks(run: Armed) -> str:
        r = run.result
        return (
            f"rows {r['statuses']}, objects written ACTIVE twice {r['objects_written_twice']}, "
            f"campaigns announced twice {r['activated_twice']}, throttle answers "
            f"{r['throttled']} (each operation of a batch counted alone), error answers "
            f"{r['errors']}, {r['calls']} Graph operations, ad account score {r['score']} of 9000"
        )

    writes = 3 * count  # ad, ad set (+ start_time), campaign
    figures = [
        Figure(
            f"{count} due at once: armed by their start",
            burst.armed_by_start,
            "",
            single.armed_by_start,
            "one campaign",
            f"all {count}",
            burst.armed_by_start == count and clean(burst),
            limit=(
                f"Meta's mutation limit: {writes} status writes at AdBee's pace of "
                f"{PACE:g} a second (meta.graph.batch, under Meta's ~100/s) are "
                f"{writes / PACE:.0f} s, well inside ARM_AHEAD_MINUTES; Meta starts delivery at "
                f"the ad set's start_time by itself; {checks(burst)}"
            ),
            ratio_override=burst.armed_by_start / max(1, single.armed_by_start),
        ),
        Figure(
            f"{count} due at once: seconds to arm all (from the first date job)",
            burst.all_armed_after or float("inf"),
            "s",
            single.all_armed_after,
            "one campaign",
            f"< {arm_ahead_minutes * 60:.0f} s (ARM_AHEAD_MINUTES)",
            (burst.all_armed_after or float("inf")) < arm_ahead_minutes * 60,
            limit=(
                f"{count} reads + {writes} writes + {count} read-backs in batch requests of "
                f"50 at {LATENCY_MS} ms each, the writes paced at {PACE:g} a second"
            ),
        ),
        Figure(
            f"{count} due at once: Graph HTTP requests in the start minute",
            burst.start_minute_requests,
            "",
            single.start_minute_requests,
            "one campaign",
            f"<= {START_MINUTE_TARGET}",
            burst.start_minute_requests <= START_MINUTE_TARGET,
            limit=(
                f"the check at the start: one batch read per 50 campaigns "
                f"({burst.start_minute_operations} operations inside them)"
            ),
        ),
        Figure(
            f"{count} due at once: top-level alert messages within {ALERT_WINDOW:g} s",
            burst.alerts_in_window,
            "",
            single.alerts_in_window,
            "one campaign",
            f"<= {ALERTS_TARGET}, every campaign announced in them",
            burst.alerts_in_window <= ALERTS_TARGET
            and burst.all_live_after is not None
            and burst.all_live_after <= ALERT_WINDOW
            # each campaign in a summary once: a race between two flushes once announced 50 twice
            and sum(burst.alerts.get(kind, 0) for kind in ANNOUNCED) == count,
            limit=f"the outbox's burst summary (one message per channel); alerts {burst.alerts}",
        ),
        Figure(
            f"{count} due at once: every row announced live (s after the start)",
            burst.all_live_after if burst.all_live_after is not None else float("inf"),
            "s",
            single.all_live_after,
            "one campaign",
            "",
            None,
            limit="the reads at the start (10 batch requests in a row) and the status writes",
        ),
        Figure(
            f"{count} due at once: 429s Slack answered",
            float(burst.slack_refused),
            "",
            float(single.slack_refused),
            "one campaign",
            "",
            None,
            limit="one summary per channel, paced by the process's Slack budget",
        ),
    ]
    return report(
        "activation_burst",
        figures,
        setup=(
            f"Graph emulator {LATENCY_MS} ms per HTTP request in its own process, Meta's limits "
            f"on (score 9000 / 5 min, {MUTATIONS_PER_SECOND} mutations a second per ad "
            f"account), {count} campaigns in one ad account, SQLite (WAL), "
            f"ARM_AHEAD_MINUTES={arm_ahead_minutes:g}, AdBee's SlackNotifier against the Slack "
            "emulator with Slack's rate tiers on"
        ),
    )


def _s(value: float | None) -> str:
    return "never" if value is None else f"in {value:.2f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.activation_burst")
    parser.add_argument("--count", type=int, default=COUNT)
    parser.add_argument("--arm-ahead", type=float, default=ARM_AHEAD_MINUTES, help="minutes")
    args = parser.parse_args(argv)
    run(count=args.count, arm_ahead_minutes=args.arm_ahead)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
