"""One bot replica, as a child process of the two-process PostgreSQL tests.

``python -m tests.jobs.pg_worker <mode> <database_url> <graph_url> <barrier_file> <worker_id>``
builds its own services on the shared database, signals ready and waits for the barrier so both
replicas start together. Mode ``scan`` runs the activation scan until nothing is due or being
activated; mode ``scheduler`` starts the real APScheduler (date jobs in the shared PostgreSQL
job store) and waits until every campaign is live (up to 90 s: a replica killed mid-burst leaves
claims that this one must take over). Prints one JSON line: what this replica activated and
which alerts it delivered.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from bot.bootstrap import build_job_context, build_scheduling, build_services
from jobs.activation import activate_due
from meta.domain.states import Status
from tests.campaign_harness import POLICY, ROOT, settings_for
from tests.fakes import RecordingNotifier


def main(argv: list[str]) -> int:
    mode, database_url, graph_url, barrier, worker_id = argv
    services = build_services(settings_for(database_url, graph_url), base_dir=ROOT)
    notifier = RecordingNotifier()
    Path(f"{barrier}.{worker_id}.ready").touch()
    deadline = time.monotonic() + 30
    while not Path(barrier).exists():
        if time.monotonic() > deadline:
            print(json.dumps({"worker": worker_id, "error": "barrier never opened"}))
            return 1
        time.sleep(0.005)
    report: dict[str, object] = {"worker": worker_id}
    if mode == "scan":
        context = build_job_context(services, notifier, policy=POLICY, worker_id=worker_id)
        activated = 0
        while time.monotonic() < deadline:
            activated += activate_due(context)
            busy = services.store.list_campaigns(statuses=[Status.ACTIVATING], limit=1)
            if not context.lifecycle.due() and not busy:
                break
        context.outbox.flush(notifier)
        report["activated"] = activated
    else:
        scheduling = build_scheduling(services, notifier, policy=POLICY, worker_id=worker_id)
        scheduling.start()
        # Armed counts as waiting: a replica started before the start time arms the campaigns
        # (ACTIVE in Meta, its ad set's start time holding delivery) and the start's check still
        # has to make them live; stopping at "armed" left them so (seen on a fast start).
        waiting = [Status.SCHEDULED, Status.ACTIVATING, Status.ARMED]
        deadline = time.monotonic() + 90
        while (
            services.store.list_campaigns(statuses=waiting, limit=1) and time.monotonic() < deadline
        ):
            time.sleep(0.05)
        scheduler = scheduling.scheduler.scheduler
        thread = getattr(scheduler, "_thread", None)
        report["scheduler_alive"] = scheduler.running and thread is not None and thread.is_alive()
        scheduling.stop(wait=True)
        scheduling.context.outbox.flush(notifier)
        report["activated"] = sum(
            1
            for event in services.store.audit_events()
            if event.actor == worker_id and event.action == "activated" and event.outcome == "ok"
        )
    services.engine.dispose()
    report["delivered"] = [a.summary.id for a in notifier.sent if a.summary is not None]
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
