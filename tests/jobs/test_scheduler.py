"""APScheduler wiring: a real BackgroundScheduler with the SQLAlchemy job store on SQLite.

The date job fires ``jobs.activation:activate_job`` with nothing but the campaign id; a new
scheduler over the same database reconciles the job table with the campaign rows.
"""

from __future__ import annotations

import pickle
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.events import EVENT_JOB_EXECUTED, JobExecutionEvent
from sqlalchemy import text

from bot.bootstrap import build_scheduling
from jobs.scheduler import ACTIVATE_FUNC, activation_job_id
from meta.domain.states import Status
from sandbox.graph_emulator import GraphEmulator
from tests.campaign_harness import APPROVER, POLICY, FakeClock, build_harness
from tests.fakes import RecordingNotifier
from tests.store_fixtures import set_columns


def real_now() -> datetime:
    return datetime.now(UTC)


def stored_jobs(engine) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        rows = connection.execute(text("select id, job_state from apscheduler_jobs"))
        return {job_id: pickle.loads(state) for job_id, state in rows}


def wait_for(predicate, timeout: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_date_job_activates_holds_only_the_id_and_restart_reconciles(
    tmp_path: Path, graph: GraphEmulator
):
    db_url = f"sqlite:///{tmp_path / 'adbee.db'}"
    graph.ad_review_seconds = 0
    setup = build_harness(db_url, graph, FakeClock(real_now()))
    start = real_now() + timedelta(days=2)
    due_soon = setup.create(start=start, name="Fires in half a second")
    later = setup.clone(due_soon, name="Job lost in an upgrade", start=start)
    cancelled = setup.clone(due_soon, name="Cancelled while the bot was down", start=start)

    notifier = RecordingNotifier()
    first = build_scheduling(
        setup.services, notifier, policy=POLICY, clock=real_now, worker_id="process-1"
    )
    first.start()
    executed: list[str] = []
    done = threading.Event()

    def on_executed(event: JobExecutionEvent) -> None:
        executed.append(event.job_id)
        if event.job_id == activation_job_id(due_soon):
            done.set()

    first.scheduler.scheduler.add_listener(on_executed, EVENT_JOB_EXECUTED)
    try:
        for campaign_id in (due_soon, later, cancelled):
            first.lifecycle.approve(campaign_id, APPROVER)
        # As if rescheduled to "in half a second".
        when = real_now() + timedelta(seconds=0.5)
        set_columns(setup.services.store, due_soon, activate_at=when)
        first.scheduler.schedule(due_soon, when)

        jobs = stored_jobs(setup.services.engine)
        assert set(jobs) == {activation_job_id(i) for i in (due_soon, later, cancelled)}
        state = jobs[activation_job_id(later)]
        assert state["func"] == ACTIVATE_FUNC
        assert state["args"] == (later,) and state["kwargs"] == {}

        assert done.wait(10), f"the date job did not run; executed: {executed}"
        assert wait_for(lambda: notifier.kinds() == ["live"])
        row = setup.services.store.get(due_soon)
        assert row is not None and row.status == Status.ACTIVE
        campaign = graph.get_object(str(row.meta_campaign_id))
        assert campaign is not None and campaign["status"] == "ACTIVE"
        assert activation_job_id(due_soon) not in stored_jobs(setup.services.engine)
    finally:
        first.stop(wait=True)
        setup.close()

    # While the bot is down: one job goes missing, one campaign is cancelled behind its back.
    restarted = build_harness(db_url, graph, FakeClock(real_now()), worker_id="process-2")
    with restarted.services.engine.begin() as connection:
        connection.execute(
            text("delete from apscheduler_jobs where id = :id"),
            {"id": activation_job_id(later)},
        )
    assert restarted.services.store.transition(
        cancelled, from_statuses=[Status.SCHEDULED], to_status=Status.CANCELLED
    )

    second = build_scheduling(
        restarted.services, RecordingNotifier(), policy=POLICY, clock=real_now
    )
    second.start()
    try:
        jobs = stored_jobs(restarted.services.engine)
        assert set(jobs) == {activation_job_id(later)}
        assert jobs[activation_job_id(later)]["args"] == (later,)
        job = second.scheduler.scheduler.get_job(activation_job_id(later))
        row = restarted.services.store.get(later)
        assert job is not None and row is not None and row.activate_at is not None
        # Armed ARM_AHEAD_MINUTES (30) before its start.
        assert job.next_run_time == row.activate_at.replace(tzinfo=UTC) - timedelta(minutes=30)
    finally:
        second.stop(wait=True)
        restarted.close()
