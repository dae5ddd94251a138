"""``python -m bench.activation_burst``: 500 campaigns due in the same minute.

Set-up (Graph latency 0, then the rate-limit score reset): one processed video and creative, then
per campaign a real PAUSED campaign, ad set and ad in the emulator, and a SCHEDULED row holding
their ids with ``activate_at`` = the due time, all in ONE ad account (the worst case for Meta's
per-account rate limit). Then, at 300 ms per Graph call:

* baselines     ten campaigns activated strictly one after the other with
                ``CampaignLifecycle.activate`` (the old ``activate_due`` loop): the median is
                one activation alone (the floor for any burst), the sum x 50 estimates 500 in a
                row;
* scan path     ``jobs.activation.activate_due`` (the scan job's body) called at the due time
                over the 500, with the real lifecycle, store and Graph client;
* bot path      500 fresh campaigns through ``bot.bootstrap.build_scheduling`` as the bot runs it:
                one APScheduler date job per campaign, the scan job every 30 s.

For each burst: seconds from the due time until every row is ACTIVE (a watcher polls the
database), the last ``status=ACTIVE`` write Meta received, objects written ACTIVE more than once
(must be 0), campaigns audited "activated" twice (must be 0), throttle answers (must be 0), and
the rate-limit score the ad account was charged.
"""

from __future__ import annotations

import argparse
import os
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
    median,
    quiet_logs,
    report,
    widen_listen_backlog,
    workdir,
)

LATENCY_MS = 300
COUNT = 500
SEQUENTIAL_SAMPLE = 10
TARGET_SECONDS = 10.0
APPROVER = "U_BOB"


class CountingNotifier:
    """Stands in for Slack: the alert outbox delivers into a counter."""

    def __init__(self) -> None:
        self.sent: Counter[str] = Counter()
        self._lock = threading.Lock()

    def send(
        self, *, kind: str, summary: Any, detail: str | None, key: str, sent_before: Any = None
    ) -> None:
        with self._lock:
            self.sent[kind] += 1

    def send_burst(self, alerts: list[Any], *, key: str, sent_before: Any = None) -> None:
        with self._lock:
            self.sent["burst_summary"] += 1
            for alert in alerts:
                self.sent[alert.kind] += 1


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
    def __init__(self, graph: GraphServer) -> None:
        from bot.bootstrap import build_services
        from meta.graph.upload import VideoUploader

        self.graph_server = graph
        self.folder = workdir("activation")
        self.settings = bench_settings(graph.url, self.folder / "adbee.db")
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

    def context(self, notifier: CountingNotifier):  # type: ignore[no-untyped-def]
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


def sequential_sample(harness: Harness, count: int) -> list[float]:
    """Activate ``count`` due campaigns one after the other, timing each."""
    from jobs.activation import flush_alerts_job

    notifier = CountingNotifier()
    context = harness.context(notifier)
    ids = harness.scheduled_campaigns(count, datetime.now(UTC) + timedelta(days=1))
    _move_due(harness, ids, datetime.now(UTC) - timedelta(seconds=1))
    harness.graph_server.set(latency_ms=LATENCY_MS)
    times = []
    for campaign_id in ids:
        start = time.monotonic()
        if not context.lifecycle.activate(campaign_id):
            raise RuntimeError(f"#{campaign_id} did not go live in the sequential baseline")
        times.append(time.monotonic() - start)
    harness.graph_server.set(latency_ms=0)
    flush_alerts_job(context)
    return times


def scan_burst(harness: Harness, count: int, workers: int) -> tuple[Burst, dict, Counter]:
    """What the scan job does when it runs at the due time: ``activate_due`` over the burst."""
    from jobs.activation import activate_due

    notifier = CountingNotifier()
    context = harness.context(notifier)
    ids = harness.scheduled_campaigns(count, datetime.now(UTC) + timedelta(days=1))
    harness.graph_server.set(latency_ms=LATENCY_MS)
    harness.graph_server.reset_usage()
    harness.graph_server.clear()
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    _move_due(harness, ids, due)
    burst = Burst(f"scan-{workers}", ids, due)
    stop = threading.Event()
    watcher = harness.watch(burst, stop)
    _sleep_until(due)
    cpu, emulator_cpu = time.process_time(), harness.graph_server.cpu_seconds()
    activated = activate_due(context, workers=workers)
    burst.returned_after = (datetime.now(UTC) - due).total_seconds()
    burst.cpu_seconds = time.process_time() - cpu
    burst.emulator_cpu_seconds = harness.graph_server.cpu_seconds() - emulator_cpu
    watcher.join(timeout=5)
    stop.set()
    result = harness.outcome(burst, harness.graph_server.requests())
    result["activated"] = activated
    harness.graph_server.set(latency_ms=0)
    return burst, result, notifier.sent


def bot_burst(harness: Harness, count: int) -> tuple[Burst, dict, Counter]:
    """As in the running bot: the scheduler is up, approvals add one date job per campaign."""
    from bot.bootstrap import build_scheduling
    from meta.domain.access import StaticAccessPolicy

    notifier = CountingNotifier()
    scheduling = build_scheduling(
        harness.services,
        notifier,
        policy=StaticAccessPolicy(frozenset({APPROVER})),
        scan_seconds=harness.settings.scan_interval_seconds,
    )
    scheduling.start()
    try:
        ids = harness.scheduled_campaigns(count, datetime.now(UTC) + timedelta(days=1))
        due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=15)
        _move_due(harness, ids, due)
        for campaign_id in ids:  # what CampaignLifecycle.approve's on_schedule hook does
            scheduling.scheduler.schedule(campaign_id, due)
        _wait_until_quiet(harness)  # the start-up sync and scan are done before the burst
        if datetime.now(UTC) > due - timedelta(seconds=1):
            raise RuntimeError("set-up overran the due time; raise the lead time")
        harness.graph_server.set(latency_ms=LATENCY_MS)
        harness.graph_server.reset_usage()
        harness.graph_server.clear()
        burst = Burst("bot", ids, due)
        stop = threading.Event()
        _sleep_until(due)
        cpu, emulator_cpu = time.process_time(), harness.graph_server.cpu_seconds()
        watcher = harness.watch(burst, stop)
        watcher.join(timeout=120)
        stop.set()
        burst.cpu_seconds = time.process_time() - cpu
        burst.emulator_cpu_seconds = harness.graph_server.cpu_seconds() - emulator_cpu
    finally:
        scheduling.stop(wait=True)
    result = harness.outcome(burst, harness.graph_server.requests())
    harness.graph_server.set(latency_ms=0)
    return burst, result, notifier.sent


def _wait_until_quiet(harness: Harness, quiet: float = 1.0, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    seen = -1
    while time.monotonic() < deadline:
        count = len(harness.graph_server.requests())
        if count == seen:
            return
        seen = count
        time.sleep(quiet)


def _move_due(harness: Harness, ids: list[int], due: datetime) -> None:
    from sqlalchemy import update

    from storage.models import CampaignRow

    with harness.services.engine.begin() as connection:
        connection.execute(
            update(CampaignRow)
            .where(CampaignRow.id.in_(ids))
            .values(activate_at=due, start_time=due)
        )


def run(
    count: int = COUNT, workers: int | None = None, compare: int | None = 64, bot_path: bool = True
) -> dict[str, Any]:
    from jobs.activation import ACTIVATION_WORKERS

    quiet_logs()
    widen_listen_backlog()
    pools = [workers or ACTIVATION_WORKERS]
    if compare and compare not in pools:
        pools.append(compare)
    scans: list[tuple[int, Burst, dict, Counter]] = []
    with GraphServer(latency_ms=0, video_processing_seconds=0.2, log_name="activation") as graph:
        harness = Harness(graph)
        singles = sequential_sample(harness, SEQUENTIAL_SAMPLE)
        single = median(singles)
        sequential_estimate = sum(singles) / len(singles) * count
        print(f"  one activation alone: {single:.2f} s (median of {len(singles)})", flush=True)
        for pool in pools:
            scan, scan_result, scan_alerts = scan_burst(harness, count, pool)
            scans.append((pool, scan, scan_result, scan_alerts))
            print(
                f"  scan path, {pool} workers: all ACTIVE {_s(scan.all_active_after)}", flush=True
            )
        if bot_path:
            bot, bot_result, bot_alerts = bot_burst(harness, count)
            print(f"  bot path: all ACTIVE {_s(bot.all_active_after)}", flush=True)

    def ok(result: dict[str, Any]) -> bool:
        return (
            result["objects_written_twice"] == 0
            and result["activated_twice"] == 0
            and result["throttled"] == 0
            and result["statuses"] == {"active": count}
        )

    def checks(result: dict[str, Any]) -> str:
        return (
            f"rows {result['statuses']}, objects written ACTIVE twice "
            f"{result['objects_written_twice']}, campaigns activated twice "
            f"{result['activated_twice']}, throttle answers {result['throttled']}, error answers "
            f"{result['errors']}, {result['calls']} Graph calls, ad account score "
            f"{result['score']} of 9000"
        )

    def cpu(burst: Burst) -> str:
        return (
            f"CPU during the burst: AdBee {burst.cpu_seconds:.1f} s (one interpreter, GIL), "
            f"emulator {burst.emulator_cpu_seconds:.1f} s, on {os.cpu_count()} cores"
        )

    def progress(burst: Burst) -> str:
        return ", ".join(f"{n} at {at:.0f}s" for at, n in burst.progress[1:])

    target = f"all ACTIVE <= {TARGET_SECONDS:g} s after due, none twice, 0 throttled"
    figures = []
    notes = []
    for pool, scan, scan_result, scan_alerts in scans:
        value = scan.all_active_after if scan.all_active_after is not None else float("inf")
        waiting = count * 5 * LATENCY_MS / 1000 / pool
        figures.append(
            Figure(
                f"{count} due, scan path (activate_due, {pool} workers"
                + (", default)" if pool == pools[0] else ")"),
                value,
                "s",
                single,
                "one activation alone",
                target,
                value <= TARGET_SECONDS and ok(scan_result),
                limit=(
                    f"Graph latency: {count} x 5 calls in a row x {LATENCY_MS} ms / {pool} "
                    f"workers = {waiting:.1f} s of waiting; then CPU: {cpu(scan)}; "
                    f"{checks(scan_result)}"
                ),
            )
        )
        notes.append(
            f"scan path, {pool} workers: ACTIVE rows {progress(scan)}; activate_due returned "
            f"{scan.returned_after:.2f} s after due (after delivering "
            f"{sum(scan_alerts.values())} alerts); last campaign switched ACTIVE in Meta "
            f"{scan_result['last_switch_after']:.2f} s after due"
        )
    figures.append(
        Figure(
            f"{count} due, strictly sequential (estimate)",
            sequential_estimate,
            "s",
            single,
            "one activation alone",
            "",
            None,
            limit=(
                f"mean of {len(singles)} measured one-by-one activations x {count}: what "
                "activate_due did before it ran activations side by side"
            ),
        )
    )
    if bot_path:
        value = bot.all_active_after if bot.all_active_after is not None else float("inf")
        figures.append(
            Figure(
                f"{count} due, bot path (date jobs, scheduler as the bot runs it)",
                value,
                "s",
                single,
                "one activation alone",
                target,
                value <= TARGET_SECONDS and ok(bot_result),
                limit=(
                    "the first date job of the burst runs activate_due's pool "
                    f"({pools[0]} workers) while APScheduler's other 19 threads activate their "
                    f"own campaigns; {cpu(bot)}; {checks(bot_result)}"
                ),
            )
        )
        notes.append(
            f"bot path: ACTIVE rows {progress(bot)}; last campaign switched ACTIVE in Meta "
            f"{bot_result['last_switch_after']:.2f} s after due; alerts {dict(bot_alerts)}"
        )
    return report(
        "activation_burst",
        figures,
        setup=(
            f"Graph emulator {LATENCY_MS} ms per call in its own process, {count} campaigns in "
            f"one ad account, SQLite (WAL), activation = 1 read + 3 writes + 1 read-back"
        ),
        notes=notes,
    )


def _s(value: float | None) -> str:
    return "never" if value is None else f"{value:.2f} s after due"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.activation_burst")
    parser.add_argument("--count", type=int, default=COUNT)
    parser.add_argument("--workers", type=int, default=None, help="activate_due pool size")
    parser.add_argument(
        "--compare", type=int, default=64, help="also run the scan path with this pool (0: no)"
    )
    parser.add_argument("--no-bot-path", action="store_true")
    args = parser.parse_args(argv)
    run(
        count=args.count,
        workers=args.workers,
        compare=args.compare,
        bot_path=not args.no_bot_path,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
