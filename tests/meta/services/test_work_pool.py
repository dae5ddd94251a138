"""The creation pool shares its workers between requesters and waits for busy ad accounts."""

from __future__ import annotations

import threading

from meta.services.work_pool import FairPool

WAIT = 10.0


class Gate:
    """Work that records when it started and runs until released."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self._lock = threading.Lock()
        self.release = threading.Semaphore(0)
        self.someone_started = threading.Semaphore(0)

    def __call__(self, name: str) -> str:
        with self._lock:
            self.started.append(name)
        self.someone_started.release()
        assert self.release.acquire(timeout=WAIT)
        return name

    def wait_for_starts(self, count: int) -> None:
        for _ in range(count):
            assert self.someone_started.acquire(timeout=WAIT)


def test_a_single_request_submitted_after_a_50_request_bulk_starts_before_the_bulk_finishes():
    pool = FairPool(2)
    work = Gate()
    try:
        bulk = [pool.submit_to("batch:7", work, f"bulk {n}") for n in range(50)]
        work.wait_for_starts(2)  # both workers busy with the bulk
        single = pool.submit_to("U_COLLEAGUE", work, "colleague's campaign")
        for _ in range(3):  # two bulk items finish; the next worker free is the colleague's
            work.release.release()
        work.wait_for_starts(2)
        assert "colleague's campaign" in work.started[:4]
        for _ in range(50):
            work.release.release()
        assert single.result(timeout=WAIT) == "colleague's campaign"
        assert [f.result(timeout=WAIT) for f in bulk][-1] == "bulk 49"
        assert work.started.index("colleague's campaign") < work.started.index("bulk 49")
    finally:
        for _ in range(60):
            work.release.release()
        pool.shutdown(wait=True)


def test_lanes_are_served_in_turn_and_first_goes_ahead_of_its_lane():
    pool = FairPool(1)
    work = Gate()
    try:
        pool.submit_to("A", work, "a0")
        work.wait_for_starts(1)
        for name in ("a1", "a2", "a3"):
            pool.submit_to("A", work, name)
        pool.submit_to("B", work, "b1")
        pool.submit_to("A", work, "a-resumed", first=True)  # back from Meta's processing
        for _ in range(6):
            work.release.release()
        work.wait_for_starts(5)
        assert work.started == ["a0", "a-resumed", "b1", "a1", "a2", "a3"]
    finally:
        pool.shutdown(wait=True)


def test_work_for_an_ad_account_over_its_ceiling_waits_while_other_accounts_go_on():
    busy = {"act_1": True}

    def admit(account: str) -> float:
        return 0.05 if busy.get(account) else 0.0

    pool = FairPool(1, admit=admit)
    try:
        held = pool.submit_to("U_A", lambda: "act_1's creation", account="act_1")
        other = pool.submit_to("U_B", lambda: "act_2's creation", account="act_2")
        assert other.result(timeout=WAIT) == "act_2's creation"
        assert not held.done()
        busy["act_1"] = False  # Meta's next answer shows the usage back under the ceiling
        assert held.result(timeout=WAIT) == "act_1's creation"
        assert pool.held > 0
    finally:
        pool.shutdown(wait=True)


def test_shutdown_cancels_queued_work_and_refuses_new_work():
    pool = FairPool(1)
    work = Gate()
    running = pool.submit_to("A", work, "running")
    work.wait_for_starts(1)
    queued = pool.submit_to("A", work, "queued")
    pool.shutdown(wait=False, cancel_futures=True)
    assert queued.cancelled()
    work.release.release()
    assert running.result(timeout=WAIT) == "running"
    try:
        pool.submit(work, "late")
    except RuntimeError:
        pass
    else:
        raise AssertionError("a pool that was shut down took new work")
    pool.shutdown(wait=True)
