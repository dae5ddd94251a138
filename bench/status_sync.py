"""``python -m bench.status_sync``: one status-sync pass over 1,000 campaigns in 10 ad accounts.

Set-up (Graph latency 0, then the rate-limit score reset): ten ad accounts (an accounts file of
the bench's own), one processed video and creative per account, then per campaign a real
PAUSED campaign, ad set and ad in the emulator and a SCHEDULED row holding their ids. Then, at
300 ms per Graph call:

* baseline   the old sync: one read of the campaign node and one write per campaign, one after
             the other (``StatusSync.sync``, the old loop's body), over the first account's 100
             campaigns; its time x 10 estimates the 1,000 (requests and score points are one
             per campaign, counted on the 100);
* sync       ``StatusSync.sync_all`` over the 1,000, as the sync job runs it: one paged,
             filtered read of each account's ``campaigns`` edge with the ad set and every ad
             expanded; then a second pass with nothing changed.

Figures: Graph requests the pass sent, seconds, rate-limit score points charged (summed over the
accounts), and campaigns whose state was recorded (must be all).
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import (
    ROOT,
    Figure,
    GraphServer,
    bench_settings,
    campaign_raw,
    quiet_logs,
    report,
    video_uploader,
    widen_listen_backlog,
    workdir,
)

LATENCY_MS = 300
ACCOUNTS = 10
PER_ACCOUNT = 100
TARGET_REQUESTS = 25


def write_accounts(folder: Path, count: int) -> Path:
    """Ten client accounts shaped like the example US one (no regulated market)."""
    lines = ["accounts:"]
    for n in range(count):
        lines += [
            f"  bench-{n}:",
            f"    name: Bench client {n}",
            f"    ad_account_id: act_90000000{n:02d}",
            f'    page_id: "91000000{n:02d}"',
            f'    pixel_id: "92000000{n:02d}"',
            "    currency: USD",
            "    timezone: America/Los_Angeles",
            "    max_daily_budget: 1000",
        ]
    path = folder / "accounts.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


class Harness:
    def __init__(self, graph: GraphServer, folder: Path, accounts_file: Path) -> None:
        from bot.bootstrap import build_services

        self.graph_server = graph
        self.settings = bench_settings(graph.url, folder / "adbee.db", accounts_file=accounts_file)
        self.services = build_services(self.settings, base_dir=ROOT)
        assert self.services.graph is not None
        self.graph = self.services.graph
        self.store = self.services.store
        self.uploader = video_uploader(self.settings)

    def seed(self, key: str, count: int) -> list[int]:
        """One creative, then ``count`` PAUSED campaign/ad set/ad triples and their rows."""
        from meta.domain.states import Status
        from meta.graph.payloads import ad_call, adset_call, campaign_call, creative_call
        from meta.video.processing import wait_until_ready
        from tests.store_fixtures import record_objects

        start = datetime.now(UTC) + timedelta(days=2)
        raw = campaign_raw(f"{key} template", account=key, countries=["US"])
        raw.update(start_time=start.strftime("%Y-%m-%d %H:%M %z"), end_time=None)
        spec = self.services.campaigns.validate(raw)
        account = self.services.accounts.get(key)
        assert account is not None
        video = self.uploader.upload(
            account_id=account.ad_account_id, path=spec.video_path, title=spec.video_path.name
        )
        wait_until_ready(
            lambda: self.graph.get(video, {"fields": "status"}).get("status", {}), interval=0.2
        )
        thumbnail = self.graph.get(f"{video}/thumbnails")["data"][0]["uri"]
        call = creative_call(spec, account, video_id=video, thumbnail_url=thumbnail)
        creative = str(self.graph.post(call.path, call.params)["id"])

        def one(serial: int) -> int:
            named = replace(spec, name=f"{key} {serial:04d}", names=None)
            call = campaign_call(named, account)
            campaign = str(self.graph.post(call.path, call.params)["id"])
            call = adset_call(named, account, campaign)
            adset = str(self.graph.post(call.path, call.params)["id"])
            call = ad_call(named, account, adset_id=adset, creative_id=creative)
            ad = str(self.graph.post(call.path, call.params)["id"])
            row = self.store.add_campaign(
                account_key=key,
                ad_account_id=account.ad_account_id,
                name=named.name,
                spec=named.to_json(),
                status=Status.SCHEDULED,
                requested_by="U_ALICE",
                source="bench",
                start_time=named.start_time,
            )
            record_objects(
                self.store,
                row.id,
                video=video,
                creative=creative,
                campaign=campaign,
                adset=adset,
                ad=ad,
            )
            return row.id

        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(one, range(count)))

    def scores(self) -> int:
        """Rate-limit score points charged to all the accounts in the last 5 minutes."""
        return sum(self.graph_server.command("usage")["scores"].values())

    def recorded(self, ids: list[int], since: float) -> int:
        """Campaigns whose ``last_sync`` was written after ``since`` (epoch seconds)."""
        count = 0
        for campaign_id in ids:
            row = self.store.get(campaign_id)
            if row is not None and row.updated_at.timestamp() >= since and row.last_sync:
                count += 1
        return count


def run(latency_ms: float, accounts: int, per_account: int) -> dict[str, Any]:
    from meta.services.status_sync import StatusSync

    folder = workdir("status-sync")
    accounts_file = write_accounts(folder, accounts)
    with GraphServer(
        latency_ms=0, video_processing_seconds=0.5, accounts_file=accounts_file
    ) as graph:
        harness = Harness(graph, folder, accounts_file)
        graph.set(max_score=10**9)  # set-up is not the pass: lift the limit, then forget it
        ids: list[int] = []
        for n in range(accounts):
            ids += harness.seed(f"bench-{n}", per_account)
        graph.set(max_score=9000, latency_ms=latency_ms)
        graph.reset_usage()

        # Baseline: the old pass, one node read (and one write) per campaign in a row
        # (``StatusSync.sync``, the body of the old loop), over one account's campaigns.
        sync = StatusSync(store=harness.store, graph=harness.graph)
        sample = ids[:per_account]
        graph.clear()
        started = time.monotonic()
        for campaign_id in sample:
            sync.sync(campaign_id)
        baseline_seconds = time.monotonic() - started
        baseline_requests = len(graph.requests())
        baseline_points = harness.scores()
        scale = len(ids) / len(sample)
        graph.reset_usage()

        for campaign_id in sample:  # forget the baseline's reads: the pass starts from nothing
            harness.store.set_last_sync(campaign_id, None)

        # The pass as the sync job runs it, then again over the now-known states.
        graph.clear()
        since = time.time() - 1
        emulator_cpu, own_cpu = graph.cpu_seconds(), time.process_time()
        started = time.monotonic()
        sync.sync_all()
        seconds = time.monotonic() - started
        emulator_cpu, own_cpu = graph.cpu_seconds() - emulator_cpu, time.process_time() - own_cpu
        records = graph.requests()
        points = harness.scores()
        recorded = harness.recorded(ids, since)
        started = time.monotonic()
        sync.sync_all()
        steady_seconds = time.monotonic() - started

    total = len(ids)
    requests = len(records)
    limit = (
        f"{accounts} accounts x ceil({per_account} campaigns / 100 per page) = one request each; "
        f"each request is one score point and {latency_ms:.0f} ms of Graph latency, read one "
        "account after another, so the pass takes about accounts x latency plus the emulator "
        "rendering 100 campaigns with their ad set and ads per page. The page size is the "
        "emulator's assumed edge maximum (100; Meta does not publish it)"
    )
    figures = [
        Figure(
            f"sync of {total} campaigns in {accounts} accounts: Graph requests",
            requests,
            "",
            baseline=baseline_requests * scale,
            baseline_label="one read per campaign",
            target=f"<= {TARGET_REQUESTS}",
            passed=requests <= TARGET_REQUESTS,
            limit=limit,
        ),
        Figure(
            "sync pass: seconds",
            seconds,
            "s",
            baseline=baseline_seconds * scale,
            baseline_label=f"one read per campaign, {len(sample)} measured x {scale:g}",
            limit=(
                "CPU (AdBee parsing and recording each campaign, the emulator rendering each "
                "page; see the note), then one Graph latency per account"
            ),
        ),
        Figure(
            "second pass, nothing changed: seconds",
            steady_seconds,
            "s",
            baseline=seconds,
            baseline_label="first pass",
            limit="no database write when Meta shows what the last pass saw; Graph latency",
        ),
        Figure(
            "sync pass: rate-limit score points",
            points,
            "",
            baseline=baseline_points * scale,
            baseline_label="one read per campaign",
        ),
        Figure(
            "campaigns whose state was recorded",
            recorded,
            "",
            target=f"= {total}",
            passed=recorded == total,
        ),
    ]
    return report(
        "status_sync",
        figures,
        setup=(
            f"{accounts} ad accounts x {per_account} PAUSED campaigns (campaign, ad set, ad) in "
            f"the Graph emulator, Graph latency {latency_ms:.0f} ms, SQLite"
        ),
        notes=[
            f"first pass: AdBee used {own_cpu:.1f} s of CPU, the emulator {emulator_cpu:.1f} s",
            f"paths of the pass: {json.dumps(sorted({r['path'] for r in records}))}",
        ],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.status_sync")
    parser.add_argument("--latency-ms", type=float, default=LATENCY_MS)
    parser.add_argument("--accounts", type=int, default=ACCOUNTS)
    parser.add_argument("--per-account", type=int, default=PER_ACCOUNT)
    args = parser.parse_args(argv)
    quiet_logs()
    widen_listen_backlog()
    run(args.latency_ms, args.accounts, args.per_account)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
