"""The scheduler outlives what would end APScheduler's loop thread.

APScheduler 3 runs every job-store call of its main loop on one thread without error handling;
an exception there ends the thread and nothing fires again. ``SharedJobStore`` absorbs transient
database errors, and the supervisor restarts a scheduler whose loop died of anything else.
(``tests/reliability/test_database_faults.py`` does the same to the real bot with a real lock.)
"""

from __future__ import annotations

import threading
import time

import pytest
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from jobs.scheduler import ActivationScheduler


class BrokenOnce(MemoryJobStore):
    """A job store whose next-run-time read fails once, as a bug or a driver crash would."""

    def __init__(self, broken: threading.Event) -> None:
        super().__init__()
        self._broken = broken

    def get_next_run_time(self):  # type: ignore[no-untyped-def]
        if not self._broken.is_set():
            self._broken.set()
            raise RuntimeError("the job store broke")
        return super().get_next_run_time()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_scheduler_whose_loop_died_is_restarted_and_its_jobs_run_again() -> None:
    broken = threading.Event()
    beats: list[float] = []
    built: list[BackgroundScheduler] = []

    def factory() -> BackgroundScheduler:
        scheduler = BackgroundScheduler(
            jobstores={"default": BrokenOnce(broken), "memory": MemoryJobStore()}
        )
        built.append(scheduler)
        return scheduler

    activation = ActivationScheduler(
        factory(),
        scan_seconds=3600,
        sync_seconds=3600,
        alert_seconds=3600,
        factory=factory,
        heartbeat=lambda _state: beats.append(time.monotonic()),
        heartbeat_seconds=0.2,
    )
    # The interval jobs name real job functions; only the heartbeat matters here.
    activation._intervals = {"heartbeat": activation._intervals["heartbeat"]}
    activation.start([])
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (activation.restarts and len(beats) >= 3):
            time.sleep(0.05)
        assert broken.is_set(), "the first loop pass broke the store"
        assert activation.restarts == 1 and len(built) == 2
        assert activation.loop_alive and activation.state == "running"
        assert len(beats) >= 3, "the new scheduler runs the heartbeat again"
    finally:
        activation.shutdown()
